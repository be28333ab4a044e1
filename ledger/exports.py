"""Exports of one fiscal year's journal for treasurers and auditors, all streamed.

Every export is a generator of ``bytes`` chunks that reads the journal through a
server-side cursor (PostgreSQL) in chunks, so memory stays flat however many
lines there are. Formats: CSV, XLSX, XAF 3.2 (XML Auditfile Financieel) and beancount.

CSV columns (one row per journal line)::

    entry        journal entry number
    date         booking date (YYYY-MM-DD)
    period       month of the fiscal year (1-12)
    kind         money event (deposit, reservation, payout, ...)
    description  the entry's description
    account      account code
    account_name account name
    debit        amount in euros when the line is a debit, else empty
    credit       amount in euros when the line is a credit, else empty
    project      project administration code (the cooperative), may be empty
    earmark      earmark reference (fund or application), may be empty
    reverses     number of the entry this one corrects, may be empty

Amounts have two decimals and no thousands separator; with ``dutch=True`` the
decimal separator is a comma and the field separator a semicolon (as Dutch
spreadsheet programs expect).
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterable, Iterator
from datetime import date
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from django.conf import settings
from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.text import slugify

from .models import Account, JournalLine, ProjectAdministration

FORMATS = ("csv", "xlsx", "xaf", "beancount")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "xaf": "application/xml",
    "beancount": "text/plain; charset=utf-8",
}
EXTENSIONS = {"csv": "csv", "xlsx": "xlsx", "xaf": "xaf", "beancount": "beancount"}
CSV_COLUMNS = [
    "entry", "date", "period", "kind", "description", "account", "account_name",
    "debit", "credit", "project", "earmark", "reverses",
]  # fmt: skip
CHUNK = 5_000

_LINE_FIELDS = (
    "entry_id",
    "entry__date",
    "entry__period",
    "entry__kind",
    "entry__description",
    "account__code",
    "account__name",
    "side",
    "amount_cents",
    "project__code",
    "earmark__ref",
    "entry__reverses_id",
    "id",
    "entry__idempotency_key",
    "entry__created_by__username",
)


def _year_lines(year: int, project: ProjectAdministration | None) -> QuerySet[JournalLine]:
    lines = JournalLine.objects.filter(entry__fiscal_year=year)
    return lines.filter(project=project) if project is not None else lines


# C0 control characters and DEL are valid in none of the formats (XML 1.0 forbids most of
# them, spreadsheets refuse them, beancount strings and CSV readers trip on them): every
# exported string has them replaced by a space, by COPY's SQL and by Python alike.
_CONTROL = dict.fromkeys([*range(32), 127], " ")
_CONTROL_SQL = r"regexp_replace({}, '[\x01-\x1f\x7f]', ' ', 'g')"


def printable(text: str) -> str:
    return text.translate(_CONTROL)


def _lines(year: int, project: ProjectAdministration | None) -> Iterator[tuple[Any, ...]]:
    rows = (
        _year_lines(year, project)
        .order_by("entry__date", "entry_id", "id")
        .values_list(*_LINE_FIELDS)
        .iterator(chunk_size=CHUNK)
    )
    return (tuple(printable(v) if isinstance(v, str) else v for v in row) for row in rows)


def euros(cents: int, *, dutch: bool = False) -> str:
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    text = f"{sign}{cents // 100}.{cents % 100:02d}"
    return text.replace(".", ",") if dutch else text


class _Buffer:
    """A file-like sink whose content is taken out chunk by chunk."""

    def __init__(self) -> None:
        self._parts: list[str] = []

    def write(self, text: str) -> int:
        self._parts.append(text)
        return len(text)

    def take(self) -> bytes:
        data = "".join(self._parts).encode()
        self._parts.clear()
        return data


# -- CSV ------------------------------------------------------------------------------------

_CSV_SQL = """
COPY (
    SELECT e.id AS entry, e.date AS date, e.period AS period, e.kind AS kind,
           NULLIF({description}, '') AS description, a.code AS account,
           {account_name} AS account_name,
           CASE WHEN l.side = 'D' THEN {amount} END AS debit,
           CASE WHEN l.side = 'C' THEN {amount} END AS credit,
           {project_code} AS project, {earmark_ref} AS earmark, e.reverses_id AS reverses
      FROM ledger_journalline l
      JOIN ledger_journalentry e ON e.id = l.entry_id
      JOIN ledger_account a ON a.id = l.account_id
      LEFT JOIN ledger_projectadministration p ON p.id = l.project_id
      LEFT JOIN ledger_earmark m ON m.id = l.earmark_id
     WHERE e.fiscal_year = {year} {project_filter}
     ORDER BY e.date, e.id, l.id
) TO STDOUT WITH (FORMAT csv, HEADER true, DELIMITER '{delimiter}')
"""


def export_csv(
    year: int, *, project: ProjectAdministration | None = None, dutch: bool = False
) -> Iterator[bytes]:
    """The journal as CSV. On PostgreSQL the rows come straight from ``COPY``."""
    if connection.vendor == "postgresql":
        yield from _csv_copy(year, project=project, dutch=dutch)
    else:
        yield from export_csv_python(year, project=project, dutch=dutch)


def _csv_copy(year: int, *, project: ProjectAdministration | None, dutch: bool) -> Iterator[bytes]:
    amount = "to_char(l.amount_cents / 100.0, 'FM9999999999999999990.00')"
    if dutch:
        amount = f"replace({amount}, '.', ',')"
    sql = _CSV_SQL.format(
        description=_CONTROL_SQL.format("e.description"),
        account_name=_CONTROL_SQL.format("a.name"),
        project_code=_CONTROL_SQL.format("p.code"),
        earmark_ref=_CONTROL_SQL.format("m.ref"),
        amount=amount,
        year=int(year),
        delimiter=";" if dutch else ",",
        project_filter=f"AND l.project_id = {int(project.pk)}" if project is not None else "",
    )
    connection.ensure_connection()
    with connection.connection.cursor() as cursor, cursor.copy(sql) as copy:
        for chunk in copy:
            yield bytes(chunk)


def export_csv_python(
    year: int, *, project: ProjectAdministration | None = None, dutch: bool = False
) -> Iterator[bytes]:
    """The same CSV built row by row (SQLite, and the reference the COPY path is tested against)."""
    buffer = _Buffer()
    writer = csv.writer(buffer, delimiter=";" if dutch else ",", lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for n, row in enumerate(_lines(year, project), start=1):
        (entry, day, period, kind, desc, code, name, side, cents, project, earmark, reverses) = row[
            :12
        ]
        amount = euros(cents, dutch=dutch)
        writer.writerow(
            [
                entry,
                day.isoformat(),
                period,
                kind,
                desc,
                code,
                name,
                amount if side == "D" else "",
                amount if side == "C" else "",
                project or "",
                earmark or "",
                reverses or "",
            ]
        )
        if n % CHUNK == 0:
            yield buffer.take()
    yield buffer.take()


# -- XLSX -----------------------------------------------------------------------------------


def export_xlsx(year: int, *, project: ProjectAdministration | None = None) -> Iterator[bytes]:
    """The journal as a spreadsheet (openpyxl write-only mode: rows go to disk as written)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Journaal")
    sheet.append(CSV_COLUMNS)
    for row in _lines(year, project):
        (entry, day, period, kind, desc, code, name, side, cents, project, earmark, reverses) = row[
            :12
        ]
        amount = Decimal(cents) / 100
        sheet.append(
            [
                entry,
                day,
                period,
                kind,
                desc,
                code,
                name,
                amount if side == "D" else None,
                amount if side == "C" else None,
                project,
                earmark,
                reverses,
            ]
        )
    with tempfile.TemporaryFile() as handle:
        workbook.save(handle)
        handle.seek(0)
        while chunk := handle.read(64 * 1024):
            yield chunk


# -- XAF 3.2 --------------------------------------------------------------------------------

XAF_NAMESPACE = "http://www.auditfiles.nl/XAF/3.2"


def _x(text: Any, limit: int) -> str:
    return escape(printable(str(text))[:limit])


def _totals(year: int, project: ProjectAdministration | None) -> tuple[int, int, int]:
    agg = _year_lines(year, project).aggregate(
        count=Count("id"),
        debit=Sum("amount_cents", filter=Q(side="D")),
        credit=Sum("amount_cents", filter=Q(side="C")),
    )
    return int(agg["count"]), int(agg["debit"] or 0), int(agg["credit"] or 0)


def opening_balances(
    year: int, project: ProjectAdministration | None = None
) -> list[tuple[str, int]]:
    """Balance-sheet accounts at the start of ``year`` (signed, debit positive).

    Results of earlier years not yet closed into a reserve are shown on the
    general reserve, so the opening balance balances.
    """
    from . import chart
    from .selectors import SIGNED

    earlier = JournalLine.objects.filter(entry__fiscal_year__lt=year)
    if project is not None:
        earlier = earlier.filter(project=project)
    rows = earlier.values("account__code", "account__type").annotate(total=Sum(SIGNED))
    balance_types = {Account.Type.ASSET, Account.Type.LIABILITY, Account.Type.EQUITY}
    by_code: dict[str, int] = {}
    for r in rows:
        code = r["account__code"] if r["account__type"] in balance_types else chart.GENERAL_RESERVE
        by_code[code] = by_code.get(code, 0) + int(r["total"])
    return sorted((code, total) for code, total in by_code.items() if total != 0)


def export_xaf(year: int, *, project: ProjectAdministration | None = None) -> Iterator[bytes]:
    """XML Auditfile Financieel 3.2: header, chart, periods, opening balance, journals."""
    out = _Buffer()
    today = timezone.localdate().isoformat()
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(f'<auditfile xmlns="{XAF_NAMESPACE}">\n<header>')
    out.write(f"<fiscalYear>{year}</fiscalYear><startDate>{year}-01-01</startDate>")
    out.write(
        f"<endDate>{year}-12-31</endDate><curCode>EUR</curCode><dateCreated>{today}</dateCreated>"
    )
    out.write(
        "<softwareDesc>buurtfonds</softwareDesc><softwareVersion>1.0</softwareVersion></header>\n"
    )
    out.write("<company>")
    out.write(f"<companyName>{_x(settings.LEDGER_COMPANY_NAME, 999)}</companyName>")
    out.write("<taxRegistrationCountry>NL</taxRegistrationCountry>")
    out.write(f"<taxRegIdent>{_x(settings.LEDGER_TAX_REGISTRATION, 30)}</taxRegIdent>\n")
    out.write("<generalLedger>")
    for account in Account.objects.order_by("code"):
        tp = "B" if account.on_balance_sheet else "P"
        out.write(
            f"<ledgerAccount><accID>{_x(account.code, 35)}</accID>"
            f"<accDesc>{_x(account.name, 999)}</accDesc><accTp>{tp}</accTp>"
            f"<leadDescription>{_x(account.rj640_line, 999)}</leadDescription></ledgerAccount>\n"
        )
    out.write("</generalLedger>\n<periods>")
    for month in range(1, 13):
        start = date(year, month, 1)
        end = date(year + (month == 12), month % 12 + 1, 1).toordinal() - 1
        out.write(
            f"<period><periodNumber>{month}</periodNumber><periodDesc>{year}-{month:02d}</periodDesc>"
            f"<startDatePeriod>{start.isoformat()}</startDatePeriod>"
            f"<endDatePeriod>{date.fromordinal(end).isoformat()}</endDatePeriod></period>"
        )
    out.write("</periods>\n")
    opening = opening_balances(year, project)
    if opening:
        ob_debit = sum(t for _, t in opening if t > 0)
        ob_credit = -sum(t for _, t in opening if t < 0)
        out.write(
            f"<openingBalance><opBalDate>{year}-01-01</opBalDate><linesCount>{len(opening)}</linesCount>"
            f"<totalDebit>{euros(ob_debit)}</totalDebit><totalCredit>{euros(ob_credit)}</totalCredit>"
        )
        for n, (code, total) in enumerate(opening, start=1):
            out.write(
                f"<obLine><nr>{n}</nr><accID>{code}</accID><amnt>{euros(abs(total))}</amnt>"
                f"<amntTp>{'D' if total > 0 else 'C'}</amntTp></obLine>"
            )
        out.write("</openingBalance>\n")
    count, debit, credit = _totals(year, project)
    out.write(
        f"<transactions><linesCount>{count}</linesCount>"
        f"<totalDebit>{euros(debit)}</totalDebit><totalCredit>{euros(credit)}</totalCredit>\n"
    )
    if count:
        out.write(
            "<journal><jrnID>memoriaal</jrnID><desc>Memoriaal buurtfonds</desc><jrnTp>M</jrnTp>\n"
        )
        yield out.take()
        current = None
        for n, row in enumerate(_lines(year, project), start=1):
            (entry, day, period, kind, desc, code, _name, side, cents, project, earmark, _rev,
             line_id, key, username) = row  # fmt: skip
            if entry != current:
                if current is not None:
                    out.write("</transaction>\n")
                current = entry
                out.write(
                    f"<transaction><nr>{entry}</nr><desc>{_x(desc, 9999)}</desc>"
                    f"<periodNumber>{period}</periodNumber><trDt>{day.isoformat()}</trDt>"
                    f"<sourceID>{_x(kind, 35)}</sourceID>"
                )
                if username:
                    out.write(f"<userID>{_x(username, 35)}</userID>")
            out.write(
                f"<trLine><nr>{line_id}</nr><accID>{_x(code, 35)}</accID>"
                f"<docRef>{_x(key, 999)}</docRef><effDate>{day.isoformat()}</effDate><amnt>{euros(cents)}</amnt><amntTp>{side}</amntTp>"
            )
            if earmark:
                out.write(f"<costID>{_x(earmark, 35)}</costID>")
            if project:
                out.write(f"<projID>{_x(project, 35)}</projID>")
            out.write("</trLine>")
            if n % CHUNK == 0:
                yield out.take()
        out.write("</transaction>\n</journal>\n")
    out.write("</transactions>\n</company>\n</auditfile>\n")
    yield out.take()


# -- beancount ------------------------------------------------------------------------------

_ROOTS = {
    Account.Type.ASSET: "Assets",
    Account.Type.LIABILITY: "Liabilities",
    Account.Type.EQUITY: "Equity",
    Account.Type.INCOME: "Income",
    Account.Type.EXPENSE: "Expenses",
    Account.Type.APPROPRIATION: "Equity:Resultaatbestemming",
}


def beancount_name(account: Account) -> str:
    words = "".join(part.capitalize() for part in slugify(account.name).split("-"))
    return f"{_ROOTS[Account.Type(account.type)]}:{account.code}-{words}"


def _quote(text: str) -> str:
    return '"' + printable(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def export_beancount(year: int, *, project: ProjectAdministration | None = None) -> Iterator[bytes]:
    """The journal in beancount's plain-text format (checked with ``bean-check`` in the tests)."""
    out = _Buffer()
    names = {a.code: beancount_name(a) for a in Account.objects.all()}
    out.write(f'option "title" "buurtfonds {year}"\noption "operating_currency" "EUR"\n\n')
    for code in sorted(names):
        out.write(f"{year}-01-01 open {names[code]} EUR\n")
    opening = opening_balances(year, project)
    if opening:
        out.write(f"{year}-01-01 open Equity:Openingsbalans EUR\n\n")
        out.write(f'{year}-01-01 * "Openingsbalans"\n')
        for code, total in opening:
            out.write(f"  {names[code]}  {euros(total)} EUR\n")
        out.write(f"  Equity:Openingsbalans  {euros(-sum(t for _, t in opening))} EUR\n")
    out.write("\n")
    current = None
    for n, row in enumerate(_lines(year, project), start=1):
        entry, day, _period, kind, desc, code, _name, side, cents, project, earmark, reverses = row[
            :12
        ]
        if entry != current:
            current = entry
            out.write(
                f'\n{day.isoformat()} * {_quote(desc)}\n  entry: "{entry}"\n  kind: "{kind}"\n'
            )
            if reverses:
                out.write(f'  reverses: "{reverses}"\n')
        amount = euros(cents if side == "D" else -cents)
        out.write(f"  {names[code]}  {amount} EUR\n")
        if n % CHUNK == 0:
            yield out.take()
    yield out.take()


def export(
    year: int, fmt: str, *, project: ProjectAdministration | None = None, dutch: bool = False
) -> Iterable[bytes]:
    """The journal of ``year`` (of one project administration, if given) in ``fmt``."""
    if fmt == "csv":
        return export_csv(year, project=project, dutch=dutch)
    exporters = {"xlsx": export_xlsx, "xaf": export_xaf, "beancount": export_beancount}
    return exporters[fmt](year, project=project)
