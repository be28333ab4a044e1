from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q

from grants.models import Application

from .models import Ballot, Choice


@dataclass(frozen=True)
class Tally:
    yes: int
    no: int

    @property
    def total(self) -> int:
        return self.yes + self.no

    def as_dict(self) -> dict[str, int]:
        return {"yes": self.yes, "no": self.no, "total": self.total}


def tally(application: Application) -> Tally:
    """The ballots counted now. Voting closes by the clock, so after the close this is final."""
    counts = Ballot.objects.filter(application=application).aggregate(
        yes=Count("id", filter=Q(choice=Choice.YES)), no=Count("id", filter=Q(choice=Choice.NO))
    )
    return Tally(yes=counts["yes"], no=counts["no"])


def tallies(application_ids: list[int]) -> dict[int, Tally]:
    """The tallies of several applications in one query (none cast: zero)."""
    rows = (
        Ballot.objects.filter(application_id__in=application_ids)
        .values("application_id")
        .annotate(
            yes=Count("id", filter=Q(choice=Choice.YES)), no=Count("id", filter=Q(choice=Choice.NO))
        )
    )
    found = {r["application_id"]: Tally(yes=r["yes"], no=r["no"]) for r in rows}
    return {pk: found.get(pk, Tally(yes=0, no=0)) for pk in application_ids}


def ballot_by_receipt(receipt_hash: str) -> Ballot | None:
    return Ballot.objects.select_related("application").filter(receipt_hash=receipt_hash).first()
