"""The posting service refuses bad entries and writes nothing of them; corrections reverse."""

from datetime import date

import pytest
import time_machine
from django.db import connection

from ledger import errors
from ledger.models import Account, JournalEntry, JournalLine
from ledger.selectors import trial_balance
from ledger.services import Line, entry_post, entry_reverse, period_close
from tests.conftest import AS_OWNER, OWNER_ALIAS

pytestmark = pytest.mark.django_db


def post(lines, key="k1", **kw):
    return entry_post(lines=lines, idempotency_key=key, kind="manual", description="test", **kw)


GOOD = [Line("1000", "D", 500), Line("8500", "C", 500)]


@pytest.mark.parametrize(
    "lines, error",
    [
        ([Line("1000", "D", 500), Line("8500", "C", 400)], errors.UnbalancedEntry),
        ([Line("1000", "D", 500)], errors.TooFewLines),
        ([], errors.TooFewLines),
        ([Line("1000", "D", 0), Line("8500", "C", 0)], errors.InvalidAmount),
        ([Line("1000", "D", -5), Line("8500", "C", -5)], errors.InvalidAmount),
        ([Line("1000", "D", 5.0), Line("8500", "C", 5.0)], errors.InvalidAmount),
        ([Line("1000", "D", True), Line("8500", "C", True)], errors.InvalidAmount),
        (
            [Line("1000", "D", 500, currency="USD"), Line("8500", "C", 500, currency="USD")],
            errors.InvalidCurrency,
        ),
        ([Line("1000", "D", 500), Line("7777", "C", 500)], errors.UnknownAccount),
    ],
)
def test_bad_entries_are_refused_and_nothing_is_written(lines, error):
    with pytest.raises(error):
        post(lines)
    assert not JournalEntry.objects.exists()
    assert not JournalLine.objects.exists()


def test_a_closed_account_takes_no_postings():
    Account.objects.filter(code="8500").update(active=False)
    with pytest.raises(errors.ClosedAccount):
        post(GOOD)
    assert not JournalEntry.objects.exists()


def test_posting_the_same_key_twice_returns_the_first_entry():
    first = post(GOOD)
    again = post(GOOD)
    assert again.pk == first.pk
    assert JournalEntry.objects.count() == 1 and JournalLine.objects.count() == 2


def test_reusing_a_key_with_different_lines_is_refused():
    post(GOOD)
    with pytest.raises(errors.IdempotencyMismatch):
        post([Line("1000", "D", 501), Line("8500", "C", 501)])
    assert JournalLine.objects.count() == 2


def test_a_reversal_mirrors_the_entry_and_keeps_the_original():
    entry = post(GOOD)
    reversal = entry_reverse(entry=entry, reason="dubbel geboekt")
    assert reversal.reverses == entry
    assert sorted((ln.account.code, ln.side, ln.amount_cents) for ln in reversal.lines.all()) == [
        ("1000", "C", 500),
        ("8500", "D", 500),
    ]
    assert entry_reverse(entry=entry, reason="again").pk == reversal.pk
    rows = {r.code: r.balance_cents for r in trial_balance(year=entry.fiscal_year)}
    assert rows == {"1000": 0, "8500": 0}


def test_nothing_posts_into_a_closed_period_and_a_correction_goes_into_an_open_one():
    with time_machine.travel("2026-01-20 12:00 +01:00"):
        entry = post(GOOD)
    period_close(year=2026, month=1, actor_id=None)
    with pytest.raises(errors.PeriodClosed):
        post([Line("1000", "D", 7), Line("8500", "C", 7)], key="late", on=date(2026, 1, 31))
    with time_machine.travel("2026-02-03 09:00 +01:00"):
        reversal = entry_reverse(entry=entry, reason="te laat ontdekt")
    assert (reversal.fiscal_year, reversal.period) == (2026, 2)


def test_lines_and_entries_cannot_be_changed_from_python():
    entry = post(GOOD)
    entry.description = "changed"
    with pytest.raises(ValueError):
        entry.save()
    line = entry.lines.first()
    with pytest.raises(ValueError):
        line.delete()


@pytest.mark.postgres
class TestDatabaseGuards:
    """PostgreSQL refuses what the service would refuse, even from raw SQL."""

    def _raw_entry(self, cursor, key):
        cursor.execute(
            "INSERT INTO ledger_journalentry (date, fiscal_year, period, kind, description,"
            " idempotency_key, cause, created_at) VALUES ('2026-03-01', 2026, 3, 'manual', 'raw', %s, '', now())"
            " RETURNING id",
            [key],
        )
        return cursor.fetchone()[0]

    def _raw_line(self, cursor, entry_id, code, side, amount):
        cursor.execute(
            "INSERT INTO ledger_journalline (entry_id, account_id, side, amount_cents, currency)"
            " SELECT %s, id, %s, %s, 'EUR' FROM ledger_account WHERE code = %s",
            [entry_id, side, amount, code],
        )

    def _commit_fails(self, cursor, match):
        from django.db import IntegrityError

        with pytest.raises(IntegrityError, match=match):
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    def test_an_unbalanced_raw_insert_is_rejected_at_commit(self):
        with connection.cursor() as cursor:
            entry_id = self._raw_entry(cursor, "raw-1")
            self._raw_line(cursor, entry_id, "1000", "D", 500)
            self._raw_line(cursor, entry_id, "8500", "C", 400)
            self._commit_fails(cursor, "unbalanced by 100 cents")

    def test_an_entry_with_one_line_is_rejected_at_commit(self):
        with connection.cursor() as cursor:
            entry_id = self._raw_entry(cursor, "raw-2")
            self._raw_line(cursor, entry_id, "1000", "D", 500)
            self._commit_fails(cursor, "at least two are needed")

    def test_a_balanced_raw_insert_is_accepted(self):
        with connection.cursor() as cursor:
            entry_id = self._raw_entry(cursor, "raw-3")
            self._raw_line(cursor, entry_id, "1000", "D", 500)
            self._raw_line(cursor, entry_id, "8500", "C", 500)
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        assert JournalLine.objects.filter(entry_id=entry_id).count() == 2

    def test_zero_amount_and_other_currency_are_rejected_by_constraints(self):
        from django.db import IntegrityError, transaction

        with transaction.atomic(), connection.cursor() as cursor:
            entry_id = self._raw_entry(cursor, "raw-4")
            for amount, currency in ((0, "EUR"), (5, "USD")):
                with pytest.raises(IntegrityError, match="ledger_line_"), transaction.atomic():
                    cursor.execute(
                        "INSERT INTO ledger_journalline (entry_id, account_id, side, amount_cents, currency)"
                        " SELECT %s, id, 'D', %s, %s FROM ledger_account WHERE code = '1000'",
                        [entry_id, amount, currency],
                    )
            transaction.set_rollback(True)  # the line-less entry would fail the balance check

    def test_a_raw_insert_into_a_closed_period_is_rejected(self):
        from django.db import DatabaseError, transaction

        period_close(year=2026, month=3, actor_id=None)
        with (
            pytest.raises(DatabaseError, match="period 2026-3 is closed"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            self._raw_entry(cursor, "raw-5")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, databases=AS_OWNER)
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE ledger_journalline SET amount_cents = 1",
        "DELETE FROM ledger_journalline",
        "UPDATE ledger_journalentry SET description = 'forged'",
        "DELETE FROM ledger_journalentry",
    ],
)
def test_update_and_delete_are_rejected_even_for_the_owner(sql):
    """The application's role may not even try (tests/backend/test_database_roles.py); the
    triggers refuse whoever may."""
    from django.db import IntegrityError, connections, transaction

    post(GOOD)
    with (
        pytest.raises(IntegrityError, match="append-only"),
        transaction.atomic(using=OWNER_ALIAS),
        connections[OWNER_ALIAS].cursor() as c,
    ):
        c.execute(sql)
    assert JournalLine.objects.filter(amount_cents=500).count() == 2


def test_the_admin_shows_entries_but_cannot_change_them(client, django_user_model):
    entry = post(GOOD)
    client.force_login(
        django_user_model.objects.create_superuser("pm", "pm@example.org", "x-long-pass-1")
    )
    page = client.get(f"/admin/ledger/journalentry/{entry.pk}/change/")
    assert page.status_code == 200 and b"8500" in page.content
    assert (
        client.post(f"/admin/ledger/journalentry/{entry.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert client.get("/admin/ledger/journalentry/add/").status_code == 403
    assert JournalEntry.objects.filter(pk=entry.pk).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("closed", [False, True])
def test_a_posted_entry_cannot_grow_later_not_even_balanced(closed):
    """Lines go in only with their entry's own transaction; a closed period changes nothing."""
    from datetime import date

    from django.db import DatabaseError, transaction

    entry = post(GOOD, on=date(2026, 3, 2))
    if closed:
        period_close(year=entry.fiscal_year, month=entry.period, actor_id=None)
    with (
        pytest.raises(DatabaseError, match="only be added in the transaction that posted it"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        for side in ("D", "C"):
            cursor.execute(
                "INSERT INTO ledger_journalline (entry_id, account_id, side, amount_cents, currency)"
                " SELECT %s, id, %s, 99900, 'EUR' FROM ledger_account WHERE code = '1000'",
                [entry.pk, side],
            )
    assert JournalLine.objects.filter(entry=entry).count() == 2
