import io

import pytest
from django.core.management import CommandError, call_command

from community.models import (
    Cooperative,
    MemberOrganisation,
    Membership,
    Neighbourhood,
    ResidenceCode,
    Residency,
    User,
    Wijk,
)
from grants.models import Fund, Priority
from ledger.models import JournalEntry
from ledger.selectors import pot_balance

pytestmark = pytest.mark.django_db


def snapshot():
    return {
        "wijken": sorted(Wijk.objects.values_list("name", flat=True)),
        "buurten": Neighbourhood.objects.count(),
        "cooperatives": sorted(Cooperative.objects.values_list("name", "kind")),
        "roles": sorted(
            Membership.objects.values_list("user__username", "role", "cooperative__slug")
        ),
        "users": sorted(User.objects.values_list("username", flat=True)),
        "bbbos": MemberOrganisation.objects.count(),
        "codes": ResidenceCode.objects.count(),
        "residencies": Residency.objects.count(),
        "funds": sorted(Fund.objects.values_list("name", "kind")),
        "priorities": sorted(Priority.objects.values_list("rank", "title")),
        "entries": JournalEntry.objects.count(),
    }


def test_seed_demo_twice_gives_the_same_data(settings):
    settings.DEMO_PASSWORD = "demo-wachtwoord-1"
    call_command("seed_demo", stdout=io.StringIO())
    first = snapshot()
    call_command("seed_demo", stdout=io.StringIO())
    assert snapshot() == first
    assert len(first["wijken"]) == 10 and first["buurten"] == 22
    assert ("Stadscoöperatie Utrecht", "city") in first["cooperatives"]
    assert ("Buurtcoöperatie Dichterswijk en Rivierenwijk", "neighbourhood") in first[
        "cooperatives"
    ]
    roles = {(u, r) for u, r, _ in first["roles"]}
    assert roles >= {
        ("demo-board", "board"),
        ("demo-treasurer", "treasurer"),
        ("demo-coordinator", "coordinator"),
    }
    for username in ("demo-board", "demo-treasurer", "demo-coordinator", "demo-resident"):
        assert User.objects.get(username=username).check_password("demo-wachtwoord-1")
    fund = Fund.objects.get(name="Buurtfonds Rivierenwijk")
    assert pot_balance(fund.earmark).available_cents == 1_500_000
    assert [kind for _, kind in first["funds"]] == ["innovation", "buurtfonds"] or len(
        first["funds"]
    ) == 2
    assert [rank for rank, _ in first["priorities"]] == [1, 2, 3]
    resident = Residency.objects.get(user__username="demo-resident", ended_at__isnull=True)
    assert resident.neighbourhood.slug == "dichterswijk-en-rivierenwijk"


def test_seed_demo_refuses_without_a_password(settings):
    settings.DEMO_PASSWORD = None
    with pytest.raises(CommandError, match="DEMO_PASSWORD"):
        call_command("seed_demo")
    assert not User.objects.exists()


def test_demo_coordinator_can_log_in_and_issue_codes(settings, api):
    settings.DEMO_PASSWORD = "demo-wachtwoord-1"
    call_command("seed_demo", stdout=io.StringIO())
    token = api.post(
        "/api/v1/auth/token/",
        {"username": "demo-coordinator", "password": "demo-wachtwoord-1"},
        format="json",
    ).json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    buurt = Neighbourhood.objects.get(slug="dichterswijk-en-rivierenwijk")
    response = api.post(
        f"/api/v1/neighbourhoods/{buurt.pk}/voting-codes/", {"count": 2}, format="json"
    )
    assert response.status_code == 201
