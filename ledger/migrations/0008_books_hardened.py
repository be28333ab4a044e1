"""PostgreSQL: the books' triggers cannot be fooled by the application's role.

An attack on the restricted role found three ways around the triggers:

- Lines of an old entry could be added by setting the transaction-local marker
  ``buurtfonds.new_entries`` by hand (any role may set a custom setting). A line is now
  accepted only when its entry row was written by the current transaction: the entry is
  visible and its ``xmin`` is still in progress. Other transactions' uncommitted rows are
  invisible, committed ones are not in progress, and a savepoint rolled back takes its
  entries with it, so only entries of this transaction qualify.
- Temporary tables named like ours (``pg_temp`` comes first in the search path) could stand
  in for the periods, lines or accounts the triggers read. Every table is now named with its
  schema, every trigger function runs with a fixed search path (backend/roles.py keeps it so
  after each migrate), and the application's role may create no temporary tables.
- Closed periods could be reopened or deleted, and earmarks re-parented. A closed period
  now stays closed (no update, no delete), and an earmark never changes.
"""

from django.db import migrations

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
    IF EXISTS (SELECT 1 FROM public.ledger_fiscalperiod
                WHERE year = NEW.fiscal_year AND month = NEW.period AND closed_at IS NOT NULL) THEN
        RAISE EXCEPTION 'period %-% is closed', NEW.fiscal_year, NEW.period USING ERRCODE = 'BF001';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp;

CREATE OR REPLACE FUNCTION ledger_entry_of_this_transaction(entry bigint) RETURNS boolean AS $$
DECLARE
    row_xmin bigint;
    -- This transaction's id; its savepoints' ids lie just above it.
    own bigint := txid_current();
    full_xid bigint;
BEGIN
    SELECT e.xmin::text::bigint INTO row_xmin FROM public.ledger_journalentry e WHERE e.id = entry;
    IF row_xmin IS NULL THEN
        RETURN false;
    END IF;
    -- xmin has 32 bits: give it the epoch that puts it nearest to our own id.
    full_xid := (own & ~4294967295::bigint) | row_xmin;
    IF full_xid > own + 2147483648 THEN
        full_xid := full_xid - 4294967296;
    ELSIF full_xid < own - 2147483648 THEN
        full_xid := full_xid + 4294967296;
    END IF;
    -- Rows of other transactions still in progress are invisible here: a visible row whose
    -- transaction is in progress was written by ours.
    RETURN full_xid > 0 AND txid_status(full_xid) IS NOT DISTINCT FROM 'in progress';
END;
$$ LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp;

CREATE OR REPLACE FUNCTION ledger_line_account_open() RETURNS trigger AS $$
BEGIN
    IF NOT ledger_entry_of_this_transaction(NEW.entry_id) THEN
        RAISE EXCEPTION 'lines of entry % can only be added in the transaction that posted it',
            NEW.entry_id USING ERRCODE = 'BF003';
    END IF;
    IF NOT (SELECT active FROM public.ledger_account WHERE id = NEW.account_id) THEN
        RAISE EXCEPTION 'account % is closed for posting', NEW.account_id USING ERRCODE = 'BF002';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp;

CREATE OR REPLACE FUNCTION ledger_period_stays_closed() RETURNS trigger AS $$
BEGIN
    IF OLD.closed_at IS NOT NULL THEN
        RAISE EXCEPTION 'period %-% is closed and stays closed', OLD.year, OLD.month
            USING ERRCODE = 'BF001';
    END IF;
    IF TG_OP = 'UPDATE' AND (NEW.year, NEW.month) IS DISTINCT FROM (OLD.year, OLD.month) THEN
        RAISE EXCEPTION 'a period keeps its year and month' USING ERRCODE = 'BF001';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END;
$$ LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp;

DROP TRIGGER IF EXISTS ledger_period_stays_closed ON public.ledger_fiscalperiod;
CREATE TRIGGER ledger_period_stays_closed BEFORE UPDATE OR DELETE ON public.ledger_fiscalperiod
    FOR EACH ROW EXECUTE FUNCTION ledger_period_stays_closed();

CREATE OR REPLACE FUNCTION ledger_earmark_immutable() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' OR NEW IS DISTINCT FROM OLD THEN
        RAISE EXCEPTION 'earmarks never change' USING ERRCODE = 'BF004';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp;

DROP TRIGGER IF EXISTS ledger_earmark_immutable ON public.ledger_earmark;
CREATE TRIGGER ledger_earmark_immutable BEFORE UPDATE OR DELETE ON public.ledger_earmark
    FOR EACH ROW EXECUTE FUNCTION ledger_earmark_immutable();
"""

REVERSE = r"""
DROP TRIGGER IF EXISTS ledger_earmark_immutable ON public.ledger_earmark;
DROP FUNCTION IF EXISTS ledger_earmark_immutable();
DROP TRIGGER IF EXISTS ledger_period_stays_closed ON public.ledger_fiscalperiod;
DROP FUNCTION IF EXISTS ledger_period_stays_closed();
"""


def _run(schema_editor, sql):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(sql)


def forward(apps, schema_editor):
    _run(schema_editor, FORWARD)


def backward(apps, schema_editor):
    _run(schema_editor, REVERSE)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0007_topup_payout_kind")]
    operations = [migrations.RunPython(forward, backward)]
