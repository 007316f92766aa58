"""A signed inspection is an official record: the database itself refuses to change or delete it or its answers,
whatever route the change comes by (a page, the admin, the API, an import, a shell)."""

from django.db import migrations

POSTGRES = """
CREATE OR REPLACE FUNCTION standards_inspection_frozen() RETURNS trigger AS $$
BEGIN
    IF OLD.status = 'signed' THEN
        RAISE EXCEPTION 'signed inspection %% is immutable', OLD.id USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER standards_inspection_frozen BEFORE UPDATE OR DELETE ON standards_inspection
    FOR EACH ROW EXECUTE FUNCTION standards_inspection_frozen();

CREATE OR REPLACE FUNCTION standards_answer_frozen() RETURNS trigger AS $$
DECLARE
    parent integer := CASE WHEN TG_OP = 'INSERT' THEN NEW.inspection_id ELSE OLD.inspection_id END;
BEGIN
    IF EXISTS (SELECT 1 FROM standards_inspection WHERE id = parent AND status = 'signed')
       OR (TG_OP = 'UPDATE' AND EXISTS (
           SELECT 1 FROM standards_inspection WHERE id = NEW.inspection_id AND status = 'signed')) THEN
        RAISE EXCEPTION 'answers of signed inspection %% are immutable', parent
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER standards_answer_frozen BEFORE INSERT OR UPDATE OR DELETE ON standards_inspectionanswer
    FOR EACH ROW EXECUTE FUNCTION standards_answer_frozen();
"""
POSTGRES_REVERSE = """
DROP TRIGGER IF EXISTS standards_answer_frozen ON standards_inspectionanswer;
DROP FUNCTION IF EXISTS standards_answer_frozen();
DROP TRIGGER IF EXISTS standards_inspection_frozen ON standards_inspection;
DROP FUNCTION IF EXISTS standards_inspection_frozen();
"""
SQLITE = [
    """CREATE TRIGGER standards_inspection_frozen_update BEFORE UPDATE ON standards_inspection
       WHEN OLD.status = 'signed' BEGIN SELECT RAISE(ABORT, 'signed inspection is immutable'); END""",
    """CREATE TRIGGER standards_inspection_frozen_delete BEFORE DELETE ON standards_inspection
       WHEN OLD.status = 'signed' BEGIN SELECT RAISE(ABORT, 'signed inspection is immutable'); END""",
    """CREATE TRIGGER standards_answer_frozen_insert BEFORE INSERT ON standards_inspectionanswer
       WHEN (SELECT status FROM standards_inspection WHERE id = NEW.inspection_id) = 'signed'
       BEGIN SELECT RAISE(ABORT, 'answers of a signed inspection are immutable'); END""",
    """CREATE TRIGGER standards_answer_frozen_update BEFORE UPDATE ON standards_inspectionanswer
       WHEN (SELECT status FROM standards_inspection WHERE id = OLD.inspection_id) = 'signed'
         OR (SELECT status FROM standards_inspection WHERE id = NEW.inspection_id) = 'signed'
       BEGIN SELECT RAISE(ABORT, 'answers of a signed inspection are immutable'); END""",
    """CREATE TRIGGER standards_answer_frozen_delete BEFORE DELETE ON standards_inspectionanswer
       WHEN (SELECT status FROM standards_inspection WHERE id = OLD.inspection_id) = 'signed'
       BEGIN SELECT RAISE(ABORT, 'answers of a signed inspection are immutable'); END""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS standards_inspection_frozen_update",
    "DROP TRIGGER IF EXISTS standards_inspection_frozen_delete",
    "DROP TRIGGER IF EXISTS standards_answer_frozen_insert",
    "DROP TRIGGER IF EXISTS standards_answer_frozen_update",
    "DROP TRIGGER IF EXISTS standards_answer_frozen_delete",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        statements = statements_by_vendor.get(schema_editor.connection.vendor)
        if statements is None:
            raise RuntimeError(f"no immutability triggers for {schema_editor.connection.vendor}")
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("standards", "0004_acceptance")]
    operations = [
        migrations.RunPython(
            _run({"postgresql": [POSTGRES], "sqlite": SQLITE}),
            _run({"postgresql": [POSTGRES_REVERSE], "sqlite": SQLITE_REVERSE}),
        )
    ]
