"""RJ 640 statements and the 5% own-contribution rule, from the books alone."""

import json
from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from ledger import postings
from ledger.selectors import balance_sheet, income_statement, own_contribution
from tests.ledger.factories import application, pot, project

pytestmark = pytest.mark.django_db
ON = date(2026, 3, 10)


@pytest.fixture
def books():
    rivierenwijk = project("BC-RIV", "Buurtcoöperatie Rivierenwijk")
    lunetten = project("BC-LUN", "Buurtcoöperatie Lunetten")
    fund = pot(proj=rivierenwijk)
    postings.post_deposit(
        pot=fund,
        amount_cents=1_500_000,
        source="subsidy",
        idempotency_key="d1",
        description="subsidie",
        on=ON,
    )
    app = application(fund)
    postings.post_reservation(application=app, amount_cents=400_000, idempotency_key="r1", on=ON)
    postings.post_event(
        postings.APPLICATION_EVENTS["commitment"],
        earmark=app,
        amount_cents=400_000,
        idempotency_key="c1",
        on=ON,
    )
    postings.post_event(
        postings.APPLICATION_EVENTS["payout"],
        earmark=app,
        amount_cents=400_000,
        idempotency_key="p1",
        on=ON,
    )
    postings.post_income(
        source="membership_fees",
        amount_cents=12_000,
        idempotency_key="m1",
        description="contributie",
        project_earmark=fund,
        on=ON,
    )
    postings.post_income(
        source="sponsoring",
        amount_cents=8_000,
        idempotency_key="s1",
        description="sponsor",
        project_earmark=fund,
        on=ON,
    )
    lunetten_fund = pot(proj=lunetten)
    postings.post_deposit(
        pot=lunetten_fund,
        amount_cents=100_000,
        source="subsidy",
        idempotency_key="d2",
        description="subsidie",
        on=ON,
    )
    app2 = application(lunetten_fund)
    postings.post_reservation(application=app2, amount_cents=100_000, idempotency_key="r2", on=ON)
    postings.post_event(
        postings.APPLICATION_EVENTS["commitment"],
        earmark=app2,
        amount_cents=100_000,
        idempotency_key="c2",
        on=ON,
    )
    postings.post_income(
        source="donations",
        amount_cents=1_000,
        idempotency_key="g2",
        description="gift",
        project_earmark=lunetten_fund,
        on=ON,
    )
    return rivierenwijk, lunetten


def test_income_statement_shows_income_grants_and_the_fund_movements(books):
    rivierenwijk, _ = books
    statement = income_statement(year=2026, project=rivierenwijk)
    assert {line.code: line.amount_cents for line in statement.income} == {
        "8000": 1_500_000,
        "8100": 12_000,
        "8200": 8_000,
    }
    assert {line.code: line.amount_cents for line in statement.expenses} == {"4100": 400_000}
    assert statement.result_cents == 1_120_000
    # Added to the fund 15,000; withdrawn for the grant 4,000: net 11,000 set aside.
    assert {line.code: line.amount_cents for line in statement.appropriation} == {
        "9100": -1_500_000,
        "9110": 400_000,
    }
    assert statement.result_after_appropriation_cents == 20_000


def test_balance_sheet_balances_and_shows_the_earmarked_fund(books):
    rivierenwijk, _ = books
    sheet = balance_sheet(year=2026, project=rivierenwijk)
    assert sheet.total_assets_cents == sheet.total_liabilities_and_equity_cents
    assert {line.code: line.amount_cents for line in sheet.assets} == {"1000": 1_120_000}
    assert {line.code: line.amount_cents for line in sheet.funds_and_reserves} == {
        "3100": 1_100_000,
        "3110": 0,
    }
    whole = balance_sheet(year=2026)
    assert whole.total_assets_cents == whole.total_liabilities_and_equity_cents
    assert {line.code: line.amount_cents for line in whole.liabilities} == {"2100": 100_000}


def test_own_contribution_report_per_cooperative(books):
    report = {r.project_code: r for r in own_contribution(year=2026)}
    riv = report["BC-RIV"]
    assert riv.own_income_by_source["membership_fees"] == 12_000
    assert riv.own_income_by_source["sponsoring"] == 8_000
    assert riv.own_income_cents == 20_000
    assert riv.needed_cents == 400_000
    assert riv.ratio == Decimal("0.0500")
    assert riv.meets_rule is True
    lun = report["BC-LUN"]
    assert (lun.own_income_cents, lun.needed_cents, lun.ratio, lun.meets_rule) == (
        1_000,
        100_000,
        Decimal("0.0100"),
        False,
    )


def test_ledger_report_command_prints_the_same_figures(books):
    out = StringIO()
    call_command("ledger_report", "--year", "2026", "--report", "own-contribution", stdout=out)
    rows = {r["project_code"]: r for r in json.loads(out.getvalue())}
    assert rows["BC-LUN"]["meets_rule"] is False and rows["BC-LUN"]["ratio"] == "0.0100"
    out = StringIO()
    call_command(
        "ledger_report",
        "--year",
        "2026",
        "--report",
        "trial-balance",
        "--project",
        "BC-RIV",
        stdout=out,
    )
    rows = json.loads(out.getvalue())
    assert sum(r["debit_cents"] for r in rows) == sum(r["credit_cents"] for r in rows)


def test_export_ledger_command_writes_a_file(books, tmp_path):
    target = tmp_path / "journaal.csv"
    call_command(
        "export_ledger",
        "--year",
        "2026",
        "--format",
        "csv",
        "--output",
        str(target),
        "--dutch",
        stderr=StringIO(),
    )
    text = target.read_text()
    assert text.startswith("entry;date;period;kind")
    assert "15000,00" in text
