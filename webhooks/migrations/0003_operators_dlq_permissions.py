from django.db import migrations

from myloware.api.operators import sync_operators_group


class Migration(migrations.Migration):
    """Give the operators group the new replay_webhookdlq permission."""

    dependencies = [
        ("webhooks", "0002_webhook_event_processing_state"),
        ("api", "0002_operators_group"),
    ]

    operations = [migrations.RunPython(sync_operators_group, migrations.RunPython.noop)]
