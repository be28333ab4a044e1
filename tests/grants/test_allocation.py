"""The allocation rules against real elections and, on random instances, against their definitions."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grants.allocation import RULES, _Shares, board_score, equal_shares, equal_shares_greedy, greedy
from grants.pabulib import parse

DATA = Path(__file__).resolve().parent.parent / "data" / "pabulib"


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("Netherlands_Assen_2024", "equal_shares"),
        ("Poland_Swiecie_2023", "equal_shares"),
        ("Poland_Wieliczka_2023_Green_Budget", "equal_shares"),
        ("Poland_Warszawa_2023_Mokotow", "greedy"),
        ("Poland_Warszawa_2023_Wesola", "greedy"),
        ("Poland_Warszawa_2017_Plac_Wojska_Polskiego", "greedy"),
    ],
)
def test_rule_funds_what_the_city_funded(name: str, rule: str) -> None:
    election = parse((DATA / f"{name}.pb").read_text(encoding="utf-8"))
    budget, costs, unit = election.money()
    assert RULES[rule](budget, costs, election.ballots(), unit=unit) == sorted(election.selected())


def test_wieliczka_needs_the_whole_add1_completion() -> None:
    """Stopping at the first outcome nothing fits beside (pabutools' shortcut) funds less."""
    election = parse((DATA / "Poland_Wieliczka_2023_Green_Budget.pb").read_text(encoding="utf-8"))
    budget, costs, _ = election.money()
    ballots = election.ballots()
    shares = _Shares(costs, ballots)
    step = 0
    while True:  # pabutools' shortcut: stop at the first outcome beside which nothing fits
        outcome = shares.run(budget, step, limit=budget)
        assert outcome is not None
        left = budget - sum(costs[p] for p in outcome)
        if all(costs[p] > left for p in set(costs) - set(outcome)):
            break
        step += 1
    assert sorted(outcome) != sorted(election.selected())
    assert equal_shares(budget, costs, ballots) == sorted(election.selected())


def test_board_score_takes_the_best_scores_that_fit_and_breaks_ties_by_id() -> None:
    costs = {"a": 500, "b": 400, "c": 300, "d": 200}
    scores = {"a": Decimal("3.5"), "b": Decimal("4"), "c": Fraction(7, 2), "d": 1}
    # b (4), then a and c tie at 3.5: a first by id; c no longer fits; d does
    assert board_score(1000, costs, scores) == ["a", "b"]
    assert board_score(1100, costs, scores) == ["a", "b", "d"]
    assert board_score(1200, costs, scores) == ["a", "b", "c"]


def test_greedy_skips_what_no_longer_fits_and_never_funds_the_unapproved() -> None:
    costs = {"a": 60, "b": 50, "c": 30, "z": 1}
    ballots = [{"a", "b"}, {"a", "c"}, {"a"}, {"b"}, {"c"}, {"b", "c"}]
    assert greedy(100, costs, ballots) == ["a", "c"]
    assert "z" not in greedy(1000, costs, ballots)


def test_equal_shares_selects_every_approved_project_when_all_fit() -> None:
    costs = {"a": 60, "b": 30, "nobody": 5}
    assert equal_shares(90, costs, [{"a"}, {"a"}, {"b"}]) == ["a", "b"]


def test_equal_shares_counts_unit_steps_in_the_money_given() -> None:
    costs = {"a": 6000, "b": 5000, "c": 4500}
    ballots = [{"a"}, {"a"}, {"b"}, {"c"}]
    in_units = equal_shares(100, {p: c // 100 for p, c in costs.items()}, ballots)
    assert equal_shares(10000, costs, ballots, unit=100) == in_units


def test_equal_shares_greedy_spends_what_equal_shares_leaves() -> None:
    costs = {"a": 50, "b": 60, "c": 40, "d": 10}
    ballots = [{"a"}, {"a"}, {"a"}, {"b", "c"}, {"b", "d"}]
    # b's two voters reach 60 only at 30 each, where a and b cost 110: equal shares stops before
    assert equal_shares(100, costs, ballots) == ["a", "d"]
    # 40 is left: b (2 approvals) does not fit, c (1) does
    assert equal_shares_greedy(100, costs, ballots) == ["a", "c", "d"]


def test_negative_money_is_refused() -> None:
    with pytest.raises(ValueError):
        equal_shares(-1, {"a": 1}, [{"a"}])


# Random instances -------------------------------------------------------------------------

PROJECTS = ["p0", "p1", "p2", "p3", "p4", "p5"]
instances = st.tuples(
    st.integers(min_value=0, max_value=120),
    st.dictionaries(st.sampled_from(PROJECTS), st.integers(min_value=0, max_value=60), min_size=1),
    st.lists(st.frozensets(st.sampled_from(PROJECTS), max_size=4), min_size=1, max_size=12),
)


@settings(max_examples=200, deadline=None)
@given(instances)
def test_no_rule_spends_more_than_the_budget(instance) -> None:
    budget, costs, ballots = instance
    for rule in RULES.values():
        assert sum(costs[p] for p in rule(budget, costs, ballots)) <= budget


@settings(max_examples=200, deadline=None)
@given(instances)
def test_greedy_leaves_no_affordable_approved_project(instance) -> None:
    budget, costs, ballots = instance
    for rule in (greedy, equal_shares_greedy):
        chosen = rule(budget, costs, ballots)
        left = budget - sum(costs[p] for p in chosen)
        approved = {p for ballot in ballots for p in ballot if p in costs}
        assert all(costs[p] > left for p in approved - set(chosen))


def _plain_mes(per_voter: Fraction, costs, ballots) -> tuple[list[str], list[Fraction]]:
    """The definition, slowly and exactly: returns the purchases and what each voter paid."""
    left = [per_voter] * len(ballots)
    chosen: list[str] = [p for p in sorted(costs) if costs[p] == 0 and any(p in b for b in ballots)]
    while True:
        offers = []
        for p in sorted(set(costs) - set(chosen)):
            payers = [i for i, b in enumerate(ballots) if p in b]
            if not payers or sum(left[i] for i in payers) < costs[p]:
                continue
            # the least share s with sum(min(left, s)) == cost
            for s in sorted({left[i] for i in payers} | {Fraction(0)}):
                poor = sum(left[i] for i in payers if left[i] < s)
                rich = sum(1 for i in payers if left[i] >= s)
                if rich and poor + s * rich >= costs[p]:
                    below = max(
                        (x for x in {left[i] for i in payers} if x < s), default=Fraction(0)
                    )
                    poor = sum(left[i] for i in payers if left[i] <= below)
                    rich = sum(1 for i in payers if left[i] > below)
                    share = Fraction(costs[p] - poor, rich)
                    offers.append((share / costs[p], p, payers, share))
                    break
        if not offers:
            paid = [per_voter - x for x in left]
            return chosen, paid
        _, p, payers, share = min(offers)
        chosen.append(p)
        for i in payers:
            left[i] -= min(left[i], share)


@settings(max_examples=150, deadline=None)
@given(instances)
def test_equal_shares_is_the_add1_completion_of_the_definition(instance) -> None:
    budget, costs, ballots = instance
    approved = {p for b in ballots for p in b if p in costs}
    if sum(costs[p] for p in approved) <= budget:
        assert equal_shares(budget, costs, ballots) == sorted(approved)
        return
    n = len(ballots)
    step, outcome = 0, None
    while True:
        per_voter = Fraction(budget, n) + step
        chosen, paid = _plain_mes(per_voter, costs, ballots)
        if sum(costs[p] for p in chosen) > budget:
            break
        outcome, final_paid, final_level = chosen, paid, per_voter
        step += 1
    assert outcome is not None
    assert equal_shares(budget, costs, ballots) == sorted(outcome)
    assert all(0 <= x <= final_level for x in final_paid)


def test_equal_shares_gives_up_when_out_of_time():
    """One voter, a budget of a billion units: the completion would need a billion steps."""
    import pytest

    from grants.allocation import TooLong, equal_shares

    with pytest.raises(TooLong):
        equal_shares(10**9, {"a": 10**9 - 1, "b": 2}, [{"a", "b"}, {"b"}], unit=1, seconds=0.2)
