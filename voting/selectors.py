"""Reads of the voting domain: tallies are counted by opening the seals, never kept as counters."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from grants.models import Application

from . import seal
from .models import Participation

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Tally:
    """Counts of one vote. ``paper``: how many of them were paper ballots (never split into
    yes and no). ``unreadable``: seals that did not open, counted nowhere and reported."""

    yes: int
    no: int
    paper: int = 0
    unreadable: int = 0

    @property
    def total(self) -> int:
        return self.yes + self.no

    def as_dict(self) -> dict[str, int]:
        return {"yes": self.yes, "no": self.no, "total": self.total, "paper": self.paper}


def tallies(application_ids: Iterable[int]) -> dict[int, Tally]:
    """The tallies of several applications, opened from their participations (none: zero).

    Voting closes by the clock, so after the close a tally is final. A seal that does not
    open (altered in the database, or sealed under another key) is left out and logged.
    """
    ids = list(application_ids)
    counts: dict[int, dict[str, int]] = defaultdict(
        lambda: {"yes": 0, "no": 0, "paper": 0, "unreadable": 0}
    )
    rows = Participation.objects.filter(application_id__in=ids).values_list(
        "application_id", "voter_id", "sealed"
    )
    for application_id, voter_id, sealed in rows.iterator(chunk_size=2000):
        if sealed is None:
            continue  # from before ballots were sealed: the decision's stored counts stand
        count = counts[application_id]
        try:
            opened = seal.unseal(application_id=application_id, voter_id=voter_id, sealed=sealed)
        except seal.SealBroken:
            count["unreadable"] += 1
            continue
        count[opened.choice] += 1
        count["paper"] += opened.paper
    for application_id, count in counts.items():
        if count["unreadable"]:
            logger.error(
                "Application %s: %s sealed ballots do not open and are not counted.",
                application_id,
                count["unreadable"],
            )
    return {pk: Tally(**counts[pk]) if pk in counts else Tally(yes=0, no=0) for pk in ids}


def tally(application: Application) -> Tally:
    """The ballots counted now (for a live tally, or to check a decision)."""
    return tallies([application.pk])[application.pk]


@dataclass(frozen=True)
class TallyDisagreement:
    application_id: int
    stored: Tally
    sealed: Tally


def tally_disagreements(application_ids: Iterable[int] | None = None) -> list[TallyDisagreement]:
    """Decided votes whose stored counts differ from their opened seals, or have seals that
    do not open: each one is a decision somebody must look at."""
    decided = Application.objects.filter(yes_votes__isnull=False, no_votes__isnull=False)
    if application_ids is not None:
        decided = decided.filter(pk__in=list(application_ids))
    rows = list(decided.values_list("pk", "yes_votes", "no_votes", "paper_votes"))
    opened = tallies(pk for pk, *_ in rows)
    found = []
    for pk, yes, no, paper in rows:
        stored = Tally(yes=yes or 0, no=no or 0, paper=paper or 0)
        sealed = opened[pk]
        if (
            sealed != stored
            and Participation.objects.filter(application_id=pk, sealed__isnull=False).exists()
        ):
            found.append(TallyDisagreement(application_id=pk, stored=stored, sealed=sealed))
    return found


def shown_tally(application: Application) -> Tally | None:
    """The counts anyone may see: after the decision its stored counts; during the vote the
    live counts only if the fund shows them; otherwise nothing."""
    if application.yes_votes is not None and application.no_votes is not None:
        return Tally(
            yes=application.yes_votes, no=application.no_votes, paper=application.paper_votes or 0
        )
    if application.status == Application.Status.VOTING and application.show_live_tally:
        return tally(application)
    return None
