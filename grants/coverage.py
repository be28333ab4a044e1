"""Coverage of the top priorities: how much money and how many projects each gets.

Which priorities count: for a Buurtfonds, the top ``top_priorities`` of its buurt for the
year; for an innovation round, the top ones of every buurt its cooperative covers. An
application names the priorities it serves; its money counts for each of them in equal
parts (the cents that do not divide go to the best-ranked ones), so the parts add up to the
allocation exactly. The fund's rules say what must be covered before an allocation is final.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Prefetch

from .models import Application, Fund, Priority

GRANTED = (
    Application.Status.APPROVED,
    Application.Status.PAID,
    Application.Status.REPORTED,
    Application.Status.CLOSED,
)


@dataclass(frozen=True)
class PriorityCoverage:
    priority: Priority
    allocated_cents: int
    projects: int
    share_percent: Decimal  # of the whole allocation


@dataclass(frozen=True)
class Coverage:
    total_cents: int
    priorities: list[PriorityCoverage]
    top_share_percent: Decimal
    uncovered: list[dict[str, Any]] = field(default_factory=list)

    @property
    def covered(self) -> bool:
        return not self.uncovered


def _percent(part: int, whole: int) -> Decimal:
    if whole <= 0:
        return Decimal("0.00")
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def top_priorities(*, neighbourhood_ids: Iterable[int], year: int, top: int) -> list[Priority]:
    """The top ``top`` ranked priorities of each of the buurten for the year."""
    return list(
        Priority.objects.filter(
            neighbourhood_id__in=list(neighbourhood_ids), year=year, rank__lte=top
        )
        .select_related("neighbourhood")
        .order_by("neighbourhood__name", "rank")
    )


def coverage(*, allocation: Mapping[Application, int], top: list[Priority], fund: Fund) -> Coverage:
    """Coverage of ``top`` by an allocation (application -> cents), checked against the
    fund's rules."""
    money = {p.pk: 0 for p in top}
    projects = {p.pk: 0 for p in top}
    total = 0
    for application, cents in allocation.items():
        if cents <= 0:
            continue
        total += cents
        named = sorted(application.priorities.all(), key=lambda p: (p.rank, p.pk))
        if not named:
            continue
        part, extra = divmod(cents, len(named))
        for index, priority in enumerate(named):
            if priority.pk in money:
                money[priority.pk] += part + (1 if index < extra else 0)
                projects[priority.pk] += 1
    rows = [
        PriorityCoverage(
            priority=p,
            allocated_cents=money[p.pk],
            projects=projects[p.pk],
            share_percent=_percent(money[p.pk], total),
        )
        for p in top
    ]
    top_share = _percent(sum(money.values()), total)
    uncovered: list[dict[str, Any]] = []
    for row in rows:
        about = {
            "priority": row.priority.pk,
            "rank": row.priority.rank,
            "title": row.priority.title,
        }
        if fund.one_project_per_top_priority and row.projects == 0:
            uncovered.append({**about, "rule": "one_project_per_top_priority"})
        minimum = fund.min_share_per_top_priority
        if minimum and row.share_percent < minimum:
            uncovered.append(
                {
                    **about,
                    "rule": "min_share_per_top_priority",
                    "share_percent": str(row.share_percent),
                    "required_percent": str(minimum),
                }
            )
    rules = (
        fund.one_project_per_top_priority
        or fund.min_share_per_top_priority
        or fund.min_share_top_priorities_total
    )
    if rules and not top:
        # Rules about top priorities that nobody set: nothing is covered.
        uncovered.append({"priority": None, "rule": "no_top_priorities"})
    together = fund.min_share_top_priorities_total
    if together and top_share < together:
        uncovered.append(
            {
                "priority": None,
                "rule": "min_share_top_priorities_total",
                "share_percent": str(top_share),
                "required_percent": str(together),
            }
        )
    return Coverage(
        total_cents=total, priorities=rows, top_share_percent=top_share, uncovered=uncovered
    )


def buurtfonds_coverage(*, fund: Fund, year: int) -> Coverage:
    """A Buurtfonds year: the grants decided in that year against its buurt's top priorities."""
    # Only what coverage reads: a page showing it stays fast with hundreds of grants a year.
    granted = (
        Application.objects.filter(fund=fund, status__in=GRANTED, decided_at__year=year)
        .only("pk", "amount_requested_cents")
        .prefetch_related(Prefetch("priorities", queryset=Priority.objects.only("pk", "rank")))
        .order_by("pk")
    )
    neighbourhoods = [fund.neighbourhood_id] if fund.neighbourhood_id else []
    return coverage(
        allocation={a: a.amount_requested_cents for a in granted},
        top=top_priorities(neighbourhood_ids=neighbourhoods, year=year, top=fund.top_priorities),
        fund=fund,
    )
