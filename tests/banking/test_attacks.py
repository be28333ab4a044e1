"""Attacks on payout batches, bank statements and matching.

Tests named ``test_finding_*`` are weaknesses an attack found; each fails on the code before
its fix (banking/statements.py reads no key a sender typed after /REMI/, matching takes only
the bank's return information, deposits and Stripe payouts by amount, lines keyed alone).
The others are attacks that held.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from banking.models import BankLine, BankStatement
from grants.models import Application, PayoutBatch, PayoutItem
from grants.services import application_report
from ledger.models import JournalEntry
from ledger.selectors import earmark_repayment
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

OPENING = 1_500_000
B_IBAN = "NL02ABNA0123456789"


# --- helpers ---------------------------------------------------------------------------------


def today():
    return timezone.localdate()


@pytest.fixture
def fund(coop_a, rivierenwijk):
    coop_a.iban, coop_a.bank_account_name = OWN_IBAN, "Buurtcoöperatie A"
    coop_a.save()
    return make_fund(coop_a, rivierenwijk)


@pytest.fixture
def fund_b(coop_b, lunetten):
    coop_b.iban, coop_b.bank_account_name = B_IBAN, "Buurtcoöperatie B"
    coop_b.save()
    return make_fund(coop_b, lunetten)


@pytest.fixture
def treasurer(fund):
    return treasurer_of(fund.cooperative)


@pytest.fixture
def treasurer_b(fund_b):
    return treasurer_of(fund_b.cooperative)


def upload(user, content: bytes, name="afschrift.xml", **extra):
    return client_for(user).post(
        "/api/v1/bank/statements/",
        {"file": SimpleUploadedFile(name, content)},
        format="multipart",
        **extra,
    )


def statement(entries, *, iban=OWN_IBAN, statement_id="ATK-1", version="001.02") -> bytes:
    return camt053(
        version,
        iban=iban,
        statement_id=statement_id,
        opening_cents=OPENING,
        opening_date=today() - timedelta(days=1),
        closing_date=today(),
        entries=entries,
    )


def mt940_statement(entries, *, bank="ing", statement_id="P-ATK-1") -> bytes:
    return mt940(
        statement_id=statement_id,
        opening_cents=OPENING,
        opening_date=today() - timedelta(days=1),
        closing_date=today(),
        entries=entries,
        bank=bank,
    )


def batch_of(treasurer, applications, *, confirm=False) -> int:
    client = client_for(treasurer)
    answer = client.post(
        "/api/v1/payouts/",
        {"applications": [a.pk for a in applications], "execution_date": today().isoformat()},
        format="json",
    )
    assert answer.status_code == 201, answer.json()
    batch = answer.json()["id"]
    assert client.post(f"/api/v1/payouts/{batch}/export/").status_code == 200
    if confirm:
        assert client.post(f"/api/v1/payouts/{batch}/confirm/").status_code == 200
    return batch


def approved(fund, **fields):
    fields.setdefault("payee_iban", ING_IBAN)
    fields.setdefault("payee_name", "Bewonersgroep Rijnlaan")
    return advance(make_application(fund, **fields), "approved")


def assert_error(response, *statuses):
    assert response.status_code in (statuses or range(400, 500)), (
        response.status_code,
        response.content[:300],
    )
    body = response.json()
    assert set(body) >= {"code", "detail"}, body


# --- coop B against coop A: these hold -------------------------------------------------------


def test_treasurer_of_b_cannot_see_or_act_on_a_batch_of_a(fund, treasurer, treasurer_b):
    application = approved(fund)
    batch = batch_of(treasurer, [application])
    client = client_for(treasurer_b)

    assert client.get("/api/v1/payouts/").json()["results"] == []
    assert client.get(f"/api/v1/payouts/?cooperative={fund.cooperative_id}").status_code in (
        200,
        400,
    )
    for method, path in [
        ("get", f"/api/v1/payouts/{batch}/"),
        ("get", f"/api/v1/payouts/{batch}/sepa/"),
        ("post", f"/api/v1/payouts/{batch}/export/"),
        ("post", f"/api/v1/payouts/{batch}/confirm/"),
        ("post", f"/api/v1/payouts/{batch}/cancel/"),
    ]:
        assert_error(getattr(client, method)(path), 404)
    assert PayoutBatch.objects.get(pk=batch).status == PayoutBatch.Status.EXPORTED
    assert PayoutItem.objects.get(batch_id=batch).status == PayoutItem.Status.PENDING


def test_board_and_applicant_of_a_cannot_reach_batches(fund, treasurer):
    application = approved(fund)
    batch = batch_of(treasurer, [application])
    for user in (board_of(fund.cooperative), application.applicant, resident_of(fund)):
        client = client_for(user)
        assert client.get("/api/v1/payouts/").json()["results"] == []
        assert_error(client.get(f"/api/v1/payouts/{batch}/sepa/"), 404)
        assert_error(client.post(f"/api/v1/payouts/{batch}/confirm/"), 404)
        assert_error(
            client.post(
                "/api/v1/payouts/",
                {"applications": [application.pk], "execution_date": today().isoformat()},
                format="json",
            ),
            403,
        )


def test_treasurer_of_b_learns_nothing_about_a_draft_of_a(fund, fund_b, treasurer_b):
    draft = make_application(fund)
    approved_a = approved(fund)
    missing = Application.objects.order_by("-pk").first().pk + 1000
    client = client_for(treasurer_b)

    def refusal(pk):
        answer = client.post(
            "/api/v1/payouts/",
            {"applications": [pk], "execution_date": today().isoformat()},
            format="json",
        )
        assert_error(answer)
        body = answer.json()
        body.pop("application")
        return answer.status_code, body

    assert refusal(draft.pk) == refusal(missing) == refusal(approved_a.pk)
    assert not PayoutBatch.objects.exists()


def test_treasurer_of_b_cannot_batch_a_and_b_together(fund, fund_b, treasurer, treasurer_b):
    a, b = approved(fund), approved(fund_b)
    answer = client_for(treasurer_b).post(
        "/api/v1/payouts/",
        {"applications": [b.pk, a.pk], "execution_date": today().isoformat()},
        format="json",
    )
    assert_error(answer)
    assert not PayoutBatch.objects.exists()


def test_treasurer_of_b_cannot_import_a_statement_of_a(fund, fund_b, treasurer_b):
    answer = upload(
        treasurer_b, statement([{"amount_cents": 100, "entry_reference": "X1"}], iban=OWN_IBAN)
    )
    assert_error(answer, 400)
    assert not BankStatement.objects.exists() and not BankLine.objects.exists()


def test_treasurer_of_b_cannot_read_or_handle_lines_or_reconciliation_of_a(
    fund, fund_b, treasurer, treasurer_b
):
    upload(treasurer, statement([{"amount_cents": 2_500, "remittance": "Gift",
                                  "entry_reference": "G1", "booking_date": today()}]))  # fmt: skip
    line = BankLine.objects.get()
    client = client_for(treasurer_b)
    assert client.get("/api/v1/bank/lines/").json()["results"] == []
    assert (
        client.get(f"/api/v1/bank/lines/?cooperative={fund.cooperative_id}").json()["results"] == []
    )
    assert client.get("/api/v1/bank/statements/").json()["results"] == []
    assert_error(client.get(f"/api/v1/bank/lines/{line.pk}/"), 404)
    assert_error(
        client.post(f"/api/v1/bank/lines/{line.pk}/book/", {"account": "8500"}, format="json"),
        404,
    )
    assert_error(
        client.post(f"/api/v1/bank/lines/{line.pk}/ignore/", {"reason": "x"}, format="json"), 404
    )
    assert_error(
        client.get(
            f"/api/v1/bank/reconciliation/?date={today()}&cooperative={fund.cooperative_id}"
        ),
        404,
    )
    line.refresh_from_db()
    assert line.match == BankLine.Match.UNMATCHED


def test_treasurer_of_a_cannot_book_a_line_into_a_fund_of_b(fund, fund_b, treasurer):
    upload(treasurer, statement([{"amount_cents": 2_500, "remittance": "Gift",
                                  "entry_reference": "G1", "booking_date": today()}]))  # fmt: skip
    line = BankLine.objects.get()
    answer = client_for(treasurer).post(
        f"/api/v1/bank/lines/{line.pk}/book/",
        {"account": "8500", "fund": fund_b.pk},
        format="json",
    )
    assert_error(answer, 400)
    line.refresh_from_db()
    assert line.match == BankLine.Match.UNMATCHED


def test_a_repayment_naming_an_application_of_another_coop_books_nothing(
    fund, fund_b, treasurer, treasurer_b
):
    """A resident writes "BUURTFONDS <id of A's grant> TERUG/EIGEN" on a transfer to B."""
    paid_a = advance(make_application(fund), "paid")
    application_report(
        application=paid_a, acting_user=paid_a.applicant, summary="x", spent_cents=30_000
    )
    owed = earmark_repayment(paid_a.earmark).owed_cents
    assert owed == 10_000
    answer = upload(
        treasurer_b,
        statement(
            [
                {
                    "amount_cents": 10_000,
                    "remittance": f"BUURTFONDS {paid_a.pk} TERUG",
                    "counterparty_iban": ABN_IBAN_2,
                    "entry_reference": "R1",
                    "booking_date": today(),
                },
                {
                    "amount_cents": 1_000,
                    "remittance": f"BUURTFONDS {paid_a.pk} EIGEN",
                    "counterparty_iban": ABN_IBAN_2,
                    "entry_reference": "R2",
                    "booking_date": today(),
                },
            ],  # fmt: skip
            iban=B_IBAN,
        ),
    )
    assert answer.status_code == 201
    assert set(BankLine.objects.values_list("match", flat=True)) == {BankLine.Match.UNMATCHED}
    assert set(BankLine.objects.values_list("note", flat=True)) == {""}  # not even a hint
    assert earmark_repayment(paid_a.earmark).owed_cents == owed


def test_a_return_carrying_another_coops_end_to_end_id_reverses_nothing(
    fund, fund_b, treasurer, treasurer_b
):
    application = approved(fund)
    batch_of(treasurer, [application], confirm=True)
    upload(
        treasurer_b,
        statement(
            [
                {
                    "amount_cents": application.amount_requested_cents,
                    "return_reason": "AC04",
                    "end_to_end_id": f"BUURTFONDS-{application.pk}",
                    "counterparty_iban": ING_IBAN,
                    "remittance": f"Buurtfonds {application.pk}",
                    "entry_reference": "RT1",
                    "booking_date": today(),
                }
            ],  # fmt: skip
            iban=B_IBAN,
        ),
    )
    application.refresh_from_db()
    assert application.status == Application.Status.PAID
    assert PayoutItem.objects.get(application=application).status == PayoutItem.Status.PAID
    assert BankLine.objects.get().match == BankLine.Match.UNMATCHED


def test_an_own_contribution_over_the_promise_is_not_booked(fund, treasurer):
    application = approved(fund)  # own contribution promised: 5_000
    upload(
        treasurer,
        statement(
            [
                {
                    "amount_cents": 5_001,
                    "remittance": f"BUURTFONDS {application.pk} EIGEN",
                    "entry_reference": "E1",
                    "booking_date": today(),
                }
            ]
        ),  # fmt: skip
    )
    line = BankLine.objects.get()
    assert line.match == BankLine.Match.UNMATCHED
    assert line.note


def test_a_repayment_over_what_is_owed_is_not_booked(fund, treasurer):
    application = advance(make_application(fund), "paid")
    application_report(
        application=application, acting_user=application.applicant, summary="x",
        spent_cents=39_000,
    )  # fmt: skip
    upload(
        treasurer,
        statement(
            [
                {
                    "amount_cents": 50_000,
                    "remittance": f"BUURTFONDS {application.pk} TERUG",
                    "entry_reference": "T1",
                    "booking_date": today(),
                }
            ]
        ),  # fmt: skip
    )
    assert BankLine.objects.get().match == BankLine.Match.UNMATCHED
    assert earmark_repayment(application.earmark).owed_cents == 1_000


# --- payees and paying twice: these hold ----------------------------------------------------


def test_the_payee_is_locked_from_export_and_pay_and_cancel_are_refused(fund, treasurer):
    application = approved(fund)
    batch = batch_of(treasurer, [application])
    applicant = client_for(application.applicant)
    answer = applicant.patch(
        f"/api/v1/applications/{application.pk}/payee/",
        {"payee_name": "Boef", "payee_iban": RABO_IBAN_2},
        format="json",
    )
    assert_error(answer, 409, 400)
    assert_error(client_for(treasurer).post(f"/api/v1/applications/{application.pk}/pay/"))
    assert_error(
        client_for(board_of(fund.cooperative)).post(
            f"/api/v1/applications/{application.pk}/cancel/", {}, format="json"
        )
    )
    application.refresh_from_db()
    assert (application.payee_iban, application.status) == (ING_IBAN, Application.Status.APPROVED)
    item = PayoutItem.objects.get(batch_id=batch)
    assert item.payee_iban == ING_IBAN


def test_confirm_then_the_statement_debit_books_the_grant_once(fund, treasurer):
    application = approved(fund)
    batch_of(treasurer, [application], confirm=True)
    debit = {"amount_cents": -application.amount_requested_cents, "counterparty_iban": ING_IBAN,
             "end_to_end_id": application.payment_reference, "entry_reference": "D1",
             "booking_date": today()}  # fmt: skip
    upload(treasurer, statement([debit]))
    # The bank (or a careless upload) books the same transfer twice: the second stays open.
    upload(treasurer, statement([{**debit, "entry_reference": "D2"}], statement_id="ATK-2"))
    assert JournalEntry.objects.filter(kind="payout", reverses__isnull=True).count() == 1
    assert list(BankLine.objects.order_by("pk").values_list("match", flat=True)) == [
        BankLine.Match.PAYOUT,
        BankLine.Match.UNMATCHED,
    ]
    assert_error(client_for(treasurer).post(f"/api/v1/applications/{application.pk}/pay/"))


# --- statement files: these hold ------------------------------------------------------------

XXE = (
    b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">&x;</Document>'
)
LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
    + b"".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">'.encode() for i in range(8)
    )
    + b']><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">&i;</Document>'
)
DEEP = (
    b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">'
    + b"<a>" * 100_000
    + b"</a>" * 100_000
    + b"</Document>"
)


def _bad_date_camt() -> bytes:
    return statement([{"amount_cents": 100, "booking_date": today()}]).replace(
        today().isoformat().encode(), b"2024-02-30"
    )


@pytest.mark.parametrize(
    "content",
    [
        XXE,
        LAUGHS,
        XXE.decode().encode("utf-16"),
        LAUGHS.replace(b'<?xml version="1.0"?>', b"").decode().encode("utf-16-le"),
        DEEP,
        b"<" + b"\xff\xfe\x00" * 1000,
        b"\x00" * 5000,
        _bad_date_camt(),
        b":20:X\r\n:25:" + OWN_IBAN.encode() + b"\r\n:28C:1\r\n:60F:C249930EUR1,00\r\n"
        b":61:2402301301C1,00NTRFNONREF\r\n:62F:C240230EUR2,00\r\n",
        statement(
            [{"amount_cents": 100, "booking_date": today(), "amount_text": "99999999999999999.99"}]
        ),  # fmt: skip
    ],
    ids=[
        "xxe",
        "laughs",
        "xxe-utf16",
        "laughs-utf16le",
        "deep",
        "binary",
        "nul",
        "feb30",
        "mt940-bad-dates",
        "huge-amount",
    ],  # fmt: skip
)
def test_crafted_statement_files_are_refused_with_400_and_store_nothing(fund, treasurer, content):
    answer = upload(treasurer, content)
    assert_error(answer, 400)
    assert not BankStatement.objects.exists() and not BankLine.objects.exists()


def test_a_statement_as_json_or_without_file_is_a_4xx(fund, treasurer):
    client = client_for(treasurer)
    assert_error(client.post("/api/v1/bank/statements/", {"file": "x"}, format="json"), 415)
    assert_error(client.post("/api/v1/bank/statements/", {}, format="multipart"), 400)
    assert_error(client.post("/api/v1/bank/statements/", {"file": "abc"}, format="multipart"))
    assert_error(
        client.post(
            "/api/v1/bank/statements/",
            data=b"garbage",
            content_type="multipart/form-data; boundary=zzz",
        )
    )
    assert_error(upload(resident_of(fund), statement([])), 403)


# --- fuzzing the new endpoints: these hold --------------------------------------------------

HUGE = 10**30


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"applications": []},
        {"applications": [-1], "execution_date": "2030-01-01"},
        {"applications": [0], "execution_date": "2030-01-01"},
        {"applications": [HUGE], "execution_date": "2030-01-01"},
        {"applications": ["x"], "execution_date": "2030-01-01"},
        {"applications": "1,2", "execution_date": "2030-01-01"},
        {"applications": [1, 1], "execution_date": "2030-01-01"},
        {"applications": [1], "execution_date": "2024-02-30"},
        {"applications": [1], "execution_date": "1900-01-01"},
        {"applications": [1], "execution_date": "9999-12-31"},
        {"applications": [1], "execution_date": None},
        {"applications": [None]},
        {"applications": list(range(1, 502)), "execution_date": "2030-01-01"},
        {"applications": [{"id": 1}], "execution_date": "2030-01-01"},
    ],
)
def test_fuzz_payout_create(fund, treasurer, body):
    assert_error(client_for(treasurer).post("/api/v1/payouts/", body, format="json"))


@pytest.mark.parametrize(
    "path",
    ["-1", "0", str(HUGE), "abc", "1.5", "%00", str(2**63)],
)
@pytest.mark.parametrize(
    "method,suffix",
    [
        ("get", ""),
        ("get", "sepa/"),
        ("post", "export/"),
        ("post", "confirm/"),
        ("post", "cancel/"),
    ],  # fmt: skip
)
def test_fuzz_payout_ids(fund, treasurer, path, method, suffix):
    answer = getattr(client_for(treasurer), method)(f"/api/v1/payouts/{path}/{suffix}")
    assert_error(answer, 404)


def test_fuzz_payout_list_filters_and_bodies(fund, treasurer):
    client = client_for(treasurer)
    for query in (f"cooperative={HUGE}", "cooperative=abc", "status=bogus", "cooperative=-1",
                  "page=abc", f"page={HUGE}"):  # fmt: skip
        answer = client.get(f"/api/v1/payouts/?{query}")
        assert answer.status_code < 500, (query, answer.status_code)
    batch = batch_of(treasurer, [approved(fund)])
    assert_error(client.post(f"/api/v1/payouts/{batch}/cancel/", {"reason": "x" * 501},
                             format="json"), 400)  # fmt: skip
    assert_error(
        client.post(f"/api/v1/payouts/{batch}/cancel/", "[]", content_type="application/json")
    )
    assert_error(
        client.post(f"/api/v1/payouts/{batch}/cancel/", "{", content_type="application/json")
    )


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"account": "8500", "fund": -1},
        {"account": "8500", "fund": HUGE},
        {"account": "8500", "fund": "x"},
        {"account": 8500.5},
        {"account": "85000"},
        {"account": "1000"},
        {"account": "3100"},
        {"account": "9999"},
        {"account": "8500", "description": "x" * 501},
        {"account": "8500", "fund": 99999},
        {"account": ["8500"]},
    ],
)
def test_fuzz_line_book(fund, treasurer, body):
    upload(treasurer, statement([{"amount_cents": 2_500, "remittance": "Gift",
                                  "entry_reference": "G1", "booking_date": today()}]))  # fmt: skip
    line = BankLine.objects.get()
    answer = client_for(treasurer).post(f"/api/v1/bank/lines/{line.pk}/book/", body, format="json")
    assert_error(answer)
    line.refresh_from_db()
    assert line.match == BankLine.Match.UNMATCHED


def test_fuzz_bank_lines_ignore_and_reconciliation(fund, treasurer):
    client = client_for(treasurer)
    for pk in ("-1", "0", str(HUGE), "abc", str(2**63)):
        assert_error(client.get(f"/api/v1/bank/lines/{pk}/"), 404)
        assert_error(client.post(f"/api/v1/bank/lines/{pk}/ignore/", {"reason": "x"},
                                 format="json"), 404)  # fmt: skip
        assert_error(client.get(f"/api/v1/bank/statements/{pk}/"), 404)
    for query in ("matched=maybe", "match=bogus", "statement=abc", "statement=NaN",
                  "cooperative=-1", "cooperative=1e400"):  # fmt: skip
        answer = client.get(f"/api/v1/bank/lines/?{query}")
        assert answer.status_code < 500, (query, answer.status_code)
    for query in ("", "date=2024-02-30", "date=abc", f"date={today()}&cooperative={HUGE}",
                  f"date={today()}&cooperative=-1", f"date={today()}&cooperative=abc",
                  "date=0001-01-01", "date=9999-12-31"):  # fmt: skip
        answer = client.get(f"/api/v1/bank/reconciliation/?{query}")
        assert answer.status_code < 500, (query, answer.status_code)
        if answer.status_code >= 400:
            assert_error(answer)
    upload(treasurer, statement([{"amount_cents": 2_500, "entry_reference": "G1",
                                  "booking_date": today()}]))  # fmt: skip
    line = BankLine.objects.get()
    for body in ({}, {"reason": ""}, {"reason": "x" * 501}, {"reason": None}):
        assert_error(client.post(f"/api/v1/bank/lines/{line.pk}/ignore/", body, format="json"))


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"amount_cents": -1, "reference": "R"},
        {"amount_cents": 0, "reference": "R"},
        {"amount_cents": HUGE, "reference": "R"},
        {"amount_cents": "abc", "reference": "R"},
        {"amount_cents": 100},
        {"amount_cents": 100, "reference": ""},
        {"amount_cents": 100, "reference": "   "},
        {"amount_cents": 100, "reference": "a\x00b"},
        {"amount_cents": 100, "reference": "x" * 101},
        {"amount_cents": 100, "reference": "R", "source": "crowdfunding"},
        {"amount_cents": 100, "reference": "R", "source": "subsidy"},
        {"amount_cents": 5_001, "reference": "R"},
    ],
)
def test_fuzz_own_contributions(fund, treasurer, body):
    application = approved(fund)
    answer = client_for(treasurer).post(
        f"/api/v1/applications/{application.pk}/own-contributions/", body, format="json"
    )
    assert_error(answer)


def test_own_contributions_only_by_the_treasurer_of_the_coop(fund, fund_b, treasurer_b):
    application = approved(fund)
    body = {"amount_cents": 100, "reference": "R"}
    for user in (treasurer_b, application.applicant, board_of(fund.cooperative)):
        answer = client_for(user).post(
            f"/api/v1/applications/{application.pk}/own-contributions/", body, format="json"
        )
        assert_error(answer, 403, 404)


# --- FINDINGS -------------------------------------------------------------------------------


def test_finding_a_payee_fakes_a_bank_return_with_remittance_text_and_is_paid_twice(
    fund, treasurer
):
    application = approved(fund)
    batch_of(treasurer, [application])  # exported, file at the bank, not yet executed
    x = application.amount_requested_cents
    # The payee transfers X from their own account, typing the text below.
    upload(
        treasurer,
        mt940_statement(
            [
                {
                    "amount_cents": x,
                    "counterparty_iban": ING_IBAN,
                    "counterparty_name": "Boef",
                    "remittance": f"Buurtfonds {application.pk} /RTRN/AC04",
                    "entry_reference": "C1",
                    "booking_date": today(),
                }
            ],  # fmt: skip
        ),
        "a.sta",
    )
    line = BankLine.objects.get()
    item = PayoutItem.objects.get(application=application)
    # Observed: line.is_return True, match payout_return, item RETURNED, X not in the books,
    # and the application is payable again: the bank pays the old file AND a new batch.
    assert not line.is_return
    assert line.match == BankLine.Match.UNMATCHED
    assert item.status == PayoutItem.Status.PENDING


def test_finding_mt940_remittance_forges_the_counterparty_iban(fund, treasurer):
    upload(
        treasurer,
        mt940_statement(
            [
                {
                    "amount_cents": 500,
                    "counterparty_iban": RABO_IBAN_2,
                    "counterparty_name": "Boef",
                    "remittance": f"gift /IBAN/{ING_IBAN_2}",
                    "entry_reference": "C1",
                    "booking_date": today(),
                }
            ],  # fmt: skip
        ),
        "a.sta",
    )
    assert BankLine.objects.get().counterparty_iban == RABO_IBAN_2


def test_finding_a_plain_credit_with_the_end_to_end_id_reverses_a_paid_grant(fund, treasurer):
    victim = approved(fund, payee_iban=RABO_IBAN)
    batch_of(treasurer, [victim], confirm=True)
    # Any sender whose bank lets them set an end-to-end id (business banking, a pain.001).
    upload(
        treasurer,
        statement(
            [
                {
                    "amount_cents": victim.amount_requested_cents,
                    "counterparty_iban": RABO_IBAN_2,
                    "counterparty_name": "Derde",
                    "end_to_end_id": victim.payment_reference,
                    "remittance": "schenking",
                    "entry_reference": "C1",
                    "booking_date": today(),
                }
            ],
        ),  # fmt: skip
    )
    victim.refresh_from_db()
    assert victim.status == Application.Status.PAID
    assert not victim.payee_check_needed
    assert BankLine.objects.get().match == BankLine.Match.UNMATCHED


def test_finding_a_late_return_is_hidden_instead_of_left_for_the_treasurer(fund, treasurer):
    application = approved(fund)
    batch_of(treasurer, [application], confirm=True)
    application.refresh_from_db()
    application_report(
        application=application, acting_user=application.applicant, summary="x",
        spent_cents=application.amount_requested_cents,
    )  # fmt: skip
    upload(
        treasurer,
        statement(
            [
                {
                    "amount_cents": application.amount_requested_cents,
                    "return_reason": "AC04",
                    "end_to_end_id": application.payment_reference,
                    "counterparty_iban": ING_IBAN,
                    "entry_reference": "RT1",
                    "booking_date": today(),
                }
            ],  # fmt: skip
        ),
    )
    line = BankLine.objects.get()
    report = client_for(treasurer).get(f"/api/v1/bank/reconciliation/?date={today()}").json()
    # Observed: match payout_return, entry None, and the line is not among the open lines.
    assert line.entry is not None or line.match == BankLine.Match.UNMATCHED
    assert line.pk in [ln["id"] for ln in report["open_lines"]] or line.entry is not None


def test_finding_a_one_cent_transfer_with_a_deposit_reference_is_matched_to_the_deposit(
    fund, treasurer
):
    deposit = JournalEntry.objects.get(idempotency_key__startswith=f"fund:{fund.pk}:deposit:")
    reference = deposit.idempotency_key.split(":", 3)[3]
    upload(
        treasurer,
        statement(
            [
                {
                    "amount_cents": 1,
                    "counterparty_iban": RABO_IBAN_2,
                    "remittance": reference,
                    "entry_reference": "C1",
                    "booking_date": today(),
                },
                {
                    "amount_cents": 1,
                    "counterparty_iban": RABO_IBAN_2,
                    "remittance": reference,
                    "entry_reference": "C2",
                    "booking_date": today(),
                },
            ],  # fmt: skip
        ),
    )
    # Observed: both lines match=deposit, entry=the EUR 15,000 deposit; 2 cents vanish.
    assert set(BankLine.objects.values_list("match", flat=True)) == {BankLine.Match.UNMATCHED}


def test_finding_a_residents_transfer_saying_stripe_is_booked_as_a_stripe_payout(fund, treasurer):
    upload(
        treasurer,
        statement(
            [
                {
                    "amount_cents": 2_500,
                    "counterparty_iban": RABO_IBAN_2,
                    "counterparty_name": "J. Jansen",
                    "remittance": "gift, niet via stripe",
                    "entry_reference": "C1",
                    "booking_date": today(),
                }
            ],  # fmt: skip
        ),
    )
    assert BankLine.objects.get().match == BankLine.Match.UNMATCHED


def test_finding_two_own_contributions_in_one_batch_booking_are_booked_once(fund, treasurer):
    application = approved(fund)  # promised 5_000
    tx = {"amount_cents": 2_000, "counterparty_iban": RABO_IBAN_2,
          "remittance": f"BUURTFONDS {application.pk} EIGEN"}  # fmt: skip
    upload(
        treasurer,
        statement(
            [
                {
                    "amount_cents": 4_000,
                    "entry_reference": "NB1",
                    "booking_date": today(),
                    "batch": [tx, {**tx, "counterparty_iban": ABN_IBAN_2}],
                }
            ],  # fmt: skip
        ),
    )
    lines = list(BankLine.objects.order_by("pk"))
    assert len(lines) == 2
    own = JournalEntry.objects.filter(idempotency_key__startswith=f"own:{fund.cooperative_id}:")
    # Observed: both lines matched own_contribution, to ONE entry of 2_000.
    assert own.count() == 2


@pytest.mark.parametrize(
    "query", [f"statement={HUGE}", f"cooperative={2**63}", "cooperative=-1e30"]
)
def test_finding_bank_lines_filter_out_of_range_is_a_500(fund, treasurer, query):
    answer = client_for(treasurer).get(f"/api/v1/bank/lines/?{query}")
    assert answer.status_code < 500


def test_finding_abn_amro_remittance_forges_the_end_to_end_id_and_reverses_a_grant(fund, treasurer):
    victim = approved(fund, payee_iban=RABO_IBAN)
    batch_of(treasurer, [victim], confirm=True)
    upload(
        treasurer,
        mt940_statement(
            [
                {
                    "amount_cents": victim.amount_requested_cents,
                    "counterparty_iban": RABO_IBAN_2,
                    "counterparty_name": "Derde",
                    "remittance": f"bedankt/EREF/{victim.payment_reference}",
                    "booking_date": today(),
                }
            ],  # fmt: skip
            bank="abnamro",
        ),
        "a.sta",
    )
    line = BankLine.objects.get()
    victim.refresh_from_db()
    assert victim.status == Application.Status.PAID  # observed: approved (reversed)
    assert line.end_to_end_id == ""  # observed: BUURTFONDS-<id>
