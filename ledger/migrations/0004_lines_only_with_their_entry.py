"""PostgreSQL: lines can be inserted only in the transaction that inserted their entry.

Before this, a balanced pair of lines could be added to any posted entry, even in a
closed period (the period trigger watches entries). Inserting an entry now notes its id
in a transaction-local setting; inserting a line checks that its entry is noted there.
A savepoint rolled back forgets its entries with it. Since an entry can only be inserted
into an open period, its lines follow the period rule too.
"""

from django.db import migrations

FORWARD = r"""
CREATE OR REPLACE FUNCTION ledger_entry_period_open() RETURNS trigger AS $$
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
    PERFORM set_config(
        'buurtfonds.new_entries',
        COALESCE(current_setting('buurtfonds.new_entries', true), '') || ' ' || NEW.id || ' ',
        true
    );
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION ledger_line_account_open() RETURNS trigger AS $$
BEGIN
    IF position(' ' || NEW.entry_id || ' ' IN
                COALESCE(current_setting('buurtfonds.new_entries', true), '')) = 0 THEN
        RAISE EXCEPTION 'lines of entry % can only be added in the transaction that posted it',
            NEW.entry_id USING ERRCODE = 'BF003';
    END IF;
    IF NOT (SELECT active FROM ledger_account WHERE id = NEW.account_id) THEN
        RAISE EXCEPTION 'account % is closed for posting', NEW.account_id USING ERRCODE = 'BF002';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""

REVERSE = r"""
CREATE OR REPLACE FUNCTION ledger_line_account_open() RETURNS trigger AS $$
BEGIN
    IF NOT (SELECT active FROM ledger_account WHERE id = NEW.account_id) THEN
        RAISE EXCEPTION 'account % is closed for posting', NEW.account_id USING ERRCODE = 'BF002';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
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
    dependencies = [("ledger", "0003_chart_of_accounts")]
    operations = [migrations.RunPython(forward, backward)]
