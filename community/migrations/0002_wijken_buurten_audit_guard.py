"""Utrecht's 10 wijken and the 22 buurten the cooperative proposes (docs/domain.md),
and on PostgreSQL a trigger that keeps the audit trail append-only."""

from django.db import migrations

from community.places import install_places

AUDIT_GUARD = """
CREATE FUNCTION community_audit_append_only() RETURNS trigger AS $$
BEGIN
    -- Deleting a user may only forget who acted; nothing else may change.
    IF TG_OP = 'UPDATE' AND NEW.actor_id IS NULL
       AND ROW(NEW.id, NEW.action, NEW.object_type, NEW.object_id, NEW.data::text, NEW.created_at)
           IS NOT DISTINCT FROM
           ROW(OLD.id, OLD.action, OLD.object_type, OLD.object_id, OLD.data::text, OLD.created_at)
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit events are append-only' USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER community_auditevent_append_only
    BEFORE UPDATE OR DELETE ON community_auditevent
    FOR EACH ROW EXECUTE FUNCTION community_audit_append_only();
"""
AUDIT_GUARD_REVERSE = """
DROP TRIGGER IF EXISTS community_auditevent_append_only ON community_auditevent;
DROP FUNCTION IF EXISTS community_audit_append_only();
"""


def load_places(apps, schema_editor):
    install_places(apps.get_model("community", "Wijk"), apps.get_model("community", "Neighbourhood"))


def add_audit_guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(AUDIT_GUARD)


def remove_audit_guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(AUDIT_GUARD_REVERSE)


class Migration(migrations.Migration):
    dependencies = [("community", "0001_initial")]

    operations = [
        migrations.RunPython(load_places, migrations.RunPython.noop),
        migrations.RunPython(add_audit_guard, remove_audit_guard),
    ]
