from django.db import migrations, models


class Migration(migrations.Migration):
    """Bounded cost of unauthenticated deliveries: body size/SHA-256, dropped bodies, the
    rejected-body budget and the verification-failure windows; unverified events name no run."""

    dependencies = [
        ("webhooks", "0005_processor_leases"),
    ]

    operations = [
        migrations.CreateModel(
            name="RejectedBodyBudget",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("provider", models.TextField()),
                ("hour", models.DateTimeField()),
                ("kept_bytes", models.BigIntegerField(default=0)),
                ("bodies_kept", models.IntegerField(default=0)),
                ("dropped_bytes", models.BigIntegerField(default=0)),
                ("bodies_dropped", models.IntegerField(default=0)),
                ("last_kept", models.BooleanField(default=True)),
            ],
            options={
                "verbose_name": "rejected-body budget (per provider and hour)",
                "verbose_name_plural": "rejected-body budgets (per provider and hour)",
                "db_table": "webhook_rejected_body_budgets",
            },
        ),
        migrations.CreateModel(
            name="VerificationFailureWindow",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("provider", models.TextField()),
                ("client", models.TextField()),
                ("window_start", models.DateTimeField()),
                ("failures", models.IntegerField(default=0)),
            ],
            options={
                "verbose_name": "verification failures (per provider and client)",
                "verbose_name_plural": "verification failures (per provider and client)",
                "db_table": "webhook_verification_failures",
            },
        ),
        migrations.AlterModelOptions(
            name="webhookevent",
            options={
                "permissions": [
                    ("delete_rejected_webhookevent", "Can delete rejected (unauthenticated) events")
                ]
            },
        ),
        migrations.AddField(
            model_name="webhookevent",
            name="client_address",
            field=models.TextField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="webhookevent",
            name="payload_drop_reason",
            field=models.TextField(
                choices=[("rejected_budget", "over the hourly budget for bodies of rejected deliveries")],
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="webhookevent",
            name="payload_dropped_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="webhookevent",
            name="payload_sha256",
            field=models.TextField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="webhookevent",
            name="payload_size",
            field=models.BigIntegerField(blank=True, null=True),
        ),
        # Every stored body's size and SHA-256; reversing drops the columns (nothing to undo).
        migrations.RunSQL(
            "UPDATE webhook_events SET payload_size = octet_length(payload), "
            "payload_sha256 = encode(sha256(payload), 'hex')",
            migrations.RunSQL.noop,
        ),
        # ?run_id= is not signed: an unauthenticated delivery no longer names a run (the value it
        # claimed stays in its query snapshot or body). Not restored when reversed.
        migrations.RunSQL(
            "UPDATE webhook_events SET run_id = NULL WHERE signature_status <> 'valid' AND run_id IS NOT NULL",
            migrations.RunSQL.noop,
        ),
        migrations.AddConstraint(
            model_name="webhookevent",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("payload_drop_reason__isnull", True), ("payload_dropped_at__isnull", True)),
                    models.Q(
                        ("payload", b""),
                        ("payload_drop_reason__isnull", False),
                        ("payload_dropped_at__isnull", False),
                    ),
                    _connector="OR",
                ),
                name="webhook_events_payload_dropped",
            ),
        ),
        migrations.AddConstraint(
            model_name="webhookevent",
            constraint=models.CheckConstraint(
                condition=models.Q(("signature_status", "valid"), ("run_id__isnull", True), _connector="OR"),
                name="webhook_events_unverified_no_run",
            ),
        ),
        migrations.AddConstraint(
            model_name="rejectedbodybudget",
            constraint=models.UniqueConstraint(
                fields=("provider", "hour"), name="webhook_rejected_budget_uniq"
            ),
        ),
        migrations.AddIndex(
            model_name="verificationfailurewindow",
            index=models.Index(fields=["window_start"], name="webhook_failures_window_idx"),
        ),
        migrations.AddConstraint(
            model_name="verificationfailurewindow",
            constraint=models.UniqueConstraint(fields=("provider", "client"), name="webhook_failures_uniq"),
        ),
    ]
