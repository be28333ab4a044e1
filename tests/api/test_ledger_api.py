"""The books over HTTP: treasurers and board members only, each cooperative its own books."""

import csv
import io

import pytest

from community.models import AuditEvent, Membership
from grants.services import cooperative_project
from ledger import postings
from ledger.models import JournalEntry
from tests.community.factories import CityCooperativeFactory, MembershipFactory, UserFactory
from tests.conftest import client_for
from tests.ledger.factories import pot

pytestmark = pytest.mark.django_db
YEAR = 2026


@pytest.fixture
def books(coop_a, coop_b, time_machine):
    time_machine.move_to("2026-05-01 12:00 +02:00")
    for coop, amount in ((coop_a, 1_500_000), (coop_b, 300_000)):
        fund = pot(name=f"Buurtfonds {coop.name}", proj=cooperative_project(cooperative=coop))
        postings.post_deposit(
            pot=fund,
            amount_cents=amount,
            source="subsidy",
            idempotency_key=f"dep:{coop.pk}",
            description="Storting",
        )
        postings.post_income(
            source="membership_fees",
            amount_cents=5_000,
            idempotency_key=f"fee:{coop.pk}",
            description="Contributie",
            project_earmark=fund,
        )
    return coop_a, coop_b


def member(coop, role):
    return client_for(MembershipFactory(cooperative=coop, role=role).user)


@pytest.fixture
def people(coop_a, coop_b):
    city = CityCooperativeFactory()
    return {
        "treasurer_a": member(coop_a, "treasurer"),
        "board_a": member(coop_a, "board"),
        "coordinator_a": member(coop_a, "coordinator"),
        "treasurer_b": member(coop_b, "treasurer"),
        "city_treasurer": member(city, "treasurer"),
        "resident": client_for(UserFactory()),
    }


READ = [
    "/api/v1/ledger/accounts/",
    "/api/v1/ledger/entries/",
    f"/api/v1/ledger/trial-balance/?year={YEAR}",
    f"/api/v1/ledger/own-contribution/?year={YEAR}",
    f"/api/v1/ledger/income-statement/?year={YEAR}",
    f"/api/v1/ledger/balance-sheet/?year={YEAR}",
]


@pytest.mark.parametrize("path", READ)
@pytest.mark.parametrize(
    "who, expected",
    [
        ("treasurer_a", 200),
        ("board_a", 200),
        ("city_treasurer", 200),
        ("coordinator_a", 403),
        ("resident", 403),
    ],
)
def test_who_reads_the_books(books, people, path, who, expected):
    response = people[who].get(path)
    assert response.status_code == expected
    if expected == 403:
        assert response.json()["code"] == "not_treasurer_or_board"


@pytest.mark.parametrize("path", READ)
def test_anonymous_must_log_in(api, path):
    assert api.get(path).status_code == 401


def test_a_cooperative_sees_only_its_own_books(books, people, coop_a, coop_b):
    a = people["treasurer_a"].get(f"/api/v1/ledger/trial-balance/?year={YEAR}").json()
    b = people["treasurer_b"].get(f"/api/v1/ledger/trial-balance/?year={YEAR}").json()
    city = people["city_treasurer"].get(f"/api/v1/ledger/trial-balance/?year={YEAR}").json()
    assert a["project"] == cooperative_project(cooperative=coop_a).code
    assert a["total_debit_cents"] == 2 * 1_500_000 + 5_000
    assert b["total_debit_cents"] == 2 * 300_000 + 5_000
    assert city["project"] is None
    assert city["total_debit_cents"] == a["total_debit_cents"] + b["total_debit_cents"]
    # Asking for the other cooperative's books is refused, not answered.
    other = people["treasurer_a"].get(
        f"/api/v1/ledger/trial-balance/?year={YEAR}&project={b['project']}"
    )
    assert other.status_code == 403 and other.json()["code"] == "project_not_yours"
    entries_a = people["treasurer_a"].get("/api/v1/ledger/entries/").json()
    assert entries_a["count"] == 2
    assert {ln["project"] for e in entries_a["results"] for ln in e["lines"]} == {a["project"]}
    own = people["treasurer_b"].get(f"/api/v1/ledger/own-contribution/?year={YEAR}").json()
    assert [r["project_code"] for r in own] == [b["project"]]


@pytest.mark.parametrize(
    "query, field",
    [("", "year"), ("?year=abc", "year"), ("?year=1800", "year")],
)
def test_bad_year_is_a_field_error(books, people, query, field):
    response = people["treasurer_a"].get(f"/api/v1/ledger/trial-balance/{query}")
    assert response.status_code == 400
    assert field in response.json()["fields"]


def test_export_streams_the_treasurers_own_books_and_is_audited(books, people):
    response = people["treasurer_a"].get(
        f"/api/v1/ledger/export/?year={YEAR}&format=csv&decimal=comma"
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment;" in response["Content-Disposition"]
    rows = list(
        csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode()), delimiter=";")
    )
    assert len(rows) == 6  # deposit (4 lines) and membership fee (2 lines) of cooperative A
    assert AuditEvent.objects.filter(action="ledger_exported").count() == 1


@pytest.mark.parametrize("fmt", ["xlsx", "xaf", "beancount"])
def test_export_formats_over_http(books, people, fmt):
    response = people["city_treasurer"].get(f"/api/v1/ledger/export/?year={YEAR}&format={fmt}")
    assert response.status_code == 200
    assert len(b"".join(response.streaming_content)) > 100


def test_export_is_for_treasurers_only(books, people):
    response = people["board_a"].get(f"/api/v1/ledger/export/?year={YEAR}&format=csv")
    assert response.status_code == 403
    assert response.json()["code"] == "not_treasurer"


def test_export_rejects_an_unknown_format(books, people):
    response = people["treasurer_a"].get(f"/api/v1/ledger/export/?year={YEAR}&format=pdf")
    assert response.status_code == 400
    assert "format" in response.json()["fields"]


def test_closing_a_period_is_for_the_city_treasurer(books, people):
    refused = people["treasurer_a"].post(
        "/api/v1/ledger/periods/close/", {"year": YEAR, "month": 4}, format="json"
    )
    # The refusal names the real rule (it used to say "a treasurer of this cooperative" to one).
    assert refused.status_code == 403
    assert refused.json()["code"] == "not_city_treasurer"
    assert "stedelijke coöperatie" in refused.json()["detail"]  # Dutch first
    response = people["city_treasurer"].post(
        "/api/v1/ledger/periods/close/", {"year": YEAR, "month": 4}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["closed_by"]
    assert AuditEvent.objects.filter(action="ledger_period_closed").exists()
    bad = people["city_treasurer"].post(
        "/api/v1/ledger/periods/close/", {"year": YEAR, "month": 13}, format="json"
    )
    assert bad.status_code == 400


def test_no_write_endpoints_touch_entries(books, people):
    before = JournalEntry.objects.count()
    for method in ("post", "put", "delete"):
        response = getattr(people["city_treasurer"], method)("/api/v1/ledger/entries/")
        assert response.status_code == 405
    assert JournalEntry.objects.count() == before
    assert Membership.objects.exists()
