"""On PostgreSQL, the database itself refuses to change or delete an access record
(a trigger), whoever connects: raw SQL, Model._base_manager and the ORM's own
cascades included. TRUNCATE (a table owner's operation, used to empty a test
database) is not covered; REVOKE it from the application role in production.
"""

from django.db import migrations

TABLE = "admissions_accessrecord"
FUNCTION = "admissions_accessrecord_refuse_change"
TRIGGER = "admissions_accessrecord_append_only"


def install_trigger(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return  # SQLite (make run): the ORM guard only
    schema_editor.execute(
        f"""
        CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION USING
                MESSAGE = 'access records cannot be changed or deleted: ' || TG_OP || ' refused',
                ERRCODE = 'insufficient_privilege';
        END;
        $$ LANGUAGE plpgsql
        """
    )
    schema_editor.execute(
        f"CREATE TRIGGER {TRIGGER} BEFORE UPDATE OR DELETE ON {TABLE} "
        f"FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()"
    )


def remove_trigger(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON {TABLE}")
    schema_editor.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")


class Migration(migrations.Migration):
    dependencies = [
        ("admissions", "0004_fill_chain_authors_and_groups"),
    ]

    operations = [migrations.RunPython(install_trigger, remove_trigger)]
