"""PostgreSQL enforces the ledger's rules itself, whoever writes:

- every entry balances and has at least two lines, checked at commit by deferred
  constraint triggers (so an entry and its lines can be inserted one by one);
- entries and lines are never updated or deleted;
- nothing is posted into a closed period or onto a closed account, and an entry's year
  and period match its date.

On SQLite the same checks run in Python (ledger.services).
"""

from django.db import migrations

FORWARD = r"""
CREATE FUNCTION ledger_entry_balanced() RETURNS trigger AS $$
DECLARE
    eid bigint;
    n integer;
    imbalance bigint;
BEGIN
    IF TG_TABLE_NAME = 'ledger_journalentry' THEN eid := NEW.id; ELSE eid := NEW.entry_id; END IF;
    SELECT count(*), COALESCE(SUM(CASE WHEN side = 'D' THEN amount_cents ELSE -amount_cents END), 0)
      INTO n, imbalance
      FROM ledger_journalline WHERE entry_id = eid;
    IF n < 2 THEN
        RAISE EXCEPTION 'journal entry % has % line(s); at least two are needed', eid, n
            USING ERRCODE = 'check_violation';
    END IF;
    IF imbalance <> 0 THEN
        RAISE EXCEPTION 'journal entry % is unbalanced by % cents', eid, imbalance
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER ledger_journalentry_balanced
    AFTER INSERT ON ledger_journalentry DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_entry_balanced();
CREATE CONSTRAINT TRIGGER ledger_journalline_balanced
    AFTER INSERT ON ledger_journalline DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_entry_balanced();

CREATE FUNCTION ledger_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused; post a reversing entry instead', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER ledger_journalentry_append_only
    BEFORE UPDATE OR DELETE ON ledger_journalentry
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_journalline_append_only
    BEFORE UPDATE OR DELETE ON ledger_journalline
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();

CREATE FUNCTION ledger_entry_period_open() RETURNS trigger AS $$
BEGIN
    IF NEW.fiscal_year <> EXTRACT(YEAR FROM NEW.date) OR NEW.period <> EXTRACT(MONTH FROM NEW.date) THEN
        RAISE EXCEPTION 'entry dated % cannot be in period %-%', NEW.date, NEW.fiscal_year, NEW.period
            USING ERRCODE = 'check_violation';
    END IF;
    -- Closing a period locks the entry table in SHARE mode first (ledger.services.period_close),
    -- so no posting can slip in between this check and the close.
    IF EXISTS (SELECT 1 FROM ledger_fiscalperiod
                WHERE year = NEW.fiscal_year AND month = NEW.period AND closed_at IS NOT NULL) THEN
        RAISE EXCEPTION 'period %-% is closed', NEW.fiscal_year, NEW.period USING ERRCODE = 'BF001';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER ledger_journalentry_period_open
    BEFORE INSERT ON ledger_journalentry
    FOR EACH ROW EXECUTE FUNCTION ledger_entry_period_open();

CREATE FUNCTION ledger_line_account_open() RETURNS trigger AS $$
BEGIN
    IF NOT (SELECT active FROM ledger_account WHERE id = NEW.account_id) THEN
        RAISE EXCEPTION 'account % is closed for posting', NEW.account_id USING ERRCODE = 'BF002';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER ledger_journalline_account_open
    BEFORE INSERT ON ledger_journalline
    FOR EACH ROW EXECUTE FUNCTION ledger_line_account_open();
"""

REVERSE = r"""
DROP TRIGGER IF EXISTS ledger_journalline_account_open ON ledger_journalline;
DROP FUNCTION IF EXISTS ledger_line_account_open();
DROP TRIGGER IF EXISTS ledger_journalentry_period_open ON ledger_journalentry;
DROP FUNCTION IF EXISTS ledger_entry_period_open();
DROP TRIGGER IF EXISTS ledger_journalline_append_only ON ledger_journalline;
DROP TRIGGER IF EXISTS ledger_journalentry_append_only ON ledger_journalentry;
DROP FUNCTION IF EXISTS ledger_append_only();
DROP TRIGGER IF EXISTS ledger_journalline_balanced ON ledger_journalline;
DROP TRIGGER IF EXISTS ledger_journalentry_balanced ON ledger_journalentry;
DROP FUNCTION IF EXISTS ledger_entry_balanced();
"""


def _run(schema_editor, sql):
    if schema_editor.connection.vendor == "postgresql":
        # A plain cursor: RAISE's "%" placeholders must not be read as parameters.
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(sql)


def forward(apps, schema_editor):
    _run(schema_editor, FORWARD)


def backward(apps, schema_editor):
    _run(schema_editor, REVERSE)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
