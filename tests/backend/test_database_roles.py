"""The database defends itself against the application: web, worker and beat (and this
suite) connect as a role that owns no table, may not TRUNCATE any, and may only read and
append journal entries, journal lines and audit events. PostgreSQL refuses the rest on
privileges (SQLSTATE 42501) before any trigger runs."""

import pytest
from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction

from community.audit import audit_log
from community.models import AuditEvent
from ledger import postings
from ledger.models import JournalEntry, JournalLine
from ledger.services import entry_reverse, period_close
from tests.community.factories import UserFactory
from tests.conftest import OWNER_ALIAS
from tests.ledger.factories import pot

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

INSUFFICIENT_PRIVILEGE = "42501"
BOOKS = [JournalEntry._meta.db_table, JournalLine._meta.db_table, AuditEvent._meta.db_table]


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
