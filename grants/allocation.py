"""Allocation rules: which projects a budget funds, as pure functions without Django.

Every rule takes the budget and the projects' costs in integer currency units (cents in our app;
whole zloty or euro in pabulib files), and returns the ids of the selected projects sorted by id.
Nothing here touches the database, so the rules can be tested and benchmarked alone, and a
round's outcome can be checked against public tools (pabutools, equalshares.net).

- ``board_score(budget, costs, scores)``: highest score first (the caller computes each project's
  weighted mean, as a ``Decimal``, ``Fraction`` or ``int``), skipping what no longer fits.
- ``greedy(budget, costs, ballots)``: most approvals first, skipping what no longer fits.
- ``equal_shares(budget, costs, ballots)``: the Method of Equal Shares for approval ballots with
  cost utilities, completed as real elections do (equalshares.net's and pabulib's ``add1``): every
  voter's share of the budget is raised by one currency unit at a time and the rule is run again
  while its outcome still fits the real budget; the last outcome that fits is the result. When
  every approved project fits the budget at once, all of them are selected.
- ``equal_shares_greedy(budget, costs, ballots)``: ``equal_shares``, then ``greedy`` over the
  money left.

The approval rules take a keyword ``unit``: one currency unit in the integers given (1 by
default; 100 when money is in cents), the step by which ``add1`` raises each voter's budget.

``RULES`` maps the approval rules' names to these functions. A ballot is the set of project ids a
voter approves; ids on a ballot that are not in ``costs`` are ignored. A project nobody approved
is never selected by an approval rule (nor one nobody scored by ``board_score``), and an approved
project that costs nothing is always selected.

Ties are broken the same way in every rule: by the smaller project id, compared as a string. This
is pabutools' default (lexicographic) tie-breaking, and with it the rules reproduce the real
outcomes of the pabulib elections in ``tests/data/pabulib/``.

How ``equal_shares`` stays fast and exact: money is counted in units of 1/n (n voters), so each
voter starts with the whole budget in those units, an integer. Voters who paid for the same
purchases so far form a class and have the same budget; a run keeps one class id per voter and
one budget per class. A class's budget is a float, and its exact ``Fraction`` is computed (from
the purchases that made the class) only when floats leave a decision within a relative 1e-9:
two projects' prices, a project's affordability. A project's price per unit of utility (rho)
only grows during a run, so the last one computed is a lower bound and most projects need no
new computation in a round (the lazy evaluation described in equalshares.net's computation
notes). Runs at successive budgets mostly buy the same projects in the same order, so they share
the voters' classes and the counts of supporters per class (``_Node``).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from itertools import compress
from operator import itemgetter, mul
from typing import Protocol

Score = Decimal | Fraction | int


class ApprovalRule(Protocol):
    def __call__(
        self,
        budget: int,
        costs: Mapping[str, int],
        ballots: Sequence[Collection[str]],
        *,
        unit: int = 1,
    ) -> list[str]: ...


def board_score(budget: int, costs: Mapping[str, int], scores: Mapping[str, Score]) -> list[str]:
    """Fund projects by descending score, skipping any that no longer fit; ties by smaller id."""
    order = sorted((p for p in scores if p in costs), key=lambda p: (-Fraction(scores[p]), p))
    return _fill(budget, costs, order, [])


def greedy(
    budget: int, costs: Mapping[str, int], ballots: Sequence[Collection[str]], *, unit: int = 1
) -> list[str]:
    """Fund projects by descending number of approvals, skipping any that no longer fit.

    ``unit`` is accepted (and unused) so that every rule in ``RULES`` is called alike.
    """
    return _fill(budget, costs, _by_approvals(costs, ballots), [])


class TooLong(Exception):
    """The completion did not end within the time it was given."""


def equal_shares(
    budget: int,
    costs: Mapping[str, int],
    ballots: Sequence[Collection[str]],
    *,
    unit: int = 1,
    seconds: float | None = None,
) -> list[str]:
    """The Method of Equal Shares (cost utilities) with the ``add1`` completion.

    ``unit`` is one currency unit in the integers given (100 for cents): the completion raises
    each voter's budget by that much at a time. With ``seconds``, :class:`TooLong` is raised
    when the completion runs longer (a file whose few voters and large budget would need
    millions of steps).
    """
    deadline = None if seconds is None else time.monotonic() + seconds
    _check(budget, costs)
    shares = _Shares(costs, ballots)
    approved = shares.approved
    if sum(costs[p] for p in approved) <= budget:
        return sorted(approved)
    outcome = shares.run(budget, 0, limit=budget)
    assert outcome is not None  # at the real budget, the voters cannot pay more than it
    step = 1
    while True:
        if deadline is not None and time.monotonic() > deadline:
            raise TooLong(step)
        bigger = shares.run(budget, step * unit, limit=budget)
        if bigger is None:
            return sorted(outcome)
        outcome = bigger
        step += 1


def equal_shares_greedy(
    budget: int,
    costs: Mapping[str, int],
    ballots: Sequence[Collection[str]],
    *,
    unit: int = 1,
    seconds: float | None = None,
) -> list[str]:
    """``equal_shares``, then the money left goes to the most approved projects that fit."""
    chosen = equal_shares(budget, costs, ballots, unit=unit, seconds=seconds)
    return _fill(budget, costs, _by_approvals(costs, ballots), chosen)


RULES: dict[str, ApprovalRule] = {
    "greedy": greedy,
    "equal_shares": equal_shares,
    "equal_shares_greedy": equal_shares_greedy,
}


def _check(budget: int, costs: Mapping[str, int]) -> None:
    if budget < 0 or any(cost < 0 for cost in costs.values()):
        raise ValueError("budget and costs must not be negative")


def _by_approvals(costs: Mapping[str, int], ballots: Sequence[Collection[str]]) -> list[str]:
    approvals = Counter(p for ballot in ballots for p in set(ballot) if p in costs)
    return sorted(approvals, key=lambda p: (-approvals[p], p))


def _fill(budget: int, costs: Mapping[str, int], order: list[str], chosen: list[str]) -> list[str]:
    _check(budget, costs)
    selected = set(chosen)
    left = budget - sum(costs[p] for p in selected)
    for project in order:
        if project not in selected and costs[project] <= left:
            selected.add(project)
            left -= costs[project]
    return sorted(selected)


class _Shares:
    """One instance of the Method of Equal Shares, run at several budgets per voter.

    What does not depend on the budget (who approves what, the classes a sequence of purchases
    makes) is built once and shared by the runs.
    """

    def __init__(self, costs: Mapping[str, int], ballots: Sequence[Collection[str]]) -> None:
        self.voters = len(ballots)
        supporters: dict[str, list[int]] = {p: [] for p in costs}
        for voter, ballot in enumerate(ballots):
            for project in set(ballot):
                if project in supporters:
                    supporters[project].append(voter)
        self.free = sorted(p for p, v in supporters.items() if v and costs[p] == 0)
        self.projects = sorted(p for p, v in supporters.items() if v and costs[p] > 0)
        self.approved = self.free + self.projects
        self.cost = {p: costs[p] * self.voters for p in self.projects}
        self.real_cost = dict(costs)
        self.supporters = {p: supporters[p] for p in self.projects}
        # itemgetter with one index returns the item, not a 1-tuple
        self.getter = {
            p: itemgetter(*v) if len(v) > 1 else (lambda row, i=v[0]: (row[i],))
            for p, v in self.supporters.items()
        }
        self.root = _Node([1] * self.voters)

    def run(self, budget: int, step: int, *, limit: int) -> list[str] | None:
        """The outcome with ``budget / n + step`` per voter; None once it costs more than limit."""
        classes = _Classes(budget + step * self.voters)  # budgets in units of 1/n
        node = self.root
        # lower bounds of rho (price per unit of utility): equal split among all supporters
        bound = {p: 1 / len(self.supporters[p]) for p in self.projects}
        selected = list(self.free)
        spent = sum(self.real_cost[p] for p in selected)
        while bound:
            best: _Offer | None = None
            for project in sorted(bound, key=lambda p: (bound[p], p)):
                if best is not None and bound[project] > best.rho * _ABOVE:
                    break
                offer = classes.offer(project, self.cost[project], node.counts(project, self))
                if offer is None:
                    del bound[project]
                    continue
                bound[project] = offer.rho
                if best is None or offer.beats(best, classes):
                    best = offer
            if best is None:
                break
            del bound[best.project]
            selected.append(best.project)
            spent += self.real_cost[best.project]
            if spent > limit:
                return None
            remap = classes.charge(best)
            node = node.follow(best.project, remap, self.supporters[best.project])
        return selected


class _Node:
    """Which class each voter is in after a sequence of purchases.

    A class is a history: the purchases its voters paid for. Runs at nearby budgets mostly buy
    the same projects in the same order, and then their voters' classes are the same (their
    budgets are not): runs share these nodes (only the last run's path is kept) and the counts
    of supporters per class kept in them.
    """

    __slots__ = ("class_of", "key", "child", "_counts")

    def __init__(self, class_of: list[int], key: object = None) -> None:
        self.class_of = class_of
        self.key = key
        self.child: _Node | None = None
        self._counts: dict[str, Counter[int]] = {}

    def counts(self, project: str, shares: _Shares) -> Counter[int]:
        """How many of the project's supporters are in each class."""
        counts = self._counts.get(project)
        if counts is None:
            counts = Counter(shares.getter[project](self.class_of))
            self._counts[project] = counts
        return counts

    def follow(self, project: str, remap: dict[int, int], supporters: list[int]) -> _Node:
        child = self.child
        if child is None or child.key != project:
            class_of = self.class_of.copy()
            for voter in supporters:
                class_of[voter] = remap[class_of[voter]]
            child = self.child = _Node(class_of, project)
        return child


# Floats only order and sift; every decision they leave this close is taken exactly.
_BELOW = 1 - 1e-9
_ABOVE = 1 + 1e-9


class _Offer:
    """A project's price per unit of utility (rho) for its supporters' current budgets."""

    __slots__ = ("project", "cost", "counts", "rho", "exact")

    def __init__(self, project: str, cost: int, counts: Counter[int], rho: float) -> None:
        self.project = project
        self.cost = cost
        self.counts = counts
        self.rho = rho
        self.exact: Fraction | None = None

    def beats(self, other: _Offer, classes: _Classes) -> bool:
        """Lower rho wins; equal rho goes to the smaller project id."""
        if self.rho < other.rho * _BELOW:
            return True
        if self.rho > other.rho * _ABOVE:
            return False
        mine, theirs = classes.exact_rho(self), classes.exact_rho(other)
        return mine < theirs or (mine == theirs and self.project < other.project)


class _Classes:
    """The budgets of a run's classes, as floats, and exactly only when a decision needs it.

    Class 0 is unused, class 1 is everyone at the start; a class made by a purchase knows its
    parent class and the offer it paid, and so its exact budget.
    """

    def __init__(self, start: int) -> None:
        self.start = start
        self.approx: list[float] = [0.0, float(start)]
        self.exact: list[Fraction | int | None] = [0, start]
        self.origin: list[tuple[int, _Offer] | None] = [None, None]

    def exact_budget(self, cls: int) -> Fraction | int:
        value = self.exact[cls]
        if value is None:
            origin = self.origin[cls]
            assert origin is not None
            parent, offer = origin
            left = self.exact_budget(parent) - self.exact_rho(offer) * offer.cost
            value = self.exact[cls] = left if left > 0 else 0
        return value

    def offer(self, project: str, cost: int, counts: Counter[int]) -> _Offer | None:
        """The project's offer, or None when its supporters cannot pay for it any more."""
        budgets = list(map(self.approx.__getitem__, counts))
        # voters with nothing left pay nothing: only those with money take part in the split
        left = list(map(bool, budgets))
        budgets = list(compress(budgets, left))
        sizes = list(compress(counts.values(), left))
        money = sum(map(mul, budgets, sizes))
        if money < cost * _BELOW:
            return None
        if (
            money < cost * _ABOVE
            and sum(self.exact_budget(c) * n for c, n in counts.items()) < cost
        ):
            return None
        paid = 0.0
        payers = sum(sizes)
        # sorting indices by float keys is several times faster than sorting pairs
        for i in sorted(range(len(budgets)), key=budgets.__getitem__):
            budget, n = budgets[i], sizes[i]
            share = (cost - paid) / payers
            if share <= budget:
                return _Offer(project, cost, counts, share / cost)
            paid += budget * n
            payers -= n
        # only rounding leads here, since the money was enough
        offer = _Offer(project, cost, counts, 1.0)
        offer.rho = float(self.exact_rho(offer))
        return offer

    def exact_rho(self, offer: _Offer) -> Fraction:
        if offer.exact is None:
            paid: Fraction | int = 0
            payers = sum(offer.counts.values())
            for cls in sorted(offer.counts, key=self.exact_budget):
                share = Fraction(offer.cost - paid, payers)
                if share <= self.exact_budget(cls):
                    offer.exact = share / offer.cost
                    break
                paid += self.exact_budget(cls) * offer.counts[cls]
                payers -= offer.counts[cls]
            else:
                raise AssertionError("an affordable project has no price")
        return offer.exact

    def charge(self, offer: _Offer) -> dict[int, int]:
        """Each supporter pays the share, or all it has left; returns old class -> new class.

        The new classes are numbered in the order of ``offer.counts``, from the number of
        classes so far: the numbering depends on the purchases only, not on the budgets.
        """
        share = offer.rho * offer.cost
        first = len(self.approx)
        self.approx.extend(
            [b - share if b > share else 0.0 for b in map(self.approx.__getitem__, offer.counts)]
        )
        self.exact.extend([None] * len(offer.counts))
        self.origin.extend([(cls, offer) for cls in offer.counts])
        return {cls: first + i for i, cls in enumerate(offer.counts)}
