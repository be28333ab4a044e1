"""The Buurtfonds lifecycle through the services: rules, money and history at each step."""

from decimal import Decimal

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from community.models import AuditEvent
from grants import errors, services
from grants.models import Application
from ledger.selectors import earmark_balance, earmark_repayment, pot_balance
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

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"


@pytest.fixture
def fund(coop_a, rivierenwijk):
    return make_fund(coop_a, rivierenwijk)


def test_submit_reserves_the_amount_and_opens_the_vote(fund):
    application = make_application(fund)
    application = services.application_submit(
        application=application, acting_user=application.applicant
    )
    assert application.status == "voting"
    assert (application.vote_closes_at - application.vote_opens_at).total_seconds() == 24 * 3600
    assert (application.quorum, application.approval_ratio) == (3, Decimal("0.500"))
    balance = pot_balance(fund.earmark)
    assert balance.reserved_cents == 40_000 and balance.available_cents == 1_460_000
    assert [(h.from_status, h.to_status, h.actor) for h in application.history.all()] == [
        ("draft", "voting", application.applicant)
    ]
    assert AuditEvent.objects.filter(
        action="application_submit", object_id=str(application.pk)
    ).exists()


def test_vote_settings_are_frozen_when_the_vote_opens(fund):
    application = advance(make_application(fund), "voting")
    type(fund).objects.filter(pk=fund.pk).update(quorum=50)
    application = services.application_decide(application=application, yes=3, no=0)
    assert application.status == "approved"


@pytest.mark.parametrize(
    "fields, error",
    [
        (
            {
                "amount_requested_cents": 75_001,
                "total_budget_cents": 100_000,
                "own_contribution_cents": 5_000,
            },
            errors.AmountOutOfRange,
        ),
        (
            {
                "amount_requested_cents": 40_000,
                "total_budget_cents": 44_000,
                "own_contribution_cents": 5_000,
            },
            errors.BudgetTooSmall,
        ),
        (
            {
                "amount_requested_cents": 40_000,
                "total_budget_cents": 100_000,
                "own_contribution_cents": 4_999,
            },
            errors.OwnContributionTooSmall,
        ),
    ],
)
def test_submit_rules_each_have_their_own_error(fund, fields, error):
    application = make_application(fund, **fields)
    with pytest.raises(error):
        services.application_submit(application=application, acting_user=application.applicant)
    application.refresh_from_db()
    assert application.status == "draft"
    assert pot_balance(fund.earmark).reserved_cents == 0


def test_priorities_must_come_from_the_funds_neighbourhood(fund, lunetten, coop_b):
    elsewhere = services.priority_create(
        neighbourhood=lunetten, year=2026, rank=1, title="Groen", acting_user=board_of(coop_b)
    )
    application = make_application(fund, priorities=[elsewhere])
    with pytest.raises(errors.PriorityElsewhere):
        services.application_submit(application=application, acting_user=application.applicant)


def test_a_non_resident_cannot_apply(fund, user):
    with pytest.raises(errors.NotResident):
        make_application(fund, applicant=user)


def test_a_coordinator_enters_a_paper_application_recorded_as_such(fund, coop_a):
    from tests.grants.factories import coordinator_of

    coordinator = coordinator_of(coop_a)
    application = make_application(
        fund, applicant=coordinator, paper_applicant_name="mevrouw J. de Vries"
    )
    assert application.entered_by == coordinator
    application = services.application_submit(application=application, acting_user=coordinator)
    assert application.status == "voting"
    with pytest.raises(errors.PaperApplicantNameMissing):
        make_application(fund, applicant=coordinator)


def test_the_pot_never_grants_more_than_it_holds(coop_a, rivierenwijk):
    fund = make_fund(coop_a, rivierenwijk, deposit_cents=100_000)
    first = advance(
        make_application(fund, amount_requested_cents=60_000, total_budget_cents=70_000), "voting"
    )
    second = make_application(fund, amount_requested_cents=60_000, total_budget_cents=70_000)
    with pytest.raises(Exception) as raised:
        services.application_submit(application=second, acting_user=second.applicant)
    assert getattr(raised.value, "code", None) == "insufficient_funds"
    assert pot_balance(fund.earmark).available_cents == 40_000
    assert first.status == "voting"


@pytest.mark.parametrize(
    "yes, no, quorum, ratio, approved",
    [
        (2, 0, 3, "0.5", False),  # below quorum
        (2, 2, 3, "0.5", False),  # a tie is no majority (it approved before)
        (3, 2, 3, "0.5", True),
        (1, 2, 3, "0.5", False),
        (0, 0, 0, "0.5", False),
        (3, 2, 3, "0.667", False),  # 60% yes against a two-thirds rule
        (5, 2, 3, "0.667", True),
        (0, 5, 0, "0.5", False),  # a unanimous "no" never approves
    ],
)
def test_decisions_need_a_majority(yes, no, quorum, ratio, approved):
    assert (
        services.decision_is_approval(yes=yes, no=no, quorum=quorum, approval_ratio=Decimal(ratio))
        is approved
    )


@pytest.mark.parametrize("ratio", ["0", "0.49", "1.01", "-1"])
def test_a_fund_cannot_approve_below_half(coop_a, rivierenwijk, ratio):
    from tests.grants.factories import board_of

    response = client_for(board_of(coop_a)).post(
        "/api/v1/funds/",
        {
            "name": "Fonds",
            "kind": "buurtfonds",
            "cooperative": coop_a.pk,
            "neighbourhood": rivierenwijk.pk,
            "approval_ratio": ratio,
        },
        format="json",
    )
    assert response.status_code == 400 and "approval_ratio" in response.json()["fields"]


def test_approval_commits_and_notifies_applicant_and_treasurer(
    fund, django_capture_on_commit_callbacks
):
    application = advance(make_application(fund), "voting")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.application_decide(application=application, yes=4, no=1)
    assert len(callbacks) == 2
    balance = pot_balance(fund.earmark)
    assert (balance.reserved_cents, balance.committed_cents) == (0, 40_000)
    subjects = sorted(m.subject for m in mail.outbox)
    assert any("goedgekeurd" in s for s in subjects)
    assert any("Wacht op betaling" in s for s in subjects)
    decision = next(m for m in mail.outbox if "goedgekeurd" in m.subject)
    assert decision.to == [application.applicant.email]
    assert "4 voor, 1 tegen" in decision.body and "4 in favour, 1 against" in decision.body
    payment = next(m for m in mail.outbox if "betaling" in m.subject)
    assert payment.to == [treasurer_of(fund.cooperative).email]


def test_rejection_releases_the_reservation(fund, django_capture_on_commit_callbacks):
    application = advance(make_application(fund), "voting")
    with django_capture_on_commit_callbacks(execute=True):
        services.application_decide(application=application, yes=1, no=3)
    assert pot_balance(fund.earmark).available_cents == 1_500_000
    assert [m.to for m in mail.outbox] == [[application.applicant.email]]
    with pytest.raises(errors.TransitionNotAllowed):
        services.application_decide(application=application, yes=9, no=0)


def test_payout_needs_a_valid_iban_and_posts_to_the_ledger(fund):
    application = advance(make_application(fund, payee_iban=""), "approved")
    with pytest.raises(errors.PayeeMissing):
        services.application_pay(
            application=application, acting_user=treasurer_of(fund.cooperative)
        )
    with pytest.raises(errors.InvalidIban):
        make_application(fund, payee_iban="NL91ABNA0417164301")
    ok = advance(make_application(fund), "paid")
    assert earmark_balance(ok.earmark).paid_cents == 40_000


def test_unspent_money_returns_to_the_pot_exactly(fund):
    application = advance(make_application(fund), "paid")
    before = pot_balance(fund.earmark)
    services.application_report(
        application=application,
        acting_user=application.applicant,
        summary="Barbecue gehouden, 35 buren",
        spent_cents=37_455,
        receipts=[
            SimpleUploadedFile("bon.png", PNG, content_type="image/png"),
            SimpleUploadedFile("factuur.pdf", PDF, content_type="application/pdf"),
        ],
    )
    # Reported unspent money is owed, not yet in the pot.
    assert pot_balance(fund.earmark) == before
    assert earmark_repayment(application.earmark).owed_cents == 2_545
    services.application_return_book(
        application=application,
        acting_user=treasurer_of(fund.cooperative),
        amount_cents=2_545,
        reference="NL-INCOMING-77",
    )
    after = pot_balance(fund.earmark)
    assert after.returned_cents - before.returned_cents == 2_545
    assert after.available_cents - before.available_cents == 2_545
    application.refresh_from_db()
    assert application.status == "reported"
    assert sorted(r.content_type for r in application.receipts.all()) == [
        "application/pdf",
        "image/png",
    ]
    path = application.receipts.first().file.path
    from django.conf import settings

    assert path.startswith(str(settings.PRIVATE_MEDIA_ROOT))


@pytest.mark.parametrize(
    "upload",
    [
        SimpleUploadedFile(
            "factuur.pdf", b"this is plain text pretending", content_type="application/pdf"
        ),
        SimpleUploadedFile("bon.png", b"GIF89a....", content_type="image/png"),
    ],
)
def test_a_file_that_is_not_what_it_claims_is_refused(fund, upload):
    application = advance(make_application(fund), "paid")
    with pytest.raises(errors.ReceiptInvalid):
        services.application_report(
            application=application,
            acting_user=application.applicant,
            summary="x",
            spent_cents=0,
            receipts=[upload],
        )
    application.refresh_from_db()
    assert application.status == "paid"
    assert not application.receipts.exists()


def test_an_oversized_receipt_is_refused(fund):
    application = advance(make_application(fund), "paid")
    big = SimpleUploadedFile(
        "groot.png", PNG + b"\x00" * (10 * 1024 * 1024), content_type="image/png"
    )
    with pytest.raises(errors.ReceiptInvalid):
        services.application_report(
            application=application,
            acting_user=application.applicant,
            summary="x",
            spent_cents=0,
            receipts=[big],
        )


def test_close_flags_successful_experiments_for_follow_up(fund):
    application = advance(make_application(fund), "closed")
    assert application.follow_up is True
    assert application.evaluation == "successful"
    other = advance(make_application(fund), "reported")
    other = services.application_close(
        application=other,
        acting_user=board_of(fund.cooperative),
        evaluation="not_successful",
        note="Te weinig animo",
    )
    assert other.follow_up is False


def test_cancel_before_payout_gives_the_commitment_back(fund):
    advance(make_application(fund), "cancelled")
    balance = pot_balance(fund.earmark)
    assert (balance.committed_cents, balance.available_cents) == (0, 1_500_000)


def test_withdraw_from_voting_releases_the_reservation(fund):
    advance(make_application(fund), "voting")
    application = Application.objects.get()
    services.application_withdraw(
        application=application, acting_user=application.applicant, reason="Verhuisd"
    )
    assert pot_balance(fund.earmark).available_cents == 1_500_000
    assert application.history.last().reason == "Verhuisd"


def test_only_the_applicant_submits_and_only_the_roles_act(fund, user):
    application = make_application(fund)
    with pytest.raises(errors.NotApplicant):
        services.application_submit(application=application, acting_user=resident_of(fund))
    approved = advance(make_application(fund), "approved")
    with pytest.raises(errors.NotTreasurer):
        services.application_pay(application=approved, acting_user=board_of(fund.cooperative))
    with pytest.raises(errors.NotBoard):
        services.application_cancel(
            application=approved, acting_user=treasurer_of(fund.cooperative)
        )
