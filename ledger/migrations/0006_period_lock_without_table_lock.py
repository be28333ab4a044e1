"""PostgreSQL: closing a period and posting into it meet on an advisory lock, not a table lock.

Closing used to take ``LOCK TABLE ledger_journalentry IN SHARE MODE``, which PostgreSQL allows
only to a role that may UPDATE, DELETE or TRUNCATE the table; the application's role may do
none of these (backend/roles.py). Now inserting an entry takes a shared transaction-level
advisory lock on its period before checking that the period is open, and closing takes the
same lock exclusively (ledger.services.period_close): postings in flight into that period
finish first, none starts until the close has committed, and postings into other periods
do not wait at all. The check runs after the lock is granted, so it sees a committed close.
"""

from django.db import migrations

# ledger.services.PERIOD_LOCK_SPACE: the first key of the advisory lock, the second is
# year * 100 + month.
FORWARD = r"""
CREATE OR REPLACE FUNCTION ledger_entry_period_open() RETURNS trigger AS $$
BEGIN
    IF NEW.fiscal_year <> EXTRACT(YEAR FROM NEW.date) OR NEW.period <> EXTRACT(MONTH FROM NEW.date) THEN
        RAISE EXCEPTION 'entry dated % cannot be in period %-%', NEW.date, NEW.fiscal_year, NEW.period
            USING ERRCODE = 'check_violation';
    END IF;
    -- Closing a period holds this lock exclusively (ledger.services.period_close), so no
    -- posting can slip in between this check and the close.
    PERFORM pg_advisory_xact_lock_shared(1279607879, NEW.fiscal_year * 100 + NEW.period);
    IF EXISTS (SELECT 1 FROM ledger_fiscalperiod
                WHERE year = NEW.fiscal_year AND month = NEW.period AND closed_at IS NOT NULL) THEN
        RAISE EXCEPTION 'period %-% is closed', NEW.fiscal_year, NEW.period USING ERRCODE = 'BF001';
    END IF;
    PERFORM set_config(
        'buurtfonds.new_entries',
        COALESCE(current_setting('buurtfonds.new_entries', true), '') || ' ' || NEW.id || ' ',
        true
    );
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""

# Back to 0004's function: the same without the lock and its comment.
LOCK = FORWARD[FORWARD.index("    -- Closing") : FORWARD.index("    IF EXISTS")]
REVERSE = FORWARD.replace(LOCK, "")


def _run(schema_editor, sql):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(sql)


def forward(apps, schema_editor):
    _run(schema_editor, FORWARD)


def backward(apps, schema_editor):
    _run(schema_editor, REVERSE)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0005_unspent_money_owed")]
    operations = [migrations.RunPython(forward, backward)]
