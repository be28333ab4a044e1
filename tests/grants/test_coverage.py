"""Coverage of the top priorities: the money and projects per top priority, split exactly,
and the fund's rules saying which are not covered yet."""

import pytest
from django.utils import timezone

from grants import services
from tests.grants.factories import advance, board_of, make_application, make_fund

pytestmark = pytest.mark.django_db


@pytest.fixture
def fund(coop_a, rivierenwijk):
    return make_fund(coop_a, rivierenwijk, top_priorities=3)


@pytest.fixture
def priorities(fund):
    year = timezone.localdate().year
    return [
        services.priority_create(
            neighbourhood=fund.neighbourhood,
            year=year,
            rank=rank,
            title=title,
            acting_user=board_of(fund.cooperative),
        )
        for rank, title in enumerate(["Groen", "Ontmoeting", "Veiligheid", "Spelen"], start=1)
    ]


def granted(fund, amount, named):
    return advance(
        make_application(
            fund,
            amount_requested_cents=amount,
            total_budget_cents=amount * 2,
            own_contribution_cents=amount,
            priorities=named,
        ),
        "approved",
    )


def test_a_buurtfonds_year_shows_money_projects_and_shares_per_top_priority(api, fund, priorities):
    green, meeting, safety, play = priorities
    granted(fund, 40_000, [green])
    granted(fund, 30_001, [green, meeting])  # 15,001 + 15,000: the odd cent to rank 1
    granted(fund, 10_000, [play])  # rank 4: not a top priority, still part of the whole
    advance(make_application(fund, priorities=[safety]), "rejected")  # not granted
    response = api.get(f"/api/v1/funds/{fund.pk}/coverage/")
    assert response.status_code == 200
    body = response.json()
    assert body["total_cents"] == 80_001
    rows = [
        (r["rank"], r["allocated_cents"], r["projects"], r["share_percent"])
        for r in body["priorities"]
    ]
    assert rows == [(1, 55_001, 2, "68.75"), (2, 15_000, 1, "18.75"), (3, 0, 0, "0.00")]
    assert body["top_share_percent"] == "87.50"
    assert body["covered"] is True and body["uncovered"] == []  # the fund sets no rule


def test_the_funds_rules_name_what_is_not_covered(api, fund, priorities):
    fund.one_project_per_top_priority = True
    fund.min_share_per_top_priority = 10
    fund.min_share_top_priorities_total = 90
    fund.save()
    green, meeting, *_ = priorities
    granted(fund, 40_000, [green])
    granted(fund, 5_000, [meeting])
    granted(fund, 10_000, [])
    body = api.get(f"/api/v1/funds/{fund.pk}/coverage/").json()
    assert body["covered"] is False
    assert [(u["rule"], u["priority"]) for u in body["uncovered"]] == [
        ("min_share_per_top_priority", meeting.pk),  # 9.09 % < 10 %
        ("one_project_per_top_priority", priorities[2].pk),
        ("min_share_per_top_priority", priorities[2].pk),
        ("min_share_top_priorities_total", None),  # 81.82 % < 90 %
    ]
    assert body["uncovered"][0]["share_percent"] == "9.09"


def test_another_year_has_its_own_priorities(api, fund, priorities):
    granted(fund, 40_000, [priorities[0]])
    body = api.get(f"/api/v1/funds/{fund.pk}/coverage/?year=2019").json()
    assert body == {
        "total_cents": 0,
        "top_share_percent": "0.00",
        "covered": True,
        "priorities": [],
        "uncovered": [],
    }


@pytest.mark.parametrize("year", ["-1", "twee", "1e3", "99999"])
def test_a_bad_year_is_400(api, fund, year):
    response = api.get(f"/api/v1/funds/{fund.pk}/coverage/?year={year}")
    assert response.status_code == 400 and response.json()["code"] == "invalid"
