"""Every export of a year equals that year's trial balance to the cent, and is valid in its format."""

import csv
import io
import shutil
import subprocess
import sys
from decimal import Decimal
from importlib import resources
from pathlib import Path

import pytest
from lxml import etree
from openpyxl import load_workbook

from ledger.exports import export, export_csv_python
from ledger.models import Account, JournalLine
from ledger.selectors import trial_balance
from tests.ledger.factories import make_books

pytestmark = pytest.mark.django_db
YEAR = 2025
NS = {"x": "http://www.auditfiles.nl/XAF/3.2"}


@pytest.fixture
def books():
    make_books(YEAR - 1, 20, seed=1)  # an earlier year gives an opening balance
    make_books(YEAR, 300, seed=2)


def body(fmt, year=YEAR, **kw) -> bytes:
    return b"".join(export(year, fmt, **kw))


def cents(text: str) -> int:
    return int((Decimal(text.replace(",", ".")) * 100).to_integral_value())


def trial() -> dict[str, tuple[int, int]]:
    return {r.code: (r.debit_cents, r.credit_cents) for r in trial_balance(year=YEAR)}


def totals_by_account(rows):
    totals: dict[str, list[int]] = {}
    for code, debit, credit in rows:
        t = totals.setdefault(code, [0, 0])
        t[0] += debit
        t[1] += credit
    return {k: tuple(v) for k, v in totals.items()}


def test_csv_equals_the_trial_balance(books):
    rows = list(csv.DictReader(io.StringIO(body("csv").decode())))
    assert len(rows) == JournalLine.objects.filter(entry__fiscal_year=YEAR).count()
    assert len(rows) >= 300
    got = totals_by_account(
        (
            r["account"],
            cents(r["debit"]) if r["debit"] else 0,
            cents(r["credit"]) if r["credit"] else 0,
        )
        for r in rows
    )
    assert got == trial()
    assert sum(d for d, _ in got.values()) == sum(c for _, c in got.values())


def test_csv_with_dutch_decimals(books):
    text = body("csv", dutch=True).decode()
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert rows[0]["debit"].count(",") == 1 and "." not in rows[0]["debit"]
    got = totals_by_account(
        (
            r["account"],
            cents(r["debit"]) if r["debit"] else 0,
            cents(r["credit"]) if r["credit"] else 0,
        )
        for r in rows
    )
    assert got == trial()
    # The description with a quote and a semicolon survives the round trip.
    assert rows[0]["description"] == 'Storting "Initiatievenfonds"; Rivierenwijk'


@pytest.mark.postgres
@pytest.mark.parametrize("dutch", [False, True])
def test_postgres_copy_path_writes_the_same_bytes_as_the_python_path(books, dutch):
    assert body("csv", dutch=dutch) == b"".join(export_csv_python(YEAR, dutch=dutch))


def test_xlsx_equals_the_trial_balance(books):
    sheet = load_workbook(io.BytesIO(body("xlsx")), read_only=True)["Journaal"]
    rows = list(sheet.iter_rows(values_only=True))
    header, data = rows[0], rows[1:]
    assert list(header[:9]) == [
        "entry",
        "date",
        "period",
        "kind",
        "description",
        "account",
        "account_name",
        "debit",
        "credit",
    ]
    got = totals_by_account(
        (
            r[5],
            cents(str(r[7])) if r[7] is not None else 0,
            cents(str(r[8])) if r[8] is not None else 0,
        )
        for r in data
    )
    assert got == trial()


def xaf_schema():
    data = resources.files("pyxaf.schemas").joinpath("XmlAuditfileFinancieel3.2.xsd").read_bytes()
    return etree.XMLSchema(etree.fromstring(data))


def check_xaf(xml: bytes) -> etree._Element:
    root = etree.fromstring(xml)
    schema = xaf_schema()
    assert schema.validate(root), schema.error_log
    # What the XSD cannot check: control totals, balance, account references.
    accounts = {a.text for a in root.iterfind(".//x:generalLedger/x:ledgerAccount/x:accID", NS)}
    lines = root.findall(".//x:transactions//x:trLine", NS)
    debit = sum(
        cents(ln.findtext("x:amnt", namespaces=NS))
        for ln in lines
        if ln.findtext("x:amntTp", namespaces=NS) == "D"
    )
    credit = sum(
        cents(ln.findtext("x:amnt", namespaces=NS))
        for ln in lines
        if ln.findtext("x:amntTp", namespaces=NS) == "C"
    )
    transactions = root.find(".//x:transactions", NS)
    assert int(transactions.findtext("x:linesCount", namespaces=NS)) == len(lines)
    assert cents(transactions.findtext("x:totalDebit", namespaces=NS)) == debit
    assert cents(transactions.findtext("x:totalCredit", namespaces=NS)) == credit == debit
    for tr in root.iterfind(".//x:transaction", NS):
        signed = [
            cents(ln.findtext("x:amnt", namespaces=NS))
            * (1 if ln.findtext("x:amntTp", namespaces=NS) == "D" else -1)
            for ln in tr.iterfind("x:trLine", NS)
        ]
        assert len(signed) >= 2 and sum(signed) == 0
    assert {ln.findtext("x:accID", namespaces=NS) for ln in lines} <= accounts
    opening = root.find(".//x:openingBalance", NS)
    if opening is not None:
        ob = opening.findall("x:obLine", NS)
        assert {ln.findtext("x:accID", namespaces=NS) for ln in ob} <= accounts
        assert cents(opening.findtext("x:totalDebit", namespaces=NS)) == cents(
            opening.findtext("x:totalCredit", namespaces=NS)
        )
    return root


def test_xaf_validates_against_the_official_xsd_and_equals_the_trial_balance(books):
    root = check_xaf(body("xaf"))
    lines = root.findall(".//x:transactions//x:trLine", NS)
    got = totals_by_account(
        (
            ln.findtext("x:accID", namespaces=NS),
            cents(ln.findtext("x:amnt", namespaces=NS))
            if ln.findtext("x:amntTp", namespaces=NS) == "D"
            else 0,
            cents(ln.findtext("x:amnt", namespaces=NS))
            if ln.findtext("x:amntTp", namespaces=NS) == "C"
            else 0,
        )
        for ln in lines
    )
    assert got == trial()
    assert root.find(".//x:openingBalance", NS) is not None  # the year before left balances


def test_xaf_with_a_broken_total_is_caught_by_our_checks(books):
    xml = body("xaf").replace(b"<transactions><linesCount>", b"<transactions><linesCount>1")
    with pytest.raises(AssertionError):
        check_xaf(xml)


def bean_check(tmp_path, text: bytes) -> subprocess.CompletedProcess:
    path = tmp_path / "books.beancount"
    path.write_bytes(text)
    tool = shutil.which("bean-check", path=str(Path(sys.executable).parent))
    assert tool, "bean-check comes with the dev dependencies (beancount)"
    return subprocess.run([tool, str(path)], capture_output=True, text=True)


def test_beancount_passes_bean_check_and_equals_the_trial_balance(books, tmp_path):
    text = body("beancount")
    result = bean_check(tmp_path, text)
    assert result.returncode == 0, result.stdout + result.stderr
    names = {a.code: a for a in Account.objects.all()}
    from ledger.exports import beancount_name

    by_name = {beancount_name(a): code for code, a in names.items()}
    totals: dict[str, list[int]] = {}
    in_opening = False
    for line in text.decode().splitlines():
        if line.endswith('* "Openingsbalans"'):
            in_opening = True
            continue
        if (
            not line.startswith("  ")
            or ":" not in line.split()[0]
            or line.strip().startswith(("entry:", "kind:", "reverses:"))
        ):
            in_opening = in_opening and line.startswith("  ")
            continue
        if in_opening:
            continue
        account, amount, _eur = line.split()
        t = totals.setdefault(by_name[account], [0, 0])
        value = cents(amount)
        t[0 if value > 0 else 1] += abs(value)
    assert {k: tuple(v) for k, v in totals.items()} == trial()


def test_bean_check_fails_on_a_deliberately_broken_export(books, tmp_path):
    lines = body("beancount").decode().splitlines()
    index = next(i for i, ln in enumerate(lines) if ln.startswith("  Assets:1000-Bank  "))
    account, amount, currency = lines[index].split()
    lines[index] = f"  {account}  {Decimal(amount) + 1} {currency}"  # one euro off: unbalanced
    result = bean_check(tmp_path, "\n".join(lines).encode())
    assert result.returncode != 0
    assert "balance" in (result.stdout + result.stderr).lower()


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "xaf", "beancount"])
def test_a_year_without_books_gives_an_empty_but_valid_file(fmt, tmp_path):
    data = body(fmt, year=2031)
    if fmt == "csv":
        assert data.decode().splitlines() == [
            "entry,date,period,kind,description,account,account_name,debit,credit,project,earmark,reverses"
        ]
    elif fmt == "xlsx":
        rows = list(
            load_workbook(io.BytesIO(data), read_only=True)["Journaal"].iter_rows(values_only=True)
        )
        assert len(rows) == 1
    elif fmt == "xaf":
        root = check_xaf(data)
        assert root.findtext(".//x:transactions/x:linesCount", namespaces=NS) == "0"
    else:
        assert bean_check(tmp_path, data).returncode == 0


CONTROL_CHARACTERS = [chr(c) for c in [*range(1, 0x20), 0x7F]]  # NUL never gets in: 400


@pytest.fixture
def unprintable_books(coop_a, rivierenwijk):
    """Titles and a bank reference carrying every C0 control character, through the services."""
    from grants import services as grants
    from tests.grants.factories import advance, make_application, make_fund, treasurer_of

    fund = make_fund(coop_a, rivierenwijk)
    grants.fund_deposit(
        fund=fund,
        amount_cents=1_000,
        source="donations",
        reference="REF" + "".join(CONTROL_CHARACTERS),
        acting_user=treasurer_of(coop_a),
    )
    for character in CONTROL_CHARACTERS:
        advance(make_application(fund, title=f"Buurt{character}feest"), "voting")
    from django.utils import timezone

    return timezone.now().year


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "xaf", "beancount"])
def test_every_control_character_leaves_every_export_valid(unprintable_books, fmt, tmp_path):
    data = body(fmt, year=unprintable_books)
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(data.decode())))
        assert len(rows) > 2 * len(CONTROL_CHARACTERS) and {len(r) for r in rows} == {12}
        assert not any(ch in data.decode() for ch in CONTROL_CHARACTERS if ch not in "\n")
        assert data.decode().count("\n") == len(rows)  # no line broken inside a field
    elif fmt == "xlsx":
        rows = list(
            load_workbook(io.BytesIO(data), read_only=True)["Journaal"].iter_rows(values_only=True)
        )
        assert any("Buurt feest" in str(r[4]) for r in rows)
    elif fmt == "xaf":
        root = check_xaf(data)
        assert "Buurt feest" in etree.tostring(root).decode()
    else:
        assert bean_check(tmp_path, data).returncode == 0, bean_check(tmp_path, data).stderr


@pytest.mark.postgres
def test_copy_cleans_control_characters_exactly_like_python(unprintable_books):
    year = unprintable_books
    assert body("csv", year=year) == b"".join(export_csv_python(year))
