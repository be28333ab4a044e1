"""The database defends itself against the application: web, worker and beat (and this
suite) connect as a role that owns no table, may not TRUNCATE any, and may only read and
append journal entries, journal lines and audit events. PostgreSQL refuses the rest on
privileges (SQLSTATE 42501) before any trigger runs."""

import pytest
from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction

from banking.models import BankLine, BankStatement
from community.audit import audit_log
from community.models import AuditEvent
from grants.models import PayoutFile
from ledger import postings
from ledger.models import JournalEntry, JournalLine
from ledger.services import entry_reverse, period_close
from tests.community.factories import UserFactory
from tests.conftest import OWNER_ALIAS
from tests.ledger.factories import pot

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

INSUFFICIENT_PRIVILEGE = "42501"
BOOKS = [
    JournalEntry._meta.db_table,
    JournalLine._meta.db_table,
    AuditEvent._meta.db_table,
    PayoutFile._meta.db_table,
]


@pytest.fixture(autouse=True)
def app_role() -> str:
    if OWNER_ALIAS == "default":
        pytest.skip("one role owns and uses the tables: set DATABASE_OWNER_URL (see README)")
    with connection.cursor() as cursor:
        cursor.execute("SELECT session_user, current_user")
        session_user, current_user = cursor.fetchone()
    assert session_user == current_user == settings.DATABASE_APP_ROLE
    return current_user


@pytest.fixture
def books():
    """An entry with its lines, its reversal, and an audit event, posted the normal way."""
    deposit = postings.post_deposit(
        pot=pot(), amount_cents=10_000, source="subsidy", idempotency_key="d", description="d"
    )
    entry_reverse(entry=deposit, reason="typo")
    audit_log(actor=UserFactory(), action="residency_verified", data={"n": 1})


def test_the_application_role_owns_no_table_and_may_truncate_none(app_role):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relnamespace = current_schema()::regnamespace"
            " AND relkind IN ('r', 'p', 'S') AND (pg_get_userbyid(relowner) = current_user"
            " OR relkind <> 'S' AND has_table_privilege(oid, 'TRUNCATE'))"
        )
        assert cursor.fetchall() == []
        for table in BOOKS:
            cursor.execute(
                "SELECT tableowner <> current_user, has_table_privilege(%s, 'SELECT'),"
                " has_table_privilege(%s, 'INSERT'), has_table_privilege(%s, 'UPDATE'),"
                " has_table_privilege(%s, 'DELETE') FROM pg_tables WHERE tablename = %s",
                [table] * 5,
            )
            assert cursor.fetchone() == (True, True, True, False, False), table


def test_the_normal_paths_still_append_to_the_books(books):
    assert JournalEntry.objects.count() == 2
    assert JournalLine.objects.count() == 8  # a deposit has four lines; so has its reversal
    assert AuditEvent.objects.filter(action="residency_verified").exists()
    # Closing a month takes its lock without any privilege on the entry table.
    assert period_close(year=2025, month=1, actor_id=None).closed_at is not None


@pytest.mark.parametrize(
    "sql",
    [
        f"UPDATE {JournalLine._meta.db_table} SET amount_cents = 1",
        f"DELETE FROM {JournalLine._meta.db_table}",
        f"TRUNCATE {JournalLine._meta.db_table} CASCADE",
        f"UPDATE {JournalEntry._meta.db_table} SET description = 'forged'",
        f"DELETE FROM {JournalEntry._meta.db_table}",
        f"TRUNCATE {JournalEntry._meta.db_table} CASCADE",
        f"UPDATE {AuditEvent._meta.db_table} SET action = 'forged'",
        f"DELETE FROM {AuditEvent._meta.db_table}",
        f"TRUNCATE {AuditEvent._meta.db_table}",
        f"ALTER TABLE {JournalLine._meta.db_table} DISABLE TRIGGER USER",
        # The SEPA file of an exported batch: the bytes the bank was given stay as they were.
        f"UPDATE {PayoutFile._meta.db_table} SET content = 'x'",
        f"DELETE FROM {PayoutFile._meta.db_table}",
        # What the bank said stays as imported; only a line's match and handling change.
        f"UPDATE {BankLine._meta.db_table} SET amount_cents = 1",
        f"UPDATE {BankLine._meta.db_table} SET counterparty_iban = 'NL00FAKE'",
        f"DELETE FROM {BankLine._meta.db_table}",
        f"UPDATE {BankStatement._meta.db_table} SET closing_balance_cents = 0",
    ],
)
def test_privileges_refuse_changing_the_books(books, sql):
    with (
        pytest.raises(DatabaseError) as refused,
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    assert refused.value.__cause__.sqlstate == INSUFFICIENT_PRIVILEGE, refused.value
    assert JournalLine.objects.filter(amount_cents=10_000).count() == 8
    assert not JournalEntry.objects.filter(description="forged").exists()
    assert AuditEvent.objects.filter(action="residency_verified").count() == 1


def test_an_audit_event_may_only_forget_its_actor(books):
    """The one column the application's role may update; the trigger allows only NULL."""
    event = AuditEvent.objects.get(action="residency_verified")
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(actor=UserFactory())
    AuditEvent.objects.filter(pk=event.pk).update(actor=None)
    assert AuditEvent.objects.get(pk=event.pk).actor_id is None


# -- what an attack on the restricted role found (each of these once changed the books) -------


def closed_january():
    from datetime import date

    fund = pot()
    postings.post_deposit(
        pot=fund,
        amount_cents=10_000,
        source="subsidy",
        idempotency_key="jan",
        description="jan",
        on=date(2025, 1, 10),
    )
    period_close(year=2025, month=1, actor_id=None)
    return fund, JournalEntry.objects.get(idempotency_key="jan")


def test_temporary_tables_named_like_ours_cannot_fool_the_triggers():
    """Once: an empty temporary ``ledger_fiscalperiod`` made a closed month look open and a
    temporary ``ledger_journalline`` fed the balance check two made-up lines."""
    from ledger.selectors import pot_available_cents

    fund, _ = closed_january()
    connection.close()  # a fresh session, as whoever holds the role's password would have
    with (
        pytest.raises(DatabaseError) as refused,
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("CREATE TEMP TABLE ledger_fiscalperiod (year int, month int)")
    assert refused.value.__cause__.sqlstate == INSUFFICIENT_PRIVILEGE
    with connection.cursor() as cursor:
        # And every trigger function reads our schema whatever the session's search path.
        cursor.execute(
            "SELECT p.proname FROM pg_proc p WHERE p.prorettype = 'trigger'::regtype"
            " AND p.pronamespace = current_schema()::regnamespace"
            " AND NOT coalesce(p.proconfig, '{}') @> ARRAY['search_path=pg_catalog, public, pg_temp']"
        )
        assert cursor.fetchall() == []
    assert pot_available_cents(fund) == 10_000


def test_lines_cannot_be_added_to_an_old_entry_by_setting_the_marker_by_hand():
    """Once: ``set_config('buurtfonds.new_entries', ' <id> ', true)`` let a balanced pair of
    lines move money between pots inside a posted entry of a closed month."""
    fund, entry = closed_january()
    line = entry.lines.first()
    with (
        pytest.raises(DatabaseError, match="transaction that posted it"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SELECT set_config('buurtfonds.new_entries', %s, true)", [f" {entry.pk} "])
        cursor.execute(
            f"INSERT INTO {JournalLine._meta.db_table} (entry_id, account_id, side,"
            " amount_cents, currency, earmark_id) VALUES (%s, %s, 'D', 9000, 'EUR', %s),"
            " (%s, %s, 'C', 9000, 'EUR', %s)",
            [entry.pk, line.account_id, fund.pk] * 2,
        )
    assert entry.lines.count() == 4


def test_lines_of_an_entry_posted_in_a_savepoint_of_this_transaction_still_go_in():
    """The normal path: entries are often posted inside nested atomic blocks (savepoints)."""
    with transaction.atomic(), transaction.atomic():
        postings.post_deposit(
            pot=pot(), amount_cents=500, source="subsidy", idempotency_key="s", description="s"
        )
    assert JournalEntry.objects.get(idempotency_key="s").lines.count() == 4


@pytest.mark.parametrize(
    ("sql", "why"),
    [
        ("UPDATE ledger_fiscalperiod SET closed_at = NULL", "stays closed"),
        ("DELETE FROM ledger_fiscalperiod", INSUFFICIENT_PRIVILEGE),
        ("UPDATE ledger_fiscalperiod SET month = 2", INSUFFICIENT_PRIVILEGE),
        ("UPDATE ledger_earmark SET parent_id = NULL", INSUFFICIENT_PRIVILEGE),
        ("UPDATE ledger_earmark SET name = 'renamed'", "earmarks never change"),
        ("DELETE FROM ledger_earmark", INSUFFICIENT_PRIVILEGE),
        ("UPDATE ledger_account SET type = 'expense'", INSUFFICIENT_PRIVILEGE),
        ("UPDATE ledger_account SET code = '9999'", INSUFFICIENT_PRIVILEGE),
        ("DELETE FROM ledger_account", INSUFFICIENT_PRIVILEGE),
        ("UPDATE ledger_projectadministration SET code = 'X'", INSUFFICIENT_PRIVILEGE),
    ],
)
def test_periods_earmarks_and_accounts_cannot_be_rewritten(sql, why):
    """Once: the role reopened a closed month and posted into it, moved an application's
    earmark to another pot, and retyped accounts."""
    closed_january()
    with (
        pytest.raises(DatabaseError) as refused,
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    if why == INSUFFICIENT_PRIVILEGE:
        assert refused.value.__cause__.sqlstate == INSUFFICIENT_PRIVILEGE
    else:
        assert why in str(refused.value)
    from ledger.models import FiscalPeriod

    assert FiscalPeriod.objects.get(year=2025, month=1).closed_at is not None
