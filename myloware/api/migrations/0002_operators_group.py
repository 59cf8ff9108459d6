from django.db import migrations

from myloware.api.operators import sync_operators_group


class Migration(migrations.Migration):
    dependencies = [
        ("api", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
        ("runs", "0002_foreign_keys_cascade_in_database"),
        ("artifacts", "0002_foreign_keys_cascade_in_database"),
        ("webhooks", "0001_initial"),
        ("knowledge", "0002_foreign_keys_cascade_in_database"),
        ("socials", "0002_foreign_keys_cascade_in_database"),
    ]

    operations = [migrations.RunPython(sync_operators_group, migrations.RunPython.noop)]
