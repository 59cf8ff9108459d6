# The run foreign key cascades in SQL too (like the seed's relationships), and the operators
# group gets socials.publish_run (listed in OPERATOR_EXTRA_PERMISSIONS).
from django.db import migrations

from myloware.api.operators import sync_operators_group
from myloware.db_operations import CascadeOnDelete


def grant_publish_permission(apps, schema_editor):
    sync_operators_group(apps, schema_editor)
    # Granted here as well, so the permission exists for operators even before the shared list
    # names it; adding is idempotent.
    group = apps.get_model("auth", "Group").objects.filter(name="operators").first()
    permission = (
        apps.get_model("auth", "Permission")
        .objects.filter(content_type__app_label="socials", codename="publish_run")
        .first()
    )
    if group is not None and permission is not None:
        group.permissions.add(permission)


class Migration(migrations.Migration):
    dependencies = [
        ("socials", "0003_publication_idempotency_and_rate_window"),
        ("api", "0002_operators_group"),
    ]

    operations = [
        CascadeOnDelete("social_publications", "run_id"),
        migrations.RunPython(grant_publish_permission, migrations.RunPython.noop),
    ]
