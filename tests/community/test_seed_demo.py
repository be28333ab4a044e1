import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils import timezone

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
from grants.models import Application, Fund, Priority
from ledger.models import JournalEntry
from ledger.selectors import earmark_repayment, pot_balance, trial_balance
from tests.grants.factories import advance, make_application, make_fund
from voting.models import Participation
from voting.seed import open_vote_minutes
from voting.selectors import tally

AMSTERDAM = ZoneInfo("Europe/Amsterdam")

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
        "applications": sorted(
            Application.objects.values_list("title", "status", "yes_votes", "no_votes")
        ),
        "ballots": Participation.objects.count(),
    }


def seed_demo():
    call_command("seed_demo", stdout=io.StringIO())


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
    balance = pot_balance(fund.earmark)
    assert balance.deposited_cents == 1_500_000
    # Out of the pot: the open vote's reservation, the approved grant, three payouts, less
    # the EUR 25 returned; the rejected one's reservation went back.
    assert balance.available_cents == 1_500_000 - 45_000 - 35_000 - 90_500 + 2_500
    assert len(first["applications"]) == 6
    for number in range(1, 13):
        neighbour = User.objects.get(username=f"demo-bewoner-{number:02d}")
        assert neighbour.check_password("demo-wachtwoord-1")
        assert Residency.objects.filter(user=neighbour, ended_at__isnull=True).exists()
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


NOON = datetime(2026, 3, 10, 12, 0, tzinfo=AMSTERDAM)


@time_machine.travel(NOON, tick=True)
def test_demo_applications_show_every_state_with_real_tallies_and_money(settings):
    settings.DEMO_PASSWORD = "demo-wachtwoord-1"
    seed_demo()
    seed_demo()
    fund = Fund.objects.get(name="Buurtfonds Rivierenwijk")
    by_status = {}
    for application in Application.objects.filter(fund=fund):
        assert application.status not in by_status, application.status
        by_status[application.status] = application
    assert set(by_status) == {"voting", "approved", "paid", "reported", "closed", "rejected"}
    assert fund.vote_window_minutes == 1440  # the fund's own window was given back

    voting = by_status["voting"]
    now = timezone.now()
    assert now < voting.vote_closes_at
    assert timezone.localtime(voting.vote_closes_at).date() == NOON.date()
    assert timezone.localtime(voting.vote_closes_at).hour == 22
    assert voting.yes_votes is None and Participation.objects.filter(application=voting).count()
    assert tally(voting).total == 6

    for status in ("approved", "paid", "reported", "closed", "rejected"):
        decided = by_status[status]
        counted = tally(decided)  # the decision is the count of real, sealed ballots
        assert (decided.yes_votes, decided.no_votes) == (counted.yes, counted.no), status
        assert counted.total >= fund.quorum and decided.decided_at is not None
        assert (counted.yes > counted.no) == (status != "rejected")
        assert decided.applicant.username.startswith("demo-bewoner-")
        budget = decided.total_budget_cents
        assert 15_000 <= decided.amount_requested_cents <= 50_000
        assert decided.own_contribution_cents * 20 >= budget  # at least 5% of the budget
    assert (by_status["approved"].yes_votes, by_status["approved"].no_votes) == (7, 2)
    assert (by_status["rejected"].yes_votes, by_status["rejected"].no_votes) == (2, 5)

    reported = earmark_repayment(by_status["reported"].earmark)
    assert (reported.owed_cents, reported.returned_cents) == (7_500, 0)
    closed = by_status["closed"]
    assert closed.evaluation == "successful" and closed.follow_up
    assert earmark_repayment(closed.earmark).returned_cents == 2_500
    assert pot_balance(fund.earmark).paid_cents == 28_000 + 40_000 + 22_500

    rows = trial_balance(year=NOON.year)
    assert rows and sum(r.debit_cents for r in rows) == sum(r.credit_cents for r in rows)


@pytest.mark.parametrize(
    ("hour", "minute", "closes"),
    [(0, 5, (22, 0)), (12, 0, (22, 0)), (21, 30, (22, 30)), (23, 30, (23, 59)), (23, 58, (23, 59))],
)
def test_the_open_vote_closes_later_the_same_day(hour, minute, closes):
    start = datetime(2026, 3, 10, hour, minute, tzinfo=AMSTERDAM)
    ends = start + timedelta(minutes=open_vote_minutes(start))
    assert ends > start and ends.date() == start.date()
    assert (ends.hour, ends.minute) == closes


def test_demo_board_sees_its_cooperatives_funds_and_applications_in_the_admin(
    settings, client, coop_b
):
    settings.DEMO_PASSWORD = "demo-wachtwoord-1"
    seed_demo()
    elsewhere = make_fund(coop_b, coop_b.neighbourhoods.get())
    advance(make_application(elsewhere, title="Straatfeest Lunetten"), "approved")
    board = User.objects.get(username="demo-board")
    assert board.is_staff and not board.is_superuser
    client.force_login(board)

    index = client.get("/admin/").content.decode()
    assert "buurtfonds" in index
    assert "/admin/grants/fund/" in index and "/admin/grants/application/" in index
    assert "/admin/ledger/" not in index

    funds = client.get("/admin/grants/fund/")
    assert {f.name for f in funds.context["cl"].result_list} == {
        "Buurtfonds Rivierenwijk",
        "Innovatiefonds Dichterswijk en Rivierenwijk",
    }
    applications = client.get("/admin/grants/application/")
    listed = {a.title for a in applications.context["cl"].result_list}
    assert len(listed) == 6 and "Straatfeest Lunetten" not in listed
    assert "Straatfeest Lunetten" not in applications.content.decode()
    assert "Buurtfonds Lunetten" not in applications.content.decode()  # not even as a filter
    theirs = Application.objects.get(title="Straatfeest Lunetten")
    assert client.get(f"/admin/grants/application/{theirs.pk}/change/").status_code == 302
