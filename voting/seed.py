"""Demo applications in every state, so a newcomer sees decisions, tallies and money at once.

Each is found again by its title in Buurtfonds Rivierenwijk, so a second run adds nothing.
All of it goes through the real services: a resident applies and submits (the vote opens),
neighbours cast sealed ballots, the vote is decided on the tally of those ballots, and the
treasurer, applicant and board pay, report, book a return and close.

How a decided vote is made: the demo fund's vote window is set to its shortest (one
minute) while the application is submitted, the ballots are cast inside that minute, and
the vote is then decided with ``application_decide`` on the tally opened from the ballots,
as settling would do when the minute is over (nobody can vote once it is decided, so the
count is final). The open vote is submitted with a window that ends later today. Both
times the fund's own window is put back afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.utils import timezone

from community.models import User
from community.seed import DEMO_NEIGHBOURS
from grants import services as grants
from grants.models import Application, Fund, Priority

from . import services
from .models import Choice
from .selectors import tally

Status = Application.Status


@dataclass(frozen=True)
class DemoApplication:
    status: str
    title: str
    summary: str
    applicant: str
    amount_cents: int
    own_contribution_cents: int
    payee_name: str
    payee_iban: str
    priority_rank: int
    yes: int
    no: int
    spent_cents: int | None = None  # reported and closed: what was spent
    return_booked: bool = False  # the unspent money came back before the evaluation


DEMO_APPLICATIONS = [
    DemoApplication(
        status=Status.VOTING,
        title="Bankjes bij de speeltuin",
        summary="Drie houten bankjes rond de speeltuin aan de Balijelaan, zodat ouders en "
        "grootouders kunnen zitten terwijl de kinderen spelen.",
        applicant="demo-bewoner-01",
        amount_cents=45_000,
        own_contribution_cents=2_500,
        payee_name="Speeltuinvereniging Rivierenwijk",
        payee_iban="NL20INGB0001234567",
        priority_rank=2,
        yes=4,
        no=2,
    ),
    DemoApplication(
        status=Status.APPROVED,
        title="Buurtbarbecue Rijnlaan",
        summary="Een middag samen eten op straat voor de hele Rijnlaan: barbecue, tafels, "
        "bankjes en muziek, en een straatspel voor de kinderen.",
        applicant="demo-bewoner-02",
        amount_cents=35_000,
        own_contribution_cents=2_000,
        payee_name="Bewonerscommissie Rijnlaan",
        payee_iban="NL02ABNA0123456789",
        priority_rank=1,
        yes=7,
        no=2,
    ),
    DemoApplication(
        status=Status.PAID,
        title="Repaircafé in het buurthuis",
        summary="Elke eerste zaterdag van de maand repareren vrijwilligers kapotte spullen "
        "in het buurthuis; gereedschap, onderdelen en koffie voor een jaar.",
        applicant="demo-bewoner-03",
        amount_cents=28_000,
        own_contribution_cents=1_500,
        payee_name="Stichting Buurthuis Rivierenwijk",
        payee_iban="NL69INGB0123456789",
        priority_rank=1,
        yes=8,
        no=1,
    ),
    DemoApplication(
        status=Status.REPORTED,
        title="Geveltuintjes Dichterswijk",
        summary="Twintig geveltuintjes in de Dichterswijk: tegels eruit, aarde, planten en "
        "een werkmiddag met de buren die meedoen.",
        applicant="demo-bewoner-04",
        amount_cents=40_000,
        own_contribution_cents=2_500,
        payee_name="Groengroep Dichterswijk",
        payee_iban="NL44RABO0123456789",
        priority_rank=3,
        yes=6,
        no=3,
        spent_cents=32_500,  # EUR 75 is owed back, not returned yet
    ),
    DemoApplication(
        status=Status.CLOSED,
        title="Kerstborrel voor ouderen",
        summary="Een warme middag in december voor ouderen uit de buurt die veel alleen zijn: "
        "hapjes, drankjes, muziek en vervoer voor wie slecht ter been is.",
        applicant="demo-bewoner-05",
        amount_cents=22_500,
        own_contribution_cents=1_200,
        payee_name="Stichting Buurthuis Rivierenwijk",
        payee_iban="NL69INGB0123456789",
        priority_rank=1,
        yes=9,
        no=0,
        spent_cents=20_000,  # EUR 25 unspent, returned, then evaluated as successful
        return_booked=True,
    ),
    DemoApplication(
        status=Status.REJECTED,
        title="Moestuin achter de school",
        summary="Een moestuin op het grasveld achter de basisschool, met bakken, een hek en "
        "een waterton, voor de school en de buurt samen.",
        applicant="demo-bewoner-06",
        amount_cents=50_000,
        own_contribution_cents=3_000,
        payee_name="Ouderraad basisschool Rivierenwijk",
        payee_iban="NL18RABO0123459876",
        priority_rank=3,
        yes=2,
        no=5,
    ),
]


def open_vote_minutes(now: datetime) -> int:
    """A window that closes later today (local time): at 22:00, or, late in the evening,
    an hour from now but before midnight. At least the one minute a fund allows (so a run in
    the last minute of the day gives a window into the next)."""
    zone = timezone.get_current_timezone()
    local = timezone.localtime(now, zone)
    evening = datetime.combine(local.date(), time(22, 0), tzinfo=zone)
    last = datetime.combine(local.date(), time(23, 59), tzinfo=zone)
    closes = min(max(evening, local + timedelta(hours=1)), last)
    return max(1, round((closes - local).total_seconds() / 60))


@contextmanager
def vote_window(fund: Fund, minutes: int) -> Iterator[None]:
    """Submit with this window, then give the fund its own window back."""
    own = Fund.objects.values_list("vote_window_minutes", flat=True).get(pk=fund.pk)
    Fund.objects.filter(pk=fund.pk).update(vote_window_minutes=minutes)
    try:
        yield
    finally:
        Fund.objects.filter(pk=fund.pk).update(vote_window_minutes=own)


def _make(demo: DemoApplication, *, fund: Fund, users: dict[str, User]) -> Application:
    applicant = users[demo.applicant]
    application = grants.application_create(
        fund=fund,
        acting_user=applicant,
        title=demo.title,
        summary=demo.summary,
        amount_requested_cents=demo.amount_cents,
        total_budget_cents=demo.amount_cents + demo.own_contribution_cents,
        own_contribution_cents=demo.own_contribution_cents,
        priorities=Priority.objects.filter(
            neighbourhood=fund.neighbourhood, year=2026, rank=demo.priority_rank
        ),
        payee_name=demo.payee_name,
        payee_iban=demo.payee_iban,
    )
    still_open = demo.status == Status.VOTING
    minutes = open_vote_minutes(timezone.now()) if still_open else 1
    with vote_window(fund, minutes):
        application = services.vote_open(application=application, acting_user=applicant)
    voters = [users[name] for name in DEMO_NEIGHBOURS if name != demo.applicant]
    choices = [Choice.YES] * demo.yes + [Choice.NO] * demo.no
    for voter, choice in zip(voters, choices, strict=False):
        services.ballot_cast(application_id=application.pk, voter=voter, choice=choice)
    if still_open:
        return application
    counted = tally(application)
    application = grants.application_decide(
        application=application, yes=counted.yes, no=counted.no, paper=counted.paper
    )
    if demo.status in (Status.APPROVED, Status.REJECTED):
        return application
    coop = fund.cooperative
    treasurer = coop.memberships.get(role="treasurer", user__username="demo-treasurer").user
    board = coop.memberships.get(role="board", user__username="demo-board").user
    application = grants.application_pay(application=application, acting_user=treasurer)
    if demo.status == Status.PAID:
        return application
    assert demo.spent_cents is not None
    application = grants.application_report(
        application=application,
        acting_user=applicant,
        summary="Gedaan wat we van plan waren; de bonnen zitten erbij.",
        spent_cents=demo.spent_cents,
    )
    if demo.return_booked:
        application, _ = grants.application_return_book(
            application=application,
            acting_user=treasurer,
            amount_cents=application.unspent_cents,
            reference=f"DEMO-TERUG-{application.pk}",
        )
    if demo.status == Status.REPORTED:
        return application
    return grants.application_close(
        application=application,
        acting_user=board,
        evaluation=Application.Evaluation.SUCCESSFUL,
        note="Goed bezocht; volgend jaar graag weer.",
    )


def seed(*, password: str, log: Callable[[str], object]) -> None:
    fund = Fund.objects.select_related("cooperative", "neighbourhood").get(
        cooperative__slug="buurtcooperatie-dichterswijk-rivierenwijk",
        name="Buurtfonds Rivierenwijk",
    )
    users = {user.username: user for user in User.objects.filter(username__in=DEMO_NEIGHBOURS)}
    shown = []
    for demo in DEMO_APPLICATIONS:
        application = Application.objects.filter(fund=fund, title=demo.title).first()
        if application is None:
            application = _make(demo, fund=fund, users=users)
            assert application.status == demo.status, (demo.title, application.status)
        shown.append(f"{application.status}: {application.title}")
    log(f"  voting: {len(shown)} applications in {fund.name} ({'; '.join(shown)})")
