# The new tables' foreign keys cascade in SQL too (like 0002), and the operators group gets the
# new runs.decide_gate permission and the views of the new models.
from django.db import migrations

from myloware.api.operators import sync_operators_group
from myloware.db_operations import CascadeOnDelete


class Migration(migrations.Migration):
    dependencies = [
        ("runs", "0003_run_transitions_gates_checkpoint_version"),
        ("api", "0002_operators_group"),
    ]

    operations = [
        CascadeOnDelete("run_transitions", "run_id"),
        CascadeOnDelete("gate_requests", "run_id"),
        CascadeOnDelete("hitl_approvals", "gate_request_id"),
        migrations.RunPython(sync_operators_group, migrations.RunPython.noop),
    ]
