# Django 5.2 cascades in Python only; the seed's relationships cascade in SQL as well.
# This runs in its own migration because Django adds a migration's foreign keys at its end.
from django.db import migrations

from myloware.db_operations import CascadeOnDelete


class Migration(migrations.Migration):
    dependencies = [("runs", "0001_initial")]

    operations = [
        CascadeOnDelete("orchestration_checkpoints", "run_id"),
        CascadeOnDelete("hitl_approvals", "run_id"),
    ]
