"""Demo people and cooperatives (see docs/api.md, "Demo data")."""

from collections.abc import Callable

from .models import Cooperative, MemberOrganisation, Membership, Neighbourhood, User
from .selectors import current_residency
from .services import membership_grant, residence_codes_issue, residency_verify

CITY = "Stadscoöperatie Utrecht"
BUURT_COOP = "Buurtcoöperatie Dichterswijk en Rivierenwijk"
DEMO_BUURT_SLUG = "dichterswijk-en-rivierenwijk"

DEMO_ROLES = {
    "demo-board": Membership.Role.BOARD,
    "demo-treasurer": Membership.Role.TREASURER,
    "demo-coordinator": Membership.Role.COORDINATOR,
}
# Neighbours who vote in the demo (voting/seed.py); demo-resident is left free to vote.
DEMO_NEIGHBOURS = [f"demo-bewoner-{n:02d}" for n in range(1, 13)]


def _demo_user(username: str, password: str) -> User:
    user, _ = User.objects.get_or_create(
        username=username, defaults={"email": f"{username}@buurtfonds.invalid"}
    )
    if not user.check_password(password):
        user.set_password(password)
        user.save(update_fields=["password"])
    return user


def seed(*, password: str, log: Callable[[str], object]) -> None:
    buurt = Neighbourhood.objects.get(slug=DEMO_BUURT_SLUG)
    city, _ = Cooperative.objects.get_or_create(
        slug="stadscooperatie-utrecht", defaults={"name": CITY, "kind": Cooperative.Kind.CITY}
    )
    coop, _ = Cooperative.objects.get_or_create(
        slug="buurtcooperatie-dichterswijk-rivierenwijk",
        defaults={"name": BUURT_COOP, "kind": Cooperative.Kind.NEIGHBOURHOOD, "parent": city},
    )
    coop.neighbourhoods.add(buurt)
    if not coop.iban:
        # The demo's own account (a valid test IBAN), so payouts and statements can be tried.
        coop.iban, coop.bic = "NL91ABNA0417164300", "ABNANL2A"
        coop.bank_account_name = BUURT_COOP
        coop.save(update_fields=["iban", "bic", "bank_account_name"])
    bbbo, _ = MemberOrganisation.objects.get_or_create(
        cooperative=coop,
        name="Bewonersorganisatie Rivierenwijk",
        defaults={"member_kind": MemberOrganisation.MemberKind.VOTING},
    )
    bbbo.neighbourhoods.add(buurt)

    for username, role in DEMO_ROLES.items():
        membership_grant(
            user=_demo_user(username, password), cooperative=coop, role=role, acting_user=None
        )

    # Residents verified the way every resident is: each with a code from a letter.
    residents = [_demo_user(name, password) for name in ["demo-resident", *DEMO_NEIGHBOURS]]
    unverified = [user for user in residents if current_residency(user=user) is None]
    if unverified:
        coordinator = User.objects.get(username="demo-coordinator")
        batch = residence_codes_issue(
            neighbourhood=buurt, count=len(unverified), acting_user=coordinator
        )
        for user, code in zip(unverified, batch.codes, strict=True):
            residency_verify(user=user, code=code)
    log(
        f"  community: {CITY}, {BUURT_COOP}, demo-board/-treasurer/-coordinator/-resident,"
        f" {len(DEMO_NEIGHBOURS)} neighbours (demo-bewoner-01..{len(DEMO_NEIGHBOURS):02d})"
    )
