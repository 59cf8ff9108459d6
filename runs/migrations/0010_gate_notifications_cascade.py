# The notifications cascade with their gate in SQL too (like 0002 and 0004), so a DELETE FROM runs
# issued by hand removes them. A migration of its own: Django creates the foreign key at the end of
# the migration that creates the table, after any RunSQL of that migration.
from django.db import migrations

from myloware.db_operations import CascadeOnDelete


class Migration(migrations.Migration):
    dependencies = [("runs", "0009_gate_notifications_and_assigned_approvers")]

    operations = [CascadeOnDelete("gate_notifications", "gate_request_id")]
