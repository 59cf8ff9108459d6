# Gate notifications (one row per gate, kind, channel and target) and assigned approvers on gate
# policies (copied onto each gate request).

import django.contrib.postgres.fields
import django.db.models.deletion
import django.db.models.functions.datetime
import myloware.lib.validators
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("runs", "0008_dashboard_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="gatepolicy",
            name="approver_groups",
            field=models.ManyToManyField(blank=True, related_name="+", to="auth.group"),
        ),
        migrations.AddField(
            model_name="gatepolicy",
            name="approver_users",
            field=models.ManyToManyField(
                blank=True,
                help_text="Only these users and the members of these groups may decide (none: any operator)",
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="gatepolicy",
            name="escalate_emails",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.EmailField(max_length=254),
                blank=True,
                default=list,
                help_text="Told when the gate nears its deadline undecided (empty: GATE_ESCALATE_EMAILS)",
                size=None,
            ),
        ),
        migrations.AddField(
            model_name="gatepolicy",
            name="notify_emails",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.EmailField(max_length=254),
                blank=True,
                default=list,
                help_text="Told when the gate opens, reminded, told how it closed (empty: GATE_NOTIFY_EMAILS)",
                size=None,
            ),
        ),
        migrations.AddField(
            model_name="gatepolicy",
            name="notify_webhook_urls",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.TextField(validators=[myloware.lib.validators.validate_http_url]),
                blank=True,
                default=list,
                help_text="Slack-compatible chat webhooks, told everything (empty: GATE_NOTIFY_WEBHOOK_URLS)",
                size=None,
            ),
        ),
        migrations.AddField(
            model_name="gaterequest",
            name="approver_group_ids",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.IntegerField(), blank=True, db_default=[], default=list, size=None
            ),
        ),
        migrations.AddField(
            model_name="gaterequest",
            name="approver_user_ids",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.IntegerField(), blank=True, db_default=[], default=list, size=None
            ),
        ),
        migrations.CreateModel(
            name="GateNotification",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.TextField(
                        choices=[
                            ("opened", "Gate opened"),
                            ("reminder", "Reminder"),
                            ("escalation", "Escalation"),
                            ("closed", "Gate closed"),
                        ]
                    ),
                ),
                ("channel", models.TextField(choices=[("email", "E-mail"), ("chat", "Chat webhook")])),
                ("target", models.TextField()),
                (
                    "status",
                    models.TextField(
                        choices=[
                            ("pending", "Pending"),
                            ("sent", "Sent"),
                            ("failed", "Failed (gave up)"),
                            ("skipped", "Skipped (gate closed first)"),
                        ],
                        default="pending",
                    ),
                ),
                ("next_attempt_at", models.DateTimeField(blank=True, null=True)),
                ("attempts", models.PositiveIntegerField(default=0)),
                ("last_error", models.TextField(blank=True, default="")),
                ("sent_at", models.DateTimeField(blank=True, null=True)),
                ("created_at", models.DateTimeField(db_default=django.db.models.functions.datetime.Now())),
                (
                    "gate_request",
                    models.ForeignKey(
                        db_column="gate_request_id",
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="notifications",
                        to="runs.gaterequest",
                    ),
                ),
            ],
            options={
                "db_table": "gate_notifications",
                "ordering": ["gate_request", "id"],
                "indexes": [
                    models.Index(
                        condition=models.Q(("status", "pending")),
                        fields=["next_attempt_at"],
                        name="gate_notifications_due_idx",
                    )
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("gate_request", "kind", "channel", "target"),
                        name="gate_notifications_once_uniq",
                    )
                ],
            },
        ),
    ]
