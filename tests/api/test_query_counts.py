"""A page of applications costs the same number of queries whether it holds 3 or 30 rows:
its ledger figures (top-ups, own income, money owed back) are read for the page at once."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from grants import services
from tests.grants.factories import advance, make_application, make_fund, resident_of

pytestmark = pytest.mark.django_db


def queries_for_list(client: APIClient) -> tuple[int, list[dict]]:
    with CaptureQueriesContext(connection) as captured:
        answer = client.get("/api/v1/applications/?page_size=100")
    assert answer.status_code == 200
    return len(captured), answer.json()["results"]


def test_the_list_reads_the_ledger_once_per_page_not_per_row(coop_a, rivierenwijk):
    fund = make_fund(coop_a, rivierenwijk, max_open_per_applicant=100)
    for status in ("voting", "approved", "reported"):
        advance(make_application(fund), status)
    client = APIClient()
    few, rows = queries_for_list(client)
    assert len(rows) == 3
    reported = next(r for r in rows if r["status"] == "reported")
    assert reported["owed_cents"] == 0 and reported["topped_up_cents"] == 0

    for n in range(27):
        advance(
            make_application(fund, applicant=resident_of(fund)),
            ("voting", "approved", "reported")[n % 3],
        )
    many, rows = queries_for_list(client)
    assert len(rows) == 30
    assert many == few


def test_a_row_shows_its_own_ledger_figures(coop_a, rivierenwijk):
    """Batching must not mix up rows: the one that reported spending less owes the rest."""
    fund = make_fund(coop_a, rivierenwijk, max_open_per_applicant=100)
    spent_all = advance(make_application(fund), "reported")
    paid = advance(make_application(fund, applicant=resident_of(fund)), "paid")
    services.application_report(
        application=paid, acting_user=paid.applicant, summary="Half", spent_cents=30_000
    )
    rows = {r["id"]: r for r in APIClient().get("/api/v1/applications/").json()["results"]}
    assert rows[spent_all.pk]["owed_cents"] == 0
    assert rows[paid.pk]["owed_cents"] == 10_000
