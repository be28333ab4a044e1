"""The pot never grants more than it holds, whatever the order or concurrency of actions."""

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from backend.errors import DomainError
from grants import services
from grants.models import Application
from ledger.errors import InsufficientFunds
from ledger.selectors import Repayment, earmark_repayment, pot_balance, trial_balance
from tests.concurrency import run_in_parallel
from tests.grants.factories import board_of, make_application, make_fund, resident_of, treasurer_of


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_24_parallel_submits_against_a_pot_that_fits_5(coop_a, rivierenwijk):
    fund = make_fund(coop_a, rivierenwijk, deposit_cents=5 * 40_000)
    applications = [make_application(fund) for _ in range(24)]
    results = run_in_parallel(
        [
            (lambda a=a: services.application_submit(application=a, acting_user=a.applicant))
            for a in applications
        ]
    )
    won = [r for r in results if isinstance(r, Application)]
    lost = [r for r in results if isinstance(r, InsufficientFunds)]
    assert len(won) == 5 and len(lost) == 19, results
    balance = pot_balance(fund.earmark)
    assert (balance.reserved_cents, balance.available_cents) == (200_000, 0)
    assert Application.objects.filter(status="voting").count() == 5
    assert Application.objects.filter(status="draft").count() == 19
    rows = trial_balance(year=won[0].vote_opens_at.year)
    assert sum(r.debit_cents for r in rows) == sum(r.credit_cents for r in rows)


class FundMachine(RuleBasedStateMachine):
    """Random actions on a fund's applications; the books must always match their states."""

    fund = None  # set by the test

    def __init__(self) -> None:
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.applications: list[Application] = []
        self.board = board_of(self.fund.cooperative)
        self.treasurer = treasurer_of(self.fund.cooperative)
        self.residents = [resident_of(self.fund) for _ in range(2)]
        # Money the machine itself saw come back or written off, per application.
        self.returned: dict[int, int] = {}
        self.written_off: dict[int, int] = {}

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    def _try(self, call):
        try:
            with transaction.atomic():
                call()
        except DomainError:
            pass  # refused (wrong state, insufficient funds): nothing may have changed

    @rule(amount=st.integers(min_value=100, max_value=75_000), who=st.integers(0, 1))
    def create(self, amount, who):
        self.applications.append(
            make_application(
                self.fund,
                applicant=self.residents[who],
                amount_requested_cents=amount,
                total_budget_cents=amount * 2,
                own_contribution_cents=amount,
            )
        )

    def _pick(self, index, *states):
        # Mostly applications the action fits, so that long paths (submit, approve, pay,
        # report, close) happen; sometimes any, so refusals are exercised too.
        ids = [a.pk for a in self.applications]
        fitting = list(
            Application.objects.filter(pk__in=ids, status__in=states).values_list("pk", flat=True)
        )
        pool = fitting if fitting and index % 4 else ids
        return Application.objects.get(pk=pool[index % len(pool)])

    @precondition(lambda self: self.applications)
    @rule(i=st.integers(0, 7))
    def submit(self, i):
        a = self._pick(i, "draft")
        self._try(lambda: services.application_submit(application=a, acting_user=a.applicant))

    @precondition(lambda self: self.applications)
    @rule(i=st.integers(0, 7), yes=st.integers(0, 6), no=st.integers(0, 7))
    def decide(self, i, yes, no):
        a = self._pick(i, "voting")
        self._try(lambda: services.application_decide(application=a, yes=yes, no=no))

    @precondition(lambda self: self.applications)
    @rule(i=st.integers(0, 7))
    def withdraw(self, i):
        a = self._pick(i, "draft", "voting")
        self._try(lambda: services.application_withdraw(application=a, acting_user=a.applicant))

    @precondition(lambda self: self.applications)
    @rule(i=st.integers(0, 7))
    def pay(self, i):
        a = self._pick(i, "approved")
        self._try(lambda: services.application_pay(application=a, acting_user=self.treasurer))

    @precondition(lambda self: self.applications)
    @rule(i=st.integers(0, 7))
    def cancel(self, i):
        a = self._pick(i, "approved")
        self._try(lambda: services.application_cancel(application=a, acting_user=self.board))

    @precondition(lambda self: self.applications)
    @rule(i=st.integers(0, 7), share=st.integers(0, 99))
    def report(self, i, share):
        a = self._pick(i, "paid")
        spent = a.amount_requested_cents * share // 100
        self._try(
            lambda: services.application_report(
                application=a, acting_user=a.applicant, summary="x", spent_cents=spent
            )
        )

    @precondition(lambda self: self.applications)
    @rule(i=st.integers(0, 7), share=st.integers(1, 100), ref=st.integers(0, 2))
    def return_money(self, i, share, ref):
        """The treasurer books part or all of what is owed (references may repeat)."""
        a = self._pick(i, "reported")
        owed = a.unspent_cents - self.returned.get(a.pk, 0) - self.written_off.get(a.pk, 0)
        amount = max(1, owed * share // 100)
        reference = f"BANK-{a.pk}-{ref}"
        try:
            with transaction.atomic():
                _, booked = services.application_return_book(
                    application=a, acting_user=self.treasurer, amount_cents=amount,
                    reference=reference,
                )  # fmt: skip
        except DomainError:
            return
        if booked:
            self.returned[a.pk] = self.returned.get(a.pk, 0) + amount

    @precondition(lambda self: self.applications)
    @rule(i=st.integers(0, 7))
    def write_off(self, i):
        a = self._pick(i, "reported")
        owed = a.unspent_cents - self.returned.get(a.pk, 0) - self.written_off.get(a.pk, 0)
        try:
            with transaction.atomic():
                services.application_write_off(
                    application=a, acting_user=self.board, reason="vertrokken"
                )
        except DomainError:
            return
        self.written_off[a.pk] = self.written_off.get(a.pk, 0) + owed

    @precondition(lambda self: self.applications)
    @rule(i=st.integers(0, 7))
    def close(self, i):
        a = self._pick(i, "reported")
        self._try(
            lambda: services.application_close(
                application=a, acting_user=self.board, evaluation="successful"
            )
        )

    @precondition(lambda self: self.applications)
    @rule(
        i=st.integers(0, 7),
        yes=st.integers(0, 6),
        share=st.integers(0, 100),
        stop=st.integers(1, 4),
    )
    def walk(self, i, yes, share, stop):
        """Several steps at once (submit, decide, pay, report), so deep states are common."""
        a = self._pick(i, "draft")
        steps = [
            lambda: services.application_submit(application=a, acting_user=a.applicant),
            lambda: services.application_decide(application=a, yes=yes, no=1),
            lambda: services.application_pay(application=a, acting_user=self.treasurer),
            lambda: services.application_report(
                application=a,
                acting_user=a.applicant,
                summary="x",
                spent_cents=a.amount_requested_cents * share // 100,
            ),
        ]
        for step in steps[:stop]:
            self._try(step)
            a.refresh_from_db()

    @invariant()
    def books_match_the_states(self):
        apps = list(Application.objects.filter(fund=self.fund))

        def total(*states):
            return sum(a.amount_requested_cents for a in apps if a.status in states)

        # Only money that came back is in the pot; the rest is owed or written off.
        returned = sum(self.returned.values())
        for a in apps:
            owed = (
                a.unspent_cents - self.returned.get(a.pk, 0) - self.written_off.get(a.pk, 0)
                if a.status in ("reported", "closed")
                else 0
            )
            assert earmark_repayment(a.earmark) == Repayment(
                owed_cents=owed,
                returned_cents=self.returned.get(a.pk, 0),
                written_off_cents=self.written_off.get(a.pk, 0),
            )
            if a.status == "closed":
                assert owed == 0
        balance = pot_balance(self.fund.earmark)
        assert balance.reserved_cents == total("voting")
        assert balance.committed_cents == total("approved")
        assert balance.paid_cents == total("paid", "reported", "closed")
        assert balance.returned_cents == returned
        assert (
            balance.available_cents
            == balance.deposited_cents
            - total("voting", "approved", "paid", "reported", "closed")
            + returned
        )
        assert balance.available_cents >= 0


@pytest.mark.django_db
def test_ledger_balance_equals_application_amounts_per_state(coop_a, rivierenwijk):
    FundMachine.fund = make_fund(coop_a, rivierenwijk, deposit_cents=150_000)
    run_state_machine_as_test(
        FundMachine,
        settings=settings(
            max_examples=40,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
