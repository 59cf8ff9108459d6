# The idea a run goes ahead with, recorded on its gate. Gates approved before the column existed
# went ahead with no recorded choice: they get the rule's default, the first idea they reviewed.
from django.db import migrations, models

BACKFILL_SQL = """
UPDATE gate_requests AS g
   SET chosen_idea_id = (
       SELECT a.id
         FROM jsonb_array_elements_text(g.artifact_ids) WITH ORDINALITY AS reviewed(id, position)
         JOIN artifacts AS a ON a.id::text = reviewed.id AND a.type = 'idea'
        ORDER BY reviewed.position
        LIMIT 1)
 WHERE g.status = 'approved' AND jsonb_typeof(g.artifact_ids) = 'array'
"""


class Migration(migrations.Migration):
    dependencies = [
        ("runs", "0010_gate_notifications_cascade"),
        ("artifacts", "0002_foreign_keys_cascade_in_database"),
    ]

    operations = [
        migrations.AddField(
            model_name="gaterequest",
            name="chosen_idea_id",
            field=models.UUIDField(blank=True, null=True),
        ),
        # Backwards, removing the column removes what this wrote.
        migrations.RunSQL(BACKFILL_SQL, migrations.RunSQL.noop),
    ]
