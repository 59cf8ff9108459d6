# Expand-only. The two indexes are built CONCURRENTLY (outside a transaction): the intake and the
# webhook loop keep writing webhook_events while they build (docs/operations.md, Upgrades).
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("webhooks", "0007_drop_processor_leases")]

    operations = [
        migrations.AlterField(
            model_name="webhookevent",
            name="payload_drop_reason",
            field=models.TextField(
                choices=[
                    ("rejected_budget", "over the hourly budget for bodies of rejected deliveries"),
                    ("retention", "expunged by the retention policy once processed"),
                ],
                null=True,
            ),
        ),
        AddIndexConcurrently(
            model_name="webhookevent",
            index=models.Index(
                condition=models.Q(payload_dropped_at__isnull=True),
                fields=["received_at"],
                name="webhook_events_body_kept_idx",
            ),
        ),
        AddIndexConcurrently(
            model_name="webhookevent",
            index=models.Index(
                condition=models.Q(status="rejected"),
                fields=["received_at"],
                name="webhook_events_rejected_idx",
            ),
        ),
    ]
