# Expand-only: a column with a constant default is metadata-only in PostgreSQL 11+ (no table
# rewrite; the ACCESS EXCLUSIVE lock lasts milliseconds, measured in docs/operations.md).
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("runs", "0012_run_status_counts")]

    operations = [
        migrations.AlterModelOptions(
            name="run",
            options={"permissions": [("hold_run", "Can place and release a legal hold on runs")]},
        ),
        migrations.AddField(
            model_name="run",
            name="held",
            field=models.BooleanField(db_default=False, default=False),
        ),
    ]
