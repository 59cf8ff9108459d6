# hitl_approvals is an append-only audit log: the database itself refuses UPDATE, whoever tries
# (admin, shell, a bug). DELETE stays possible so that deleting a run still cascades.
from django.db import migrations

SQL = """
CREATE OR REPLACE FUNCTION hitl_approvals_refuse_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'hitl_approvals rows are append-only (row %)', OLD.id
    USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER hitl_approvals_append_only
  BEFORE UPDATE ON hitl_approvals
  FOR EACH ROW EXECUTE FUNCTION hitl_approvals_refuse_update();
"""

REVERSE_SQL = """
DROP TRIGGER IF EXISTS hitl_approvals_append_only ON hitl_approvals;
DROP FUNCTION IF EXISTS hitl_approvals_refuse_update();
"""


class Migration(migrations.Migration):
    dependencies = [("runs", "0005_langgraph_checkpoint_tables")]

    operations = [migrations.RunSQL(SQL, REVERSE_SQL)]
