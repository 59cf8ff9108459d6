"""The DLQ replay and stale-event sweep left django-q2's schedules (they run in run_workers)."""

from django.db import migrations


def drop_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name="webhooks.replay_due_webhooks").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0003_operators_dlq_permissions"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(drop_schedule, migrations.RunPython.noop)]
