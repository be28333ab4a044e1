"""Property: any sequence of postings and reversals keeps the books balanced, and a pot's
balance always equals a recomputation from its lines."""

import pytest
from django.db import transaction
from django.db.models import Q
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.errors import DomainError
from ledger import chart, postings
from ledger.models import JournalEntry, JournalLine
from ledger.selectors import pot_balance
from ledger.services import entry_reverse
from tests.ledger.factories import application, pot

pytestmark = pytest.mark.django_db

amounts = st.integers(min_value=1, max_value=500_000)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("deposit"), amounts, st.sampled_from(sorted(chart.INCOME_BY_SOURCE))),
        st.tuples(st.just("reserve"), st.integers(0, 3), amounts),
        st.tuples(
            st.sampled_from(["release", "commit", "cancel", "payout"]),
            st.integers(0, 3),
            st.just(0),
        ),
        st.tuples(st.just("return"), st.integers(0, 3), amounts),
        st.tuples(st.just("crowdfunding"), st.integers(0, 3), amounts),
        st.tuples(st.just("reverse"), st.integers(0, 50), st.just(0)),
    ),
    max_size=25,
)


def recompute(p):
    """The pot's figures from its lines, by the definitions in ledger/chart.py."""
    pot_account, reserved = chart.POT_ACCOUNTS[p.kind]
    lines = list(
        JournalLine.objects.filter(Q(earmark=p) | Q(earmark__parent=p)).select_related(
            "account", "entry"
        )
    )

    def credit(account, kind=None):
        return sum(
            -ln.signed_cents
            for ln in lines
            if ln.account.code == account and (kind is None or ln.entry.kind == kind)
        )

    return {
        "deposited_cents": credit(pot_account, "deposit"),
        "reserved_cents": credit(reserved),
        "committed_cents": credit(chart.GRANTS_PAYABLE),
        "paid_cents": -credit(chart.GRANTS_PAYABLE, "payout"),
        "returned_cents": credit(pot_account, "unspent_return"),
        "available_cents": credit(pot_account),
    }


def apply(op, fund, apps, amounts_by_app, step):
    name, a, b = op
    key = f"{fund.ref}:{step}"
    if name == "deposit":
        postings.post_deposit(
            pot=fund, amount_cents=a, source=b, idempotency_key=key, description="d"
        )
    elif name == "reserve":
        postings.post_reservation(application=apps[a], amount_cents=b, idempotency_key=key)
        amounts_by_app[a] = b
    elif name in ("release", "commit", "cancel", "payout") and a in amounts_by_app:
        event = {
            "release": "release",
            "commit": "commitment",
            "cancel": "cancellation",
            "payout": "payout",
        }[name]
        postings.post_event(
            postings.APPLICATION_EVENTS[event],
            earmark=apps[a],
            amount_cents=amounts_by_app[a],
            idempotency_key=key,
        )
    elif name == "return":
        postings.post_event(
            postings.APPLICATION_EVENTS["unspent_return"],
            earmark=apps[a],
            amount_cents=b,
            idempotency_key=key,
        )
    elif name == "crowdfunding":
        postings.post_event(
            postings.PROCESSOR_EVENTS["crowdfunding"],
            earmark=apps[a],
            amount_cents=b,
            idempotency_key=key,
            description="c",
        )
    elif name == "reverse":
        entries = list(JournalEntry.objects.filter(reverses__isnull=True).order_by("pk"))
        if entries:
            entry_reverse(entry=entries[a % len(entries)], reason="property test")


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=operations)
def test_books_stay_balanced_and_pot_balances_match_their_lines(ops):
    with transaction.atomic():
        fund = pot()
        apps = [application(fund) for _ in range(4)]
        amounts_by_app: dict[int, int] = {}
        for step, op in enumerate(ops):
            try:
                with transaction.atomic():
                    apply(op, fund, apps, amounts_by_app, step)
            except DomainError:
                pass  # e.g. insufficient funds: refused, nothing written
        signed = [ln.signed_cents for ln in JournalLine.objects.all()]
        assert sum(signed) == 0
        for entry_id in set(JournalLine.objects.values_list("entry_id", flat=True)):
            assert sum(ln.signed_cents for ln in JournalLine.objects.filter(entry_id=entry_id)) == 0
        balance = pot_balance(fund).as_dict()
        assert balance == recompute(fund)
        assert balance["available_cents"] == (
            balance["deposited_cents"]
            - balance["reserved_cents"]
            - balance["committed_cents"]
            - balance["paid_cents"]
            + balance["returned_cents"]
        )
        transaction.set_rollback(True)
