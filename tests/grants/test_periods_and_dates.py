"""Closing a month never breaks reading, and a decision is dated at its window's close."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from rest_framework.test import APIClient

from ledger.models import JournalEntry
from tests.community.factories import MembershipFactory
from tests.conftest import client_for
from tests.grants.factories import make_application, make_fund, resident_of
from voting import services as voting

pytestmark = pytest.mark.django_db
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


@pytest.fixture
def city_treasurer(coop_a):
    return client_for(MembershipFactory(cooperative=coop_a.parent, role="treasurer").user)


def close(client, year, month):
    return client.post(
        "/api/v1/ledger/periods/close/", {"year": year, "month": month}, format="json"
    )


def open_vote_closing_at(fund, closes_at):
    """Submitted so that its window closes at ``closes_at`` (the fund's window is a day)."""
    application = make_application(fund)
    with time_machine.travel(closes_at - timedelta(minutes=fund.vote_window_minutes), tick=False):
        application = voting.vote_open(application=application, acting_user=application.applicant)
    for _ in range(3):
        voter = resident_of(fund)
        with time_machine.travel(closes_at - timedelta(minutes=1), tick=False):
            voting.ballot_cast(application_id=application.pk, voter=voter, choice="yes")
    return application


def test_the_current_month_cannot_be_closed_an_ended_one_can(coop_a, city_treasurer):
    with time_machine.travel(datetime(2026, 3, 15, 12, tzinfo=AMSTERDAM)):
        current = close(city_treasurer, 2026, 3)
        future = close(city_treasurer, 2026, 4)
        ended = close(city_treasurer, 2026, 2)
    assert current.status_code == 409 and current.json()["code"] == "period_not_ended"
    assert future.status_code == 409
    assert ended.status_code == 201


def test_a_window_closing_on_new_years_eve_is_decided_in_the_old_year(
    coop_a, rivierenwijk, city_treasurer, api
):
    fund = make_fund(coop_a, rivierenwijk, quorum=3)
    closes = datetime(2025, 12, 31, 23, 59, tzinfo=AMSTERDAM)
    application = open_vote_closing_at(fund, closes)
    with time_machine.travel(datetime(2026, 1, 1, 0, 30, tzinfo=AMSTERDAM)):
        body = api.get(f"/api/v1/applications/{application.pk}/").json()
    assert body["status"] == "approved"
    entry = JournalEntry.objects.get(idempotency_key=f"application:{application.pk}:decide")
    assert (entry.date.isoformat(), entry.fiscal_year) == ("2025-12-31", 2025)
    application.refresh_from_db()
    assert application.decided_at == closes


def test_a_month_with_an_unsettled_window_cannot_be_closed_and_reads_still_answer(
    coop_a, rivierenwijk, city_treasurer, api, monkeypatch
):
    fund = make_fund(coop_a, rivierenwijk, quorum=3)
    application = open_vote_closing_at(fund, datetime(2026, 1, 31, 23, 59, tzinfo=AMSTERDAM))

    def broken(**kwargs):
        raise RuntimeError("the database is having a bad day")

    monkeypatch.setattr(voting, "_decide", lambda applications: broken())
    with time_machine.travel(datetime(2026, 2, 1, 0, 5, tzinfo=AMSTERDAM)):
        refused = close(city_treasurer, 2026, 1)
        listing = api.get("/api/v1/applications/")
        detail = api.get(f"/api/v1/applications/{application.pk}/")
        decisions = api.get(f"/api/v1/funds/{fund.pk}/decisions/")
    assert refused.status_code == 409 and refused.json()["code"] == "windows_unsettled"
    assert listing.status_code == detail.status_code == decisions.status_code == 200
    assert detail.json()["status"] == "voting" and detail.json()["vote_closed"] is True
    assert detail.json()["decision"] is None
    monkeypatch.undo()
    with time_machine.travel(datetime(2026, 2, 1, 0, 6, tzinfo=AMSTERDAM)):
        closed = close(city_treasurer, 2026, 1)  # settles first, then closes
        after = APIClient().get(f"/api/v1/applications/{application.pk}/").json()
    assert closed.status_code == 201, closed.content
    assert after["status"] == "approved" and after["decision"] == "approved"
