"""The treasurer's bank loop: statements imported once, matched to payouts, returns, own
contributions and deposits, what is left booked or ignored by hand, and reconciliation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from banking.models import BankLine, BankStatement
from community.models import AuditEvent
from grants.models import Application, PayoutItem
from grants.services import application_report
from ledger.models import JournalEntry
from ledger.postings import post_crowdfunding
from ledger.selectors import earmark_repayment, pot_balance
from tests.banking.statement_files import (
    ABN_IBAN_2,
    ING_IBAN,
    ING_IBAN_2,
    OWN_IBAN,
    RABO_IBAN,
    RABO_IBAN_2,
    camt053,
    mt940,
)
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

OPENING = 1_500_000  # the fund's deposit, on the bank before the statement


@pytest.fixture
def fund(coop_a, rivierenwijk):
    coop_a.iban, coop_a.bank_account_name = OWN_IBAN, "Buurtcoöperatie A"
    coop_a.save()
    return make_fund(coop_a, rivierenwijk)


@pytest.fixture
def treasurer(fund):
    return treasurer_of(fund.cooperative)


def today():
    return timezone.localdate()


def upload(user, content: bytes, name="afschrift.xml"):
    return client_for(user).post(
        "/api/v1/bank/statements/",
        {"file": SimpleUploadedFile(name, content)},
        format="multipart",
    )


def batch_of(treasurer, applications, *, confirm=False) -> int:
    client = client_for(treasurer)
    batch = client.post(
        "/api/v1/payouts/",
        {"applications": [a.pk for a in applications], "execution_date": today().isoformat()},
        format="json",
    ).json()["id"]
    assert client.post(f"/api/v1/payouts/{batch}/export/").status_code == 200
    if confirm:
        assert client.post(f"/api/v1/payouts/{batch}/confirm/").status_code == 200
    return batch


@pytest.fixture
def story(fund, treasurer):
    """Three grants in an exported batch (the bank returns the third), a grant paid one-off
    and reported with EUR 100 unspent, and an own contribution promised."""
    payees = [ING_IBAN, RABO_IBAN, ING_IBAN_2]
    granted = [
        advance(
            make_application(
                fund,
                payee_iban=iban,
                payee_name=f"Groep {n}",
                amount_requested_cents=10_000 * (n + 1),
            ),
            "approved",
        )
        for n, iban in enumerate(payees)
    ]
    batch_of(treasurer, granted)
    reported = advance(make_application(fund, payee_iban=ABN_IBAN_2), "paid")
    application_report(
        application=reported,
        acting_user=reported.applicant,
        summary="Klaar",
        spent_cents=reported.amount_requested_cents - 10_000,
    )
    return granted, reported


def lines_of(story) -> list[dict]:
    (a1, a2, a3), reported = story
    day = today()
    return [
        {"amount_cents": -reported.amount_requested_cents, "counterparty_iban": ABN_IBAN_2,
         "counterparty_name": "Stichting Rijnlaan", "remittance": f"Buurtfonds {reported.pk}",
         "entry_reference": "B001", "booking_date": day},
        {"amount_cents": -10_000, "counterparty_iban": ING_IBAN, "counterparty_name": "Groep 0",
         "end_to_end_id": f"BUURTFONDS-{a1.pk}", "remittance": f"Buurtfonds {a1.pk} x",
         "entry_reference": "B002", "booking_date": day},
        {"amount_cents": -20_000, "counterparty_iban": RABO_IBAN, "counterparty_name": "Groep 1",
         "end_to_end_id": f"BUURTFONDS-{a2.pk}", "remittance": f"Buurtfonds {a2.pk} x",
         "entry_reference": "B003", "booking_date": day},
        {"amount_cents": -30_000, "counterparty_iban": ING_IBAN_2, "counterparty_name": "Groep 2",
         "end_to_end_id": f"BUURTFONDS-{a3.pk}", "remittance": f"Buurtfonds {a3.pk} x",
         "entry_reference": "B004", "booking_date": day},
        # The bank sends the third back: the account is closed.
        {"amount_cents": 30_000, "counterparty_iban": ING_IBAN_2, "counterparty_name": "Groep 2",
         "end_to_end_id": f"BUURTFONDS-{a3.pk}", "return_reason": "AC04",
         "remittance": f"Buurtfonds {a3.pk} x", "entry_reference": "B005", "booking_date": day},
        {"amount_cents": 10_000, "counterparty_iban": ABN_IBAN_2,
         "counterparty_name": "Stichting Rijnlaan", "entry_reference": "B006",
         "remittance": f"BUURTFONDS {reported.pk} TERUG", "booking_date": day},
        # A stranger's gift: no rule knows it.
        {"amount_cents": 2_500, "counterparty_iban": RABO_IBAN_2, "counterparty_name": "J. Jansen",
         "remittance": "Gift voor de buurt", "entry_reference": "B007", "booking_date": day},
    ]  # fmt: skip


def statement(story, **kwargs) -> bytes:
    kwargs.setdefault("statement_id", "2026-001")
    return camt053(
        kwargs.pop("version", "001.02"),
        opening_cents=OPENING,
        opening_date=today() - timedelta(days=1),
        closing_date=today(),
        entries=lines_of(story),
        **kwargs,
    )


def test_a_statement_imported_twice_gives_one_set_of_lines(story, treasurer):
    first = upload(treasurer, statement(story))
    again = upload(treasurer, statement(story))

    assert first.status_code == 201
    assert first.json()["new_lines"] == 7
    assert again.status_code == 200
    assert (again.json()["new_lines"], again.json()["known_lines"]) == (0, 7)
    assert BankLine.objects.count() == 7
    assert BankStatement.objects.count() == 1
    # The one-off payment and the three transfers, each once, and the returned one reversed.
    assert JournalEntry.objects.filter(kind="payout", reverses__isnull=True).count() == 4
    assert JournalEntry.objects.filter(kind="payout", reverses__isnull=False).count() == 1


def test_an_overlapping_statement_adds_only_its_new_lines(story, treasurer):
    upload(treasurer, statement(story))
    entries = [
        *lines_of(story)[-2:],
        {"amount_cents": 1_000, "remittance": "Rente", "entry_reference": "B008",
         "booking_date": today()},
    ]  # fmt: skip
    overlapping = camt053(
        "001.08",
        statement_id="2026-002",
        opening_cents=OPENING,
        entries=entries,
        opening_date=today() - timedelta(days=1),
        closing_date=today(),
    )
    answer = upload(treasurer, overlapping)
    assert (answer.json()["new_lines"], answer.json()["known_lines"]) == (1, 2)
    assert BankLine.objects.count() == 8


def test_two_identical_transfers_on_one_statement_stay_two(fund, treasurer):
    gift = {
        "amount_cents": 500,
        "remittance": "Gift",
        "counterparty_name": "A",
        "booking_date": today(),
    }
    content = mt940(entries=[gift, gift], closing_date=today(), opening_date=today())
    assert upload(treasurer, content, "a.sta").json()["new_lines"] == 2
    assert upload(treasurer, content, "a.sta").json()["new_lines"] == 0
    assert BankLine.objects.filter(amount_cents=500).count() == 2


def test_matching_confirms_payouts_returns_and_leaves_a_stranger_unmatched(story, treasurer):
    (a1, a2, a3), reported = story
    answer = upload(treasurer, statement(story))
    assert answer.json()["matched"] == 6

    by_ref = {line.entry_reference: line for line in BankLine.objects.all()}
    assert by_ref["B001"].match == "payout" and by_ref["B001"].application == reported
    assert by_ref["B002"].match == by_ref["B003"].match == by_ref["B004"].match == "payout"
    assert by_ref["B005"].match == "payout_return"
    assert by_ref["B006"].match == "repayment"
    assert by_ref["B007"].match == "unmatched"
    statuses = dict(Application.objects.values_list("pk", "status"))
    assert (statuses[a1.pk], statuses[a2.pk], statuses[a3.pk]) == ("paid", "paid", "approved")
    assert Application.objects.get(pk=a3.pk).payee_check_needed
    assert PayoutItem.objects.get(application=a3).return_reason == "AC04"
    assert earmark_repayment(Application.objects.get(pk=reported.pk).earmark).owed_cents == 0
    unmatched = client_for(treasurer).get("/api/v1/bank/lines/?matched=false").json()["results"]
    assert [line["entry_reference"] for line in unmatched] == ["B007"]
    assert len(client_for(treasurer).get("/api/v1/bank/lines/").json()["results"]) == 7


def test_a_confirmed_batch_is_linked_not_booked_again(fund, treasurer):
    granted = advance(make_application(fund, payee_iban=ING_IBAN), "approved")
    batch_of(treasurer, [granted], confirm=True)
    entries = [{"amount_cents": -granted.amount_requested_cents, "counterparty_iban": ING_IBAN,
                "end_to_end_id": f"BUURTFONDS-{granted.pk}", "entry_reference": "C1",
                "booking_date": today()}]  # fmt: skip
    upload(treasurer, camt053(entries=entries, closing_date=today(), opening_date=today()))
    assert BankLine.objects.get().match == "payout"
    assert JournalEntry.objects.filter(kind="payout").count() == 1


def test_reconciliation_shows_zero_difference_after_matching(story, treasurer, fund):
    upload(treasurer, statement(story))
    client = client_for(treasurer)
    before = client.get(f"/api/v1/bank/reconciliation/?date={today()}").json()
    assert before["difference_cents"] == 2_500  # the stranger's gift, not in the books
    assert before["unexplained_cents"] == 0
    assert [line["entry_reference"] for line in before["open_lines"]] == ["B007"]

    gift = BankLine.objects.get(entry_reference="B007")
    booked = client.post(f"/api/v1/bank/lines/{gift.pk}/book/", {"account": "8500"})
    assert booked.status_code == 200
    after = client.get(f"/api/v1/bank/reconciliation/?date={today()}").json()

    assert after["bank_balance_cents"] == after["ledger_balance_cents"]
    assert (after["difference_cents"], after["unexplained_cents"]) == (0, 0)
    assert after["open_lines"] == []
    call_command("reconcile", date=today().isoformat())  # exits 0
    assert AuditEvent.objects.filter(action="bank_line_booked", object_id=gift.pk).exists()


def test_the_reconcile_command_fails_on_a_difference_nothing_explains(story, treasurer, capsys):
    upload(treasurer, statement(story, closing_cents=OPENING))  # a closing balance that is off
    with pytest.raises(CommandError) as failed:
        call_command("reconcile", date=today().isoformat())
    assert failed.value.returncode == 1
    assert "unexplained" in capsys.readouterr().out


def test_an_mt940_statement_matches_payouts_by_amount_iban_and_reference(fund, treasurer):
    granted = advance(make_application(fund, payee_iban=RABO_IBAN), "approved")
    other = advance(make_application(fund, payee_iban=ING_IBAN), "approved")
    batch_of(treasurer, [granted, other])
    entries = [
        # No end-to-end id in this export: the reference in the text, the IBAN and the amount.
        {"amount_cents": -granted.amount_requested_cents, "counterparty_iban": RABO_IBAN,
         "counterparty_name": "Stichting", "remittance": f"Buurtfonds {granted.pk} Buurtbbq",
         "booking_date": today()},
        # The right reference, another account: not this payout.
        {"amount_cents": -other.amount_requested_cents, "counterparty_iban": RABO_IBAN_2,
         "remittance": f"Buurtfonds {other.pk} Buurtbbq", "booking_date": today()},
    ]  # fmt: skip
    content = mt940(
        entries=entries, bank="rabobank", opening_cents=OPENING, closing_date=today(),
        opening_date=today(),
    )  # fmt: skip

    for _ in range(2):
        assert upload(treasurer, content, "rabo.sta").status_code in (200, 201)

    assert BankLine.objects.count() == 2
    assert Application.objects.get(pk=granted.pk).status == "paid"
    assert Application.objects.get(pk=other.pk).status == "approved"
    assert list(BankLine.objects.values_list("match", flat=True).order_by("position")) == [
        "payout",
        "unmatched",
    ]


def test_own_contributions_are_booked_once_by_reference_and_counted(fund, treasurer):
    application = advance(make_application(fund, own_contribution_cents=5_000), "approved")
    client = client_for(treasurer)
    url = f"/api/v1/applications/{application.pk}/own-contributions/"
    body = {"amount_cents": 3_000, "reference": "ING 2026-11-27 001", "source": "participants"}

    first = client.post(url, body, format="json")
    again = client.post(url, {**body, "reference": " ing 2026-11-27 001 "}, format="json")
    too_much = client.post(url, {**body, "reference": "R2"}, format="json")

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["own_contribution_received_cents"] == 3_000
    assert too_much.status_code == 409
    assert too_much.json()["code"] == "own_contribution_exceeds"
    assert too_much.json()["remaining_cents"] == 2_000
    report = client.get(f"/api/v1/ledger/own-contribution/?year={today().year}").json()
    assert report[0]["own_income_by_source"]["participants"] == 3_000
    # From the statement: the rest, by the reference in the text.
    entries = [{"amount_cents": 2_000, "remittance": f"BUURTFONDS {application.pk} EIGEN",
                "entry_reference": "E1", "booking_date": today()}]  # fmt: skip
    upload(treasurer, camt053(entries=entries, closing_date=today(), opening_date=today()))
    assert BankLine.objects.get().match == "own_contribution"
    assert (
        client.get(f"/api/v1/applications/{application.pk}/").json()[
            "own_contribution_received_cents"
        ]
        == 5_000
    )


def test_own_contributions_need_the_treasurer_and_a_known_source(fund, treasurer):
    application = advance(make_application(fund), "approved")
    url = f"/api/v1/applications/{application.pk}/own-contributions/"
    body = {"amount_cents": 1_000, "reference": "X"}
    for user in (board_of(fund.cooperative), application.applicant, resident_of(fund)):
        assert client_for(user).post(url, body, format="json").status_code == 403
    wrong = client_for(treasurer).post(url, {**body, "source": "subsidy"}, format="json")
    assert wrong.status_code == 400
    assert not JournalEntry.objects.filter(kind="income").exists()


def test_a_line_matching_an_earlier_deposit_is_linked_not_booked_again(fund, treasurer):
    client = client_for(treasurer)
    deposit = {"amount_cents": 50_000, "source": "subsidy", "reference": "GEMEENTE-2026-Q4"}
    assert (
        client.post(f"/api/v1/funds/{fund.pk}/deposits/", deposit, format="json").status_code == 201
    )
    entries = [{"amount_cents": 50_000, "counterparty_name": "Gemeente Utrecht",
                "remittance": "GEMEENTE-2026-Q4", "entry_reference": "D1", "booking_date": today()}]  # fmt: skip
    upload(treasurer, camt053(entries=entries, closing_date=today(), opening_date=today()))
    line = BankLine.objects.get()
    assert (line.match, line.fund_id) == ("deposit", fund.pk)
    assert JournalEntry.objects.filter(kind="deposit").count() == 2  # make_fund's and this one


def test_a_line_booked_by_hand_into_a_fund_is_a_deposit_once(fund, treasurer):
    entries = [{"amount_cents": 25_000, "counterparty_name": "Woningcorporatie",
                "remittance": "Sponsoring buurtfonds", "entry_reference": "S1", "booking_date": today()}]  # fmt: skip
    upload(treasurer, camt053(entries=entries, closing_date=today(), opening_date=today()))
    line = BankLine.objects.get()
    client = client_for(treasurer)
    before = pot_balance(fund.earmark).available_cents

    booked = client.post(
        f"/api/v1/bank/lines/{line.pk}/book/", {"account": "8200", "fund": fund.pk}
    )
    again = client.post(f"/api/v1/bank/lines/{line.pk}/book/", {"account": "8200", "fund": fund.pk})
    # The same transfer through the deposits endpoint, with the bank's reference: no double.
    client.post(
        f"/api/v1/funds/{fund.pk}/deposits/",
        {"amount_cents": 25_000, "source": "sponsoring", "reference": "S1"},
        format="json",
    )

    assert booked.status_code == 200 and booked.json()["match"] == "deposit"
    assert again.status_code == 409 and again.json()["code"] == "bank_line_handled"
    assert pot_balance(fund.earmark).available_cents == before + 25_000


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"account": "3100"}, "account_not_bookable"),  # a fund's pot: through a deposit
        ({"account": "2100"}, "account_not_bookable"),
        ({"account": "1000"}, "account_not_bookable"),
        ({"account": "9999"}, "account_not_bookable"),
        ({"account": "abc"}, "invalid"),
        ({"account": "4100", "fund": 999999}, "fund_not_yours"),
    ],
)
def test_a_line_is_booked_by_hand_only_against_a_sensible_account(fund, treasurer, body, code):
    entries = [{"amount_cents": 100, "entry_reference": "Z1", "booking_date": today()}]
    upload(treasurer, camt053(entries=entries, closing_date=today(), opening_date=today()))
    line = BankLine.objects.get()
    answer = client_for(treasurer).post(f"/api/v1/bank/lines/{line.pk}/book/", body)
    assert answer.status_code == 400
    assert answer.json()["code"] == code
    assert BankLine.objects.get().match == "unmatched"


def test_ignoring_a_line_keeps_it_in_the_reconciliation_with_its_reason(fund, treasurer):
    entries = [{"amount_cents": -700, "remittance": "Naar spaarrekening", "entry_reference": "I1",
                "booking_date": today()}]  # fmt: skip
    upload(treasurer, camt053(entries=entries, closing_date=today(), opening_date=today()))
    line = BankLine.objects.get()
    client = client_for(treasurer)
    answer = client.post(f"/api/v1/bank/lines/{line.pk}/ignore/", {"reason": "eigen rekening"})
    assert answer.status_code == 200 and answer.json()["match"] == "ignored"
    assert client.get("/api/v1/bank/lines/?matched=false").json()["results"] == []
    report = client.get(f"/api/v1/bank/reconciliation/?date={today()}").json()
    assert [x["note"] for x in report["open_lines"]] == ["eigen rekening"]
    assert AuditEvent.objects.filter(action="bank_line_ignored").count() == 1


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "invalid"),  # the upload itself is empty
        (b"hello, this is no statement", "statement_invalid"),
        (b"<Document><BkToCstmrStmt>", "statement_invalid"),
        (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
         "statement_invalid"),
    ],
)  # fmt: skip
def test_a_malformed_statement_is_refused_and_nothing_is_stored(fund, treasurer, content, code):
    answer = upload(treasurer, content)
    assert answer.status_code == 400
    assert answer.json()["code"] == code
    assert answer.json()["detail"]
    assert not BankStatement.objects.exists() and not BankLine.objects.exists()


def test_a_statement_of_another_account_is_refused(fund, treasurer, coop_b):
    coop_b.iban = RABO_IBAN
    coop_b.save()
    for iban in (ING_IBAN, RABO_IBAN):  # nobody's, and another cooperative's
        answer = upload(treasurer, camt053(iban=iban, entries=[]))
        assert answer.status_code == 400
        assert answer.json()["code"] == "statement_account_unknown"
    assert not BankStatement.objects.exists()


def test_only_the_cooperatives_treasurers_import_and_read_its_bank(story, treasurer, coop_b):
    upload(treasurer, statement(story))
    line = BankLine.objects.first()
    (a1, _, _), _ = story
    for user in (treasurer_of(coop_b), board_of(a1.fund.cooperative), a1.applicant):
        client = client_for(user)
        assert upload(user, statement(story)).status_code in (400, 403)
        assert client.get("/api/v1/bank/lines/").json()["results"] == []
        assert client.get("/api/v1/bank/statements/").json()["results"] == []
        assert client.get(f"/api/v1/bank/lines/{line.pk}/").status_code == 404
        assert (
            client.post(f"/api/v1/bank/lines/{line.pk}/ignore/", {"reason": "x"}).status_code == 404
        )
        assert client.get(f"/api/v1/bank/reconciliation/?date={today()}").status_code in (403, 404)
    assert client_for(None).get("/api/v1/bank/lines/").status_code == 401
    assert BankLine.objects.filter(match="ignored").count() == 0


@pytest.mark.parametrize(
    ("megabytes", "status", "code"),
    [(11, 400, "statement_too_large"), (50, 413, "request_too_large")],
)
def test_an_oversized_upload_is_refused_before_it_is_read(fund, treasurer, megabytes, status, code):
    """Over a statement's 10 MB the view refuses it; over any upload's size, the middleware."""
    answer = client_for(treasurer).post(
        "/api/v1/bank/statements/",
        data=b"x",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(megabytes * 1024 * 1024),
    )
    assert answer.status_code == status
    assert answer.json()["code"] == code
    assert not BankStatement.objects.exists()


def test_a_plain_credit_with_our_end_to_end_id_does_not_undo_a_payout(fund, treasurer):
    """Anyone can send money to the account and type our end-to-end id into it; only the
    bank's return information says a payout came back."""
    granted = advance(make_application(fund, payee_iban=ING_IBAN), "approved")
    batch_of(treasurer, [granted], confirm=True)
    copy = {"amount_cents": granted.amount_requested_cents, "counterparty_iban": RABO_IBAN_2,
            "end_to_end_id": f"BUURTFONDS-{granted.pk}", "entry_reference": "X1",
            "booking_date": today()}  # fmt: skip
    upload(treasurer, camt053(entries=[copy], closing_date=today(), opening_date=today()))
    assert BankLine.objects.get().match == "unmatched"
    assert Application.objects.get(pk=granted.pk).status == "paid"
    assert not JournalEntry.objects.filter(reverses__isnull=False).exists()


def test_a_return_from_another_account_than_the_payees_is_not_taken(fund, treasurer):
    granted = advance(make_application(fund, payee_iban=ING_IBAN), "approved")
    batch_of(treasurer, [granted], confirm=True)
    back = {"amount_cents": granted.amount_requested_cents, "counterparty_iban": RABO_IBAN_2,
            "end_to_end_id": f"BUURTFONDS-{granted.pk}", "return_reason": "AC04",
            "entry_reference": "X2", "booking_date": today()}  # fmt: skip
    upload(treasurer, camt053(entries=[back], closing_date=today(), opening_date=today()))
    assert BankLine.objects.get().match == "unmatched"
    assert Application.objects.get(pk=granted.pk).status == "paid"


def test_a_deposit_is_linked_to_one_line_of_its_own_amount(fund, treasurer):
    client = client_for(treasurer)
    deposit = {"amount_cents": 50_000, "source": "subsidy", "reference": "GEMEENTE-Q4"}
    client.post(f"/api/v1/funds/{fund.pk}/deposits/", deposit, format="json")
    entries = [
        # A stranger copies the reference with another amount, then the real one, then a copy.
        {"amount_cents": 1, "remittance": "GEMEENTE-Q4", "entry_reference": "G0"},
        {"amount_cents": 50_000, "remittance": "GEMEENTE-Q4", "entry_reference": "G1"},
        {"amount_cents": 50_000, "remittance": "GEMEENTE-Q4", "entry_reference": "G2"},
    ]
    for entry in entries:
        entry["booking_date"] = today()
    upload(treasurer, camt053(entries=entries, closing_date=today(), opening_date=today()))
    matches = dict(BankLine.objects.values_list("entry_reference", "match"))
    assert matches == {"G0": "unmatched", "G1": "deposit", "G2": "unmatched"}


def stripe_holds_97_euros_for(fund) -> None:
    """A donor gave EUR 100 to an approved application of ``fund``; Stripe kept EUR 3."""
    application = advance(make_application(fund), "approved")
    post_crowdfunding(
        earmark=application.earmark,
        amount_cents=10_000,
        fee_cents=300,
        idempotency_key=f"topup:{application.pk}",
        description="Crowdfunding",
    )


def test_only_a_credit_from_stripe_up_to_its_balance_is_a_stripe_payout(fund, treasurer):
    stripe_holds_97_euros_for(fund)
    entries = [
        {"amount_cents": 500, "counterparty_name": "J. Jansen", "remittance": "STRIPE payout",
         "entry_reference": "P0"},
        {"amount_cents": 9_701, "counterparty_name": "Stripe Technology Europe",
         "entry_reference": "P1"},  # more than Stripe holds for us
        {"amount_cents": 9_700, "counterparty_name": "Stripe Technology Europe",
         "remittance": "STRIPE PAYOUT po_123", "entry_reference": "P2"},
    ]  # fmt: skip
    for entry in entries:
        entry["booking_date"] = today()
    upload(treasurer, camt053(entries=entries, closing_date=today(), opening_date=today()))
    matches = dict(BankLine.objects.values_list("entry_reference", "match"))
    assert matches == {"P0": "unmatched", "P1": "unmatched", "P2": "processor_payout"}
    assert JournalEntry.objects.filter(kind="processor_payout").count() == 1


def test_a_stripe_payout_counts_only_the_top_ups_of_its_own_cooperative(fund, coop_b, lunetten):
    """Stripe holds EUR 97 for A's application and nothing for B: a Stripe credit of EUR 97
    on B's statement is not B's money, and booking it would put B's clearing below zero."""
    stripe_holds_97_euros_for(fund)
    coop_b.iban, coop_b.bank_account_name = RABO_IBAN, "Buurtcoöperatie B"
    coop_b.save()
    make_fund(coop_b, lunetten)
    credit = {"amount_cents": 9_700, "counterparty_name": "Stripe Technology Europe",
              "entry_reference": "PB", "booking_date": today()}  # fmt: skip
    answer = upload(
        treasurer_of(coop_b),
        camt053(iban=RABO_IBAN, entries=[credit], closing_date=today(), opening_date=today()),
    )
    assert answer.status_code in (200, 201), answer.json()
    assert BankLine.objects.get(entry_reference="PB").match == "unmatched"
    assert not JournalEntry.objects.filter(kind="processor_payout").exists()
