"""Payout batches: the treasurer pays approved grants with one SEPA credit-transfer file
(pain.001, made once and kept), then confirms the batch or lets the bank statement do it."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
import xmlschema
from django.core import mail
from django.utils import timezone
from lxml import etree
from sepaxml import validation

from community.models import AuditEvent
from grants import payouts
from grants.models import Application, PayoutBatch, PayoutFile, PayoutItem
from ledger.models import JournalEntry
from ledger.selectors import pot_balance
from tests.conftest import client_for
from tests.grants.factories import (
    IBAN,
    advance,
    board_of,
    make_application,
    make_fund,
    resident_of,
    treasurer_of,
)

pytestmark = pytest.mark.django_db

COOP_IBAN = "NL39RABO0300065264"
PAYEES = ["NL20INGB0001234567", "NL02ABNA0123456789", "NL18RABO0123459876"]
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"}
SCHEMA = os.path.join(os.path.dirname(validation.__file__), "schemas", "pain.001.001.03.xsd")


@pytest.fixture
def fund(coop_a, rivierenwijk):
    coop_a.iban, coop_a.bank_account_name = COOP_IBAN, "Buurtcoöperatie A"
    coop_a.save()
    return make_fund(coop_a, rivierenwijk)


@pytest.fixture
def approved(fund):
    titles = ["Buurtbarbecue", "Café – ‘ouderen’ & kinderen € ñ", "Moestuin " + "lang " * 35]
    return [
        advance(
            make_application(
                fund,
                title=title,
                payee_iban=iban,
                payee_name=f"Bewonersgroep {n}",
                amount_requested_cents=10_000 * (n + 1),
            ),
            "approved",
        )
        for n, (title, iban) in enumerate(zip(titles, PAYEES, strict=True))
    ]


def tomorrow():
    return (timezone.localdate() + timedelta(days=1)).isoformat()


def create(user, ids, execution_date=None):
    return client_for(user).post(
        "/api/v1/payouts/",
        {"applications": ids, "execution_date": execution_date or tomorrow()},
        format="json",
    )


def exported(fund, applications) -> tuple[PayoutBatch, bytes]:
    treasurer = treasurer_of(fund.cooperative)
    batch_id = create(treasurer, [a.pk for a in applications]).json()["id"]
    client = client_for(treasurer)
    assert client.post(f"/api/v1/payouts/{batch_id}/export/").status_code == 200
    download = client.get(f"/api/v1/payouts/{batch_id}/sepa/")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/xml"
    return PayoutBatch.objects.get(pk=batch_id), download.content


def test_a_sepa_file_for_three_applications_validates_and_pays_each_one_apart(fund, approved):
    batch, content = exported(fund, approved)

    xmlschema.XMLSchema(SCHEMA).validate(content.decode())
    doc = etree.fromstring(content)
    infos = doc.findall(".//p:PmtInf", NS)
    assert len(infos) == 3  # batch booking off: one payment per transfer on the statement
    assert {i.findtext("p:BtchBookg", namespaces=NS) for i in infos} == {"false"}
    assert {i.findtext("p:DbtrAcct/p:Id/p:IBAN", namespaces=NS) for i in infos} == {COOP_IBAN}
    assert {i.findtext("p:DbtrAgt/p:FinInstnId/p:BIC", namespaces=NS) for i in infos} == {
        "RABONL2U"
    }
    assert doc.findtext(".//p:GrpHdr/p:CtrlSum", namespaces=NS) == "600.00"
    transfers = {
        tx.findtext("p:PmtId/p:EndToEndId", namespaces=NS): tx
        for tx in doc.findall(".//p:CdtTrfTxInf", NS)
    }
    assert set(transfers) == {f"BUURTFONDS-{a.pk}" for a in approved}
    for n, application in enumerate(approved):
        tx = transfers[f"BUURTFONDS-{application.pk}"]
        assert tx.findtext("p:CdtrAcct/p:Id/p:IBAN", namespaces=NS) == PAYEES[n]
        assert tx.findtext("p:Amt/p:InstdAmt", namespaces=NS) == f"{100 * (n + 1)}.00"
        text = tx.findtext("p:RmtInf/p:Ustrd", namespaces=NS)
        assert text.startswith(f"Buurtfonds {application.pk} ")
        assert len(text) <= 140
    # Outside SEPA's Latin set: transliterated or dropped, never sent to the bank as is.
    cafe = transfers[f"BUURTFONDS-{approved[1].pk}"].findtext("p:RmtInf/p:Ustrd", namespaces=NS)
    assert cafe == f"Buurtfonds {approved[1].pk} Cafe - 'ouderen' kinderen EUR n"
    # Nothing is booked until the bank has paid.
    assert Application.objects.filter(status="approved").count() == 3
    assert not JournalEntry.objects.filter(kind="payout").exists()


def test_every_download_gives_the_same_bytes_and_is_audited(fund, approved):
    batch, first = exported(fund, approved[:1])
    client = client_for(treasurer_of(fund.cooperative))
    assert client.post(f"/api/v1/payouts/{batch.pk}/export/").status_code == 200  # again
    again = client.get(f"/api/v1/payouts/{batch.pk}/sepa/").content
    assert again == first
    assert client.get(f"/api/v1/payouts/{batch.pk}/").json()["sha256"] == batch.file.sha256
    downloads = AuditEvent.objects.filter(action="payout_file_downloaded", object_id=batch.pk)
    assert downloads.count() == 2
    assert IBAN not in str(list(AuditEvent.objects.values_list("data", flat=True)))


def test_confirming_pays_every_item_as_pay_does(fund, approved):
    batch, _ = exported(fund, approved)
    before = pot_balance(fund.earmark)
    client = client_for(treasurer_of(fund.cooperative))

    answer = client.post(f"/api/v1/payouts/{batch.pk}/confirm/")

    assert answer.status_code == 200
    assert answer.json()["status"] == "confirmed"
    assert {i["status"] for i in answer.json()["items"]} == {"paid"}
    assert Application.objects.filter(status="paid").count() == 3
    after = pot_balance(fund.earmark)
    assert after.paid_cents - before.paid_cents == 60_000
    assert after.available_cents == before.available_cents
    assert client.post(f"/api/v1/payouts/{batch.pk}/confirm/").status_code == 200  # once only
    assert JournalEntry.objects.filter(kind="payout").count() == 3


@pytest.mark.parametrize("state", ["voting", "paid", "rejected"])
def test_a_batch_with_an_application_not_payable_is_refused_naming_it(fund, approved, state):
    other = advance(make_application(fund), state)
    answer = create(treasurer_of(fund.cooperative), [approved[0].pk, other.pk])
    assert answer.status_code == 409
    assert answer.json()["code"] == "not_payable"
    assert answer.json()["application"] == other.pk
    assert not PayoutBatch.objects.exists()


def test_an_application_sits_in_one_open_batch_and_is_not_paid_apart(fund, approved):
    treasurer = treasurer_of(fund.cooperative)
    assert create(treasurer, [approved[0].pk]).status_code == 201
    again = create(treasurer, [approved[0].pk, approved[1].pk])
    assert again.status_code == 409
    assert again.json()["code"] == "in_payout_batch"
    one_off = client_for(treasurer).post(f"/api/v1/applications/{approved[0].pk}/pay/")
    assert one_off.status_code == 409
    assert one_off.json()["code"] == "in_payout_batch"


@pytest.mark.parametrize(
    ("ids", "when", "code"),
    [
        ([], 1, "invalid"),
        ("dup", 1, "payout_batch_empty"),
        ("one", -1, "execution_date_invalid"),
        ("one", 400, "execution_date_invalid"),
        ([2**31], 1, "invalid"),
        (["x"], 1, "invalid"),
    ],
)
def test_bad_batches_are_refused_with_a_code(fund, approved, ids, when, code):
    if isinstance(ids, str):
        ids = {"dup": [approved[0].pk] * 2, "one": [approved[0].pk]}[ids]
    day = (timezone.localdate() + timedelta(days=when)).isoformat()
    answer = create(treasurer_of(fund.cooperative), ids, day)
    assert answer.status_code == 400
    assert answer.json()["code"] == code
    assert not PayoutBatch.objects.exists()


def test_a_cooperative_without_its_own_account_cannot_pay(fund, approved):
    fund.cooperative.iban = ""
    fund.cooperative.save()
    answer = create(treasurer_of(fund.cooperative), [approved[0].pk])
    assert answer.status_code == 409
    assert answer.json()["code"] == "cooperative_bank_missing"


def test_only_the_cooperatives_treasurers_reach_its_batches(fund, approved, coop_b):
    batch, _ = exported(fund, approved[:1])
    outsiders = [
        treasurer_of(coop_b),
        board_of(fund.cooperative),
        resident_of(fund),
        approved[0].applicant,
    ]
    for user in outsiders:
        client = client_for(user)
        assert client.get("/api/v1/payouts/").json()["results"] == []
        assert client.get(f"/api/v1/payouts/{batch.pk}/").status_code == 404
        assert client.get(f"/api/v1/payouts/{batch.pk}/sepa/").status_code == 404
        assert client.post(f"/api/v1/payouts/{batch.pk}/confirm/").status_code == 404
        # Another cooperative's treasurer is told what a made-up id gets: nothing to pay.
        refused = create(user, [approved[1].pk])
        assert refused.status_code == (409 if user == outsiders[0] else 403)
        assert refused.json()["code"] == (
            "not_payable" if user == outsiders[0] else "not_treasurer"
        )
    assert client_for(approved[0].applicant).get("/api/v1/payouts/").status_code == 200
    assert (
        not AuditEvent.objects.filter(action="payout_file_downloaded")
        .exclude(actor=treasurer_of(fund.cooperative))
        .exists()
    )
    assert Application.objects.get(pk=approved[0].pk).status == "approved"


def test_the_payee_may_be_corrected_in_a_draft_batch_not_after_export(fund, approved):
    application = approved[0]
    treasurer = treasurer_of(fund.cooperative)
    batch_id = create(treasurer, [application.pk]).json()["id"]
    applicant = client_for(application.applicant)
    correction = {"payee_name": "Juiste Naam", "payee_iban": "NL69INGB0123456789"}

    assert (
        applicant.patch(
            f"/api/v1/applications/{application.pk}/payee/", correction, format="json"
        ).status_code
        == 200
    )
    client_for(treasurer).post(f"/api/v1/payouts/{batch_id}/export/")
    late = applicant.patch(
        f"/api/v1/applications/{application.pk}/payee/",
        {"payee_name": "Fraudeur", "payee_iban": "NL86INGB0002445588"},
        format="json",
    )

    assert late.status_code == 409
    assert late.json()["code"] == "payee_locked"
    item = PayoutItem.objects.get(batch_id=batch_id)
    assert (item.payee_name, item.payee_iban) == ("Juiste Naam", "NL69INGB0123456789")
    assert b"NL69INGB0123456789" in bytes(item.batch.file.content)


def test_cancelling_an_exported_batch_frees_its_applications(fund, approved):
    batch, _ = exported(fund, approved[:2])
    treasurer = treasurer_of(fund.cooperative)
    client = client_for(treasurer)

    answer = client.post(f"/api/v1/payouts/{batch.pk}/cancel/", {"reason": "verkeerde datum"})

    assert answer.status_code == 200
    assert answer.json()["status"] == "cancelled"
    assert create(treasurer, [approved[0].pk]).status_code == 201
    assert client.post(f"/api/v1/payouts/{batch.pk}/confirm/").json()["code"] == (
        "payout_batch_state"
    )


def test_a_board_cannot_cancel_a_grant_whose_transfer_is_exported(fund, approved):
    exported(fund, approved[:1])
    answer = client_for(board_of(fund.cooperative)).post(
        f"/api/v1/applications/{approved[0].pk}/cancel/", {"reason": "x"}
    )
    assert answer.status_code == 409
    assert answer.json()["code"] == "in_payout_batch"


def test_a_returned_transfer_is_owed_again_and_the_payee_must_be_corrected(
    fund, approved, django_capture_on_commit_callbacks
):
    batch, _ = exported(fund, approved[:2])
    treasurer = treasurer_of(fund.cooperative)
    client_for(treasurer).post(f"/api/v1/payouts/{batch.pk}/confirm/")
    paid = pot_balance(fund.earmark).paid_cents
    item = batch.items.get(application=approved[0])
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert payouts.payout_item_returned(item=item, actor=treasurer, reason="AC04")
    assert not payouts.payout_item_returned(item=item, actor=treasurer, reason="AC04")  # once

    application = Application.objects.get(pk=approved[0].pk)
    assert application.status == "approved"
    assert application.payee_check_needed
    assert pot_balance(fund.earmark).paid_cents == paid - application.amount_requested_cents
    assert [m.to for m in mail.outbox] == [sorted([treasurer.email, application.applicant.email])]
    assert "AC04" in mail.outbox[0].body
    # Not payable again until the payee is corrected, then in a new batch.
    assert create(treasurer, [application.pk]).json()["code"] == "payee_missing"
    client_for(application.applicant).patch(
        f"/api/v1/applications/{application.pk}/payee/",
        {"payee_name": "Bewonersgroep 0", "payee_iban": "NL69INGB0123456789"},
        format="json",
    )
    again, content = exported(fund, [application])
    assert b"NL69INGB0123456789" in content
    client_for(treasurer).post(f"/api/v1/payouts/{again.pk}/confirm/")
    assert Application.objects.get(pk=application.pk).status == "paid"
    assert pot_balance(fund.earmark).paid_cents == paid


def test_a_file_the_bank_would_refuse_is_not_made(fund, approved):
    """A payee name of nothing but signs SEPA does not carry would leave the name empty."""
    application = approved[0]
    client_for(application.applicant).patch(
        f"/api/v1/applications/{application.pk}/payee/",
        {"payee_name": "★★★", "payee_iban": PAYEES[0]},
        format="json",
    )
    treasurer = treasurer_of(fund.cooperative)
    batch = create(treasurer, [application.pk]).json()["id"]
    answer = client_for(treasurer).post(f"/api/v1/payouts/{batch}/export/")
    assert answer.status_code == 409
    assert answer.json()["code"] == "sepa_file_invalid"
    assert PayoutBatch.objects.get(pk=batch).status == "draft"
    assert not PayoutFile.objects.exists()


def test_a_batch_whose_day_has_passed_is_not_exported(fund, approved, time_machine):
    treasurer = treasurer_of(fund.cooperative)
    batch = create(treasurer, [approved[0].pk]).json()["id"]
    time_machine.move_to(timezone.now() + timedelta(days=3))
    answer = client_for(treasurer).post(f"/api/v1/payouts/{batch}/export/")
    assert answer.status_code == 400
    assert answer.json()["code"] == "execution_date_invalid"


def test_the_whole_iban_reaches_no_one_but_the_treasurer(fund, approved, coop_b, client):
    """Every response a role can get about a paid application in a batch, read as text."""
    batch, _ = exported(fund, approved[:1])
    client_for(treasurer_of(fund.cooperative)).post(f"/api/v1/payouts/{batch.pk}/confirm/")
    application = approved[0]
    urls = [
        f"/api/v1/applications/{application.pk}/",
        f"/api/v1/applications/?fund={fund.pk}",
        "/api/v1/payouts/",
        f"/api/v1/payouts/{batch.pk}/",
        f"/api/v1/payouts/{batch.pk}/sepa/",
        "/api/v1/bank/lines/",
        f"/api/v1/funds/{fund.pk}/decisions/",
    ]
    others = {
        "anonymous": client,
        "resident": client_for(resident_of(fund)),
        "board": client_for(board_of(fund.cooperative)),
        "other treasurer": client_for(treasurer_of(coop_b)),
        "applicant": client_for(application.applicant),
    }
    for who, reader in others.items():
        for url in urls:
            body = reader.get(url).content.decode()
            assert PAYEES[0] not in body, (who, url)
    treasurer = client_for(treasurer_of(fund.cooperative))
    assert PAYEES[0] in treasurer.get(f"/api/v1/payouts/{batch.pk}/").content.decode()


def test_a_payee_change_of_a_paper_application_in_voting_is_audited_and_mailed(
    fund, django_capture_on_commit_callbacks
):
    """A coordinator entered it for a resident at the information point (who has no account
    here): the coordinator hears of the change, with the account masked."""
    from tests.grants.factories import coordinator_of

    coordinator = coordinator_of(fund.cooperative)
    application = make_application(fund, applicant=coordinator, paper_applicant_name="mw. Bos")
    application = advance(application, "voting")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        answer = client_for(coordinator).patch(
            f"/api/v1/applications/{application.pk}/payee/",
            {"payee_name": "mw. Bos", "payee_iban": PAYEES[1]},
            format="json",
        )
    assert answer.status_code == 200
    event = AuditEvent.objects.get(action="application_payee_changed", object_id=application.pk)
    assert event.data["account_after"] == "NL02 **** **** **67 89"
    assert PAYEES[1] not in str(event.data)
    [message] = mail.outbox
    assert message.to == [coordinator.email]
    assert "NL02 **** **** **67 89" in message.body and PAYEES[1] not in message.body
