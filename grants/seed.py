"""Demo funds and priorities (docs/api.md, "Demo data"): Buurtfonds Rivierenwijk with
EUR 15,000 deposited, an innovation fund, and three ranked priorities."""

from collections.abc import Callable

from community.models import Cooperative, Neighbourhood, User

from .models import Fund, Priority
from .services import fund_create, fund_deposit, priority_create

PRIORITIES = [
    "Ontmoeting en eenzaamheid onder ouderen",
    "Veilig en schoon spelen voor kinderen",
    "Groen in de straat",
]


def seed(*, password: str, log: Callable[[str], object]) -> None:
    coop = Cooperative.objects.get(slug="buurtcooperatie-dichterswijk-rivierenwijk")
    buurt = Neighbourhood.objects.get(slug="dichterswijk-en-rivierenwijk")
    board = User.objects.get(username="demo-board")
    treasurer = User.objects.get(username="demo-treasurer")

    fund = Fund.objects.filter(cooperative=coop, name="Buurtfonds Rivierenwijk").first()
    if fund is None:
        fund = fund_create(
            acting_user=board,
            cooperative=coop,
            name="Buurtfonds Rivierenwijk",
            kind=Fund.Kind.BUURTFONDS,
            neighbourhood=buurt,
            max_request_cents=50_000,
            quorum=5,
        )
    # The bank reference makes the deposit idempotent: a second run posts nothing.
    fund_deposit(
        fund=fund,
        amount_cents=1_500_000,
        source="subsidy",
        reference="DEMO-INITIATIEVENFONDS-2019",
        acting_user=treasurer,
    )
    if not Fund.objects.filter(cooperative=coop, kind=Fund.Kind.INNOVATION).exists():
        fund_create(
            acting_user=board,
            cooperative=coop,
            name="Innovatiefonds Dichterswijk en Rivierenwijk",
            kind=Fund.Kind.INNOVATION,
        )
    for rank, title in enumerate(PRIORITIES, start=1):
        if not Priority.objects.filter(neighbourhood=buurt, year=2026, rank=rank).exists():
            priority_create(
                neighbourhood=buurt, year=2026, rank=rank, title=title, acting_user=board
            )
    log(f"  grants: {fund.name} (EUR 15.000), innovation fund, {len(PRIORITIES)} priorities")
