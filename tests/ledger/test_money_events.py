"""Worked examples: every money event of ledger/chart.py posts the lines its table says."""

import pytest

from ledger import postings
from ledger.models import JournalEntry
from ledger.selectors import Repayment, earmark_balance, earmark_repayment, pot_balance
from tests.ledger.factories import application, pot

pytestmark = pytest.mark.django_db


def lines_of(entry: JournalEntry) -> list[tuple[str, str, int]]:
    return sorted((ln.account.code, ln.side, ln.amount_cents) for ln in entry.lines.all())


def balance(p):
    return pot_balance(p).as_dict()


@pytest.fixture
def fund():
    p = pot()
    postings.post_deposit(
        pot=p,
        amount_cents=1_500_000,
        source="subsidy",
        idempotency_key="dep:1",
        description="Initiatievenfonds 2019",
    )
    return p


def test_deposit_is_income_set_aside_in_the_fund(fund):
    entry = JournalEntry.objects.get(idempotency_key="dep:1")
    assert entry.kind == "deposit"
    assert lines_of(entry) == [
        ("1000", "D", 1_500_000),
        ("3100", "C", 1_500_000),
        ("8000", "C", 1_500_000),
        ("9100", "D", 1_500_000),
    ]
    assert all(ln.project == fund.project and ln.earmark == fund for ln in entry.lines.all())
    assert balance(fund) == {
        "deposited_cents": 1_500_000,
        "reserved_cents": 0,
        "committed_cents": 0,
        "paid_cents": 0,
        "returned_cents": 0,
        "available_cents": 1_500_000,
    }


def test_reservation_then_release(fund):
    app = application(fund)
    reserve = postings.post_reservation(
        application=app, amount_cents=40_000, idempotency_key="a:submit"
    )
    assert lines_of(reserve) == [("3100", "D", 40_000), ("3110", "C", 40_000)]
    assert balance(fund)["reserved_cents"] == 40_000
    assert balance(fund)["available_cents"] == 1_460_000
    release = postings.post_event(
        postings.APPLICATION_EVENTS["release"],
        earmark=app,
        amount_cents=40_000,
        idempotency_key="a:reject",
    )
    assert lines_of(release) == [("3100", "C", 40_000), ("3110", "D", 40_000)]
    assert balance(fund)["reserved_cents"] == 0
    assert balance(fund)["available_cents"] == 1_500_000


def test_commitment_payout_and_unspent_return(fund):
    app = application(fund)
    postings.post_reservation(application=app, amount_cents=40_000, idempotency_key="a:submit")
    commit = postings.post_event(
        postings.APPLICATION_EVENTS["commitment"],
        earmark=app,
        amount_cents=40_000,
        idempotency_key="a:approve",
    )
    assert lines_of(commit) == [
        ("2100", "C", 40_000),
        ("3110", "D", 40_000),
        ("4100", "D", 40_000),
        ("9110", "C", 40_000),
    ]
    assert balance(fund)["committed_cents"] == 40_000 and balance(fund)["reserved_cents"] == 0

    payout = postings.post_event(
        postings.APPLICATION_EVENTS["payout"],
        earmark=app,
        amount_cents=40_000,
        idempotency_key="a:pay",
    )
    assert lines_of(payout) == [("1000", "C", 40_000), ("2100", "D", 40_000)]
    assert balance(fund)["paid_cents"] == 40_000 and balance(fund)["committed_cents"] == 0

    claim = postings.post_event(
        postings.APPLICATION_EVENTS["unspent_claim"],
        earmark=app,
        amount_cents=2_550,
        idempotency_key="a:report",
    )
    assert lines_of(claim) == [("1300", "D", 2_550), ("4100", "C", 2_550)]
    # Owed is not back: the pot has not got it yet.
    assert balance(fund)["available_cents"] == 1_460_000
    assert earmark_repayment(app).owed_cents == 2_550

    back = postings.post_event(
        postings.APPLICATION_EVENTS["unspent_return"],
        earmark=app,
        amount_cents=2_550,
        idempotency_key="a:return:BANK-1",
    )
    assert lines_of(back) == [
        ("1000", "D", 2_550),
        ("1300", "C", 2_550),
        ("3100", "C", 2_550),
        ("9110", "D", 2_550),
    ]
    assert balance(fund) == {
        "deposited_cents": 1_500_000,
        "reserved_cents": 0,
        "committed_cents": 0,
        "paid_cents": 40_000,
        "returned_cents": 2_550,
        "available_cents": 1_462_550,
    }
    assert earmark_balance(app).paid_cents == 40_000
    assert earmark_balance(app).returned_cents == 2_550
    assert earmark_repayment(app) == Repayment(
        owed_cents=0, returned_cents=2_550, written_off_cents=0
    )


def test_a_write_off_is_a_loss_and_leaves_the_pot_alone(fund):
    app = application(fund)
    postings.post_reservation(application=app, amount_cents=40_000, idempotency_key="a:submit")
    for event in ("commitment", "payout"):
        postings.post_event(
            postings.APPLICATION_EVENTS[event], earmark=app, amount_cents=40_000,
            idempotency_key=f"a:{event}",
        )  # fmt: skip
    postings.post_event(
        postings.APPLICATION_EVENTS["unspent_claim"],
        earmark=app,
        amount_cents=40_000,
        idempotency_key="a:report",
    )
    before = balance(fund)
    off = postings.post_event(
        postings.APPLICATION_EVENTS["write_off"],
        earmark=app,
        amount_cents=40_000,
        idempotency_key="a:write-off",
    )
    assert lines_of(off) == [("1300", "C", 40_000), ("4400", "D", 40_000)]
    assert balance(fund) == before
    assert earmark_repayment(app) == Repayment(
        owed_cents=0, returned_cents=0, written_off_cents=40_000
    )


def test_cancellation_gives_a_commitment_back_to_the_pot(fund):
    app = application(fund)
    postings.post_reservation(application=app, amount_cents=30_000, idempotency_key="a:submit")
    postings.post_event(
        postings.APPLICATION_EVENTS["commitment"],
        earmark=app,
        amount_cents=30_000,
        idempotency_key="a:approve",
    )
    cancel = postings.post_event(
        postings.APPLICATION_EVENTS["cancellation"],
        earmark=app,
        amount_cents=30_000,
        idempotency_key="a:cancel",
    )
    assert lines_of(cancel) == [
        ("2100", "D", 30_000),
        ("3100", "C", 30_000),
        ("4100", "C", 30_000),
        ("9110", "D", 30_000),
    ]
    assert balance(fund)["committed_cents"] == 0
    assert balance(fund)["available_cents"] == 1_500_000


def test_crowdfunding_fee_refund_and_processor_payout(fund):
    app = application(fund)
    got = postings.post_event(
        postings.PROCESSOR_EVENTS["crowdfunding"],
        earmark=app,
        amount_cents=2_500,
        idempotency_key="evt_1",
        description="Top-up",
    )
    assert lines_of(got) == [("1100", "D", 2_500), ("8400", "C", 2_500)]
    fee = postings.post_event(
        postings.PROCESSOR_EVENTS["processor_fee"],
        earmark=app,
        amount_cents=54,
        idempotency_key="evt_1:fee",
        description="Fee",
    )
    assert lines_of(fee) == [("1100", "C", 54), ("4300", "D", 54)]
    refund = postings.post_event(
        postings.PROCESSOR_EVENTS["refund"],
        earmark=app,
        amount_cents=1_000,
        idempotency_key="evt_2",
        description="Refund",
    )
    assert lines_of(refund) == [("1100", "C", 1_000), ("8400", "D", 1_000)]
    out = postings.post_event(
        postings.PROCESSOR_EVENTS["processor_payout"],
        earmark=None,
        amount_cents=1_446,
        idempotency_key="po_1",
        description="Payout",
    )
    assert lines_of(out) == [("1000", "D", 1_446), ("1100", "C", 1_446)]
    # Crowdfunding is not the fund's money: the pot is untouched.
    assert balance(fund)["available_cents"] == 1_500_000


@pytest.mark.parametrize(
    "source, account",
    [
        ("subsidy", "8000"),
        ("membership_fees", "8100"),
        ("sponsoring", "8200"),
        ("donations", "8500"),
    ],
)
def test_income_lands_on_the_account_of_its_source(source, account):
    entry = postings.post_income(
        source=source, amount_cents=12_345, idempotency_key=f"inc:{source}", description="x"
    )
    assert lines_of(entry) == [("1000", "D", 12_345), (account, "C", 12_345)]
    assert entry.kind == "income"


def test_reservation_beyond_the_pot_is_refused(fund):
    app = application(fund)
    from ledger.errors import InsufficientFunds

    with pytest.raises(InsufficientFunds):
        postings.post_reservation(
            application=app, amount_cents=1_500_001, idempotency_key="too-much"
        )
    assert not JournalEntry.objects.filter(idempotency_key="too-much").exists()
    assert balance(fund)["available_cents"] == 1_500_000
