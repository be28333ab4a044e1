"""Unspent money is owed before it is back: the pot holds only money that is on the bank."""

import importlib

import pytest
from django.apps import apps as django_apps
from django.core import mail

from community.models import AuditEvent
from ledger import chart, postings
from ledger.selectors import earmark_repayment, pot_balance, trial_balance
from ledger.services import Line, entry_post
from tests.conftest import client_for
from tests.grants.factories import (
    advance,
    board_of,
    make_application,
    make_fund,
    resident_of,
    treasurer_of,
)

pytestmark = pytest.mark.django_db

COOPERATIVE_IBAN = "NL02ABNA0123456789"


@pytest.fixture
def fund(coop_a, rivierenwijk):
    coop_a.iban, coop_a.bank_account_name = COOPERATIVE_IBAN, "Buurtcoöperatie Rivierenwijk"
    coop_a.save()
    return make_fund(coop_a, rivierenwijk, deposit_cents=1_500_000)


def reported(fund, spent_cents):
    application = advance(make_application(fund), "paid")
    response = client_for(application.applicant).post(
        f"/api/v1/applications/{application.pk}/report/",
        {"summary": "Het feest ging niet door", "spent_cents": spent_cents},
        format="json",
    )
    assert response.status_code == 200, response.json()
    return application, response.json()


def book_return(fund, application, amount_cents, reference, user=None):
    return client_for(user or treasurer_of(fund.cooperative)).post(
        f"/api/v1/applications/{application.pk}/returns/",
        {"amount_cents": amount_cents, "reference": reference},
        format="json",
    )


def available(fund):
    return pot_balance(fund.earmark).available_cents


def test_a_report_of_nothing_spent_leaves_the_pot_with_only_what_the_bank_holds(fund):
    # The case: EUR 15,000 deposited, EUR 400 paid, nothing spent.
    application, body = reported(fund, spent_cents=0)
    assert available(fund) == 1_460_000  # not 1,500,000: the 400 is still with the applicant
    assert body["owed_cents"] == 40_000
    assert body["returned_cents"] == 0 and body["written_off_cents"] == 0
    assert body["repayment"] == {
        "owed_cents": 40_000,
        "iban": COOPERATIVE_IBAN,
        "account_name": "Buurtcoöperatie Rivierenwijk",
        "reference": f"BUURTFONDS {application.pk} TERUG",
    }


def test_the_applicant_is_told_where_and_how_to_pay_back(fund, django_capture_on_commit_callbacks):
    application = advance(make_application(fund), "paid")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client_for(application.applicant).post(
            f"/api/v1/applications/{application.pk}/report/",
            {"summary": "Minder uitgegeven", "spent_cents": 30_000},
            format="json",
        )
    [message] = mail.outbox
    assert message.to == [application.applicant.email]
    assert "100,00" in message.body
    assert COOPERATIVE_IBAN in message.body
    assert f"BUURTFONDS {application.pk} TERUG" in message.body
    assert "Buurtcoöperatie Rivierenwijk" in message.body


def test_where_to_pay_back_is_for_the_applicant_and_staff_only(fund, api):
    application, _ = reported(fund, spent_cents=0)
    url = f"/api/v1/applications/{application.pk}/"
    public = api.get(url).json()
    assert public["owed_cents"] == 40_000  # what a grant cost is public
    assert public["repayment"] is None
    assert client_for(resident_of(fund)).get(url).json()["repayment"] is None
    assert client_for(treasurer_of(fund.cooperative)).get(url).json()["repayment"] is not None


def test_a_cooperative_without_an_account_falls_back_to_its_city_cooperative(fund):
    coop = fund.cooperative
    coop.iban = ""
    coop.save()
    coop.parent.iban, coop.parent.bank_account_name = "NL91ABNA0417164300", "Stadscoöperatie"
    coop.parent.save()
    _, body = reported(fund, spent_cents=0)
    assert body["repayment"]["iban"] == "NL91ABNA0417164300"
    assert body["repayment"]["account_name"] == "Stadscoöperatie"


def test_the_pot_rises_only_when_the_treasurer_books_the_arrival(fund):
    application, _ = reported(fund, spent_cents=10_000)  # EUR 300 owed
    response = book_return(fund, application, 20_000, "NL-IN-2026-001")
    assert response.status_code == 201, response.json()
    assert response.json()["owed_cents"] == 10_000
    assert response.json()["returned_cents"] == 20_000
    assert available(fund) == 1_460_000 + 20_000
    event = AuditEvent.objects.get(action="application_return_booked")
    assert event.data["reference"] == "NL-IN-2026-001" and event.data["amount_cents"] == 20_000


def test_booking_the_same_bank_reference_again_changes_nothing(fund):
    application, _ = reported(fund, spent_cents=10_000)
    assert book_return(fund, application, 20_000, "NL-IN-7").status_code == 201
    again = book_return(fund, application, 20_000, "NL-IN-7")
    assert again.status_code == 200
    assert again.json()["returned_cents"] == 20_000
    assert available(fund) == 1_480_000
    other = book_return(fund, application, 5_000, "NL-IN-7")
    assert other.status_code == 409
    assert other.json()["code"] == "return_reference_reused"
    assert available(fund) == 1_480_000


def test_never_more_than_is_owed(fund):
    application, _ = reported(fund, spent_cents=10_000)
    too_much = book_return(fund, application, 30_001, "NL-IN-8")
    assert too_much.status_code == 409
    assert too_much.json()["code"] == "return_exceeds_owed"
    assert too_much.json()["owed_cents"] == 30_000
    assert book_return(fund, application, 30_000, "NL-IN-9").status_code == 201
    nothing = book_return(fund, application, 1, "NL-IN-10")
    assert nothing.status_code == 409 and nothing.json()["code"] == "nothing_owed"
    assert available(fund) == 1_490_000


def test_an_application_that_owes_nothing_takes_no_return(fund):
    application = advance(make_application(fund), "paid")
    response = book_return(fund, application, 100, "NL-IN-11")
    assert response.status_code == 409 and response.json()["code"] == "nothing_owed"


def test_only_the_cooperatives_treasurer_books_returns(fund, coop_b):
    application, _ = reported(fund, spent_cents=0)
    for user in (
        application.applicant,
        resident_of(fund),
        board_of(fund.cooperative),
        treasurer_of(coop_b),
    ):
        assert book_return(fund, application, 100, "X-1", user=user).status_code == 403
    assert available(fund) == 1_460_000


@pytest.mark.parametrize(
    "payload",
    [
        {"amount_cents": 0, "reference": "A"},
        {"amount_cents": -5, "reference": "A"},
        {"amount_cents": "12.5", "reference": "A"},
        {"amount_cents": 100, "reference": ""},
        {"amount_cents": 100, "reference": "   "},
        {"amount_cents": 100, "reference": "A\x0bB"},
        {"amount_cents": 100, "reference": "R" * 101},
        {"amount_cents": 100},
    ],
)
def test_bad_returns_are_400_and_book_nothing(fund, payload):
    application, _ = reported(fund, spent_cents=0)
    response = client_for(treasurer_of(fund.cooperative)).post(
        f"/api/v1/applications/{application.pk}/returns/", payload, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert earmark_repayment(application.earmark).owed_cents == 40_000


def test_the_board_writes_off_what_never_comes_as_a_loss(fund):
    application, _ = reported(fund, spent_cents=10_000)
    assert book_return(fund, application, 5_000, "NL-IN-12").status_code == 201
    pot_before = available(fund)
    url = f"/api/v1/applications/{application.pk}/write-off/"
    treasurer = client_for(treasurer_of(fund.cooperative))
    assert treasurer.post(url, {"reason": "verhuisd"}, format="json").status_code == 403
    board = client_for(board_of(fund.cooperative))
    assert board.post(url, {}, format="json").status_code == 400  # a reason is required
    response = board.post(url, {"reason": "Aanvrager verhuisd, onbereikbaar"}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["owed_cents"], body["returned_cents"], body["written_off_cents"]) == (
        0,
        5_000,
        25_000,
    )
    assert body["repayment"] is None
    assert available(fund) == pot_before  # the pot never had it
    event = AuditEvent.objects.get(action="application_written_off")
    assert event.data == {"amount_cents": 25_000, "reason": "Aanvrager verhuisd, onbereikbaar"}
    rows = {r.code: r for r in trial_balance(year=application.decided_at.year)}
    assert rows[chart.BAD_DEBTS].balance_cents == 25_000
    assert rows[chart.GRANT_REFUNDS_RECEIVABLE].balance_cents == 0
    again = board.post(url, {"reason": "nog eens"}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "nothing_owed"


def test_an_application_closes_only_when_nothing_is_owed(fund):
    application, _ = reported(fund, spent_cents=39_000)
    url = f"/api/v1/applications/{application.pk}/close/"
    board = client_for(board_of(fund.cooperative))
    refused = board.post(url, {"evaluation": "successful"}, format="json")
    assert refused.status_code == 409
    assert refused.json()["code"] == "money_owed" and refused.json()["owed_cents"] == 1_000
    assert book_return(fund, application, 1_000, "NL-IN-13").status_code == 201
    closed = board.post(url, {"evaluation": "successful"}, format="json")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"


def test_books_of_the_old_shape_are_corrected_by_the_migration(fund):
    """Before this change a report put unspent money in the pot at once; the migration books
    a correction so such pots hold only what came back, and the money shows as owed."""
    application = advance(make_application(fund), "paid")
    earmark, project = application.earmark, application.earmark.project
    pot, _ = chart.POT_ACCOUNTS["fund"]
    entry_post(
        lines=[
            Line(chart.GRANT_REFUNDS_RECEIVABLE, "D", 40_000, earmark=earmark, project=project),
            Line(chart.GRANTS, "C", 40_000, earmark=earmark, project=project),
            Line(chart.WITHDRAWAL_FROM_FUNDS, "D", 40_000, earmark=earmark, project=project),
            Line(pot, "C", 40_000, earmark=earmark, project=project),
        ],
        idempotency_key=f"application:{application.pk}:report",
        kind="unspent_return",
        description="old shape",
    )
    assert available(fund) == 1_500_000  # the defect: the pot counted money not returned
    migration = importlib.import_module("ledger.migrations.0005_unspent_money_owed")
    migration.correct_early_returns(django_apps, None)
    migration.correct_early_returns(django_apps, None)  # running twice corrects once
    assert available(fund) == 1_460_000
    assert earmark_repayment(earmark).owed_cents == 40_000
    assert pot_balance(fund.earmark).returned_cents == 0
    postings.post_event(
        postings.APPLICATION_EVENTS["unspent_return"],
        earmark=earmark,
        amount_cents=40_000,
        idempotency_key=f"application:{application.pk}:return:LATE",
    )
    assert available(fund) == 1_500_000
    assert earmark_repayment(earmark).owed_cents == 0


@pytest.mark.parametrize(
    "variant", ["nl-in-55", "ＮＬ-ＩＮ-55", "NL-IN-55\u200b", "  NL-IN-55 ", "NL-\u200bIN-55"]
)
def test_one_transfer_is_one_return_however_its_reference_is_typed(fund, variant):
    """Found by an attack: the same bank reference typed differently booked again."""
    application, _ = reported(fund, spent_cents=0)
    assert book_return(fund, application, 2_500, "NL-IN-55").status_code == 201
    again = book_return(fund, application, 2_500, variant)
    assert again.status_code == 200
    assert again.json()["returned_cents"] == 2_500


def test_one_transfer_cannot_be_booked_on_two_applications(fund):
    first, _ = reported(fund, spent_cents=0)
    second, _ = reported(fund, spent_cents=0)
    assert book_return(fund, first, 2_500, "NL-IN-56").status_code == 201
    other = book_return(fund, second, 2_500, "NL-IN-56")
    assert other.status_code == 409 and other.json()["code"] == "return_reference_reused"
    assert available(fund) == 1_500_000 - 80_000 + 2_500
