"""Reads over the books: pot balances, trial balance, RJ 640 statements, own contribution.

Balances are always computed from journal lines; nothing is kept beside them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from decimal import Decimal

from django.db.models import Case, F, IntegerField, Q, QuerySet, Sum, When
from django.db.models.functions import Coalesce

from . import chart
from .models import Account, Earmark, JournalEntry, JournalLine, ProjectAdministration

Kind = JournalEntry.Kind
# Debit positive, credit negative: the signed amount of a line.
SIGNED = Case(
    When(side=JournalLine.Side.DEBIT, then=F("amount_cents")),
    default=-F("amount_cents"),
    output_field=IntegerField(),
)


def project_by_code(code: str) -> ProjectAdministration | None:
    return ProjectAdministration.objects.filter(code=code).first()


def _credit_balance(lines: QuerySet[JournalLine]) -> int:
    return -int(lines.aggregate(total=Coalesce(Sum(SIGNED), 0))["total"])


def _pot_lines(pot: Earmark) -> QuerySet[JournalLine]:
    return JournalLine.objects.filter(Q(earmark=pot) | Q(earmark__parent=pot))


def pot_available_cents(pot: Earmark) -> int:
    pot_account, _reserved = chart.POT_ACCOUNTS[pot.kind]
    return _credit_balance(_pot_lines(pot).filter(account__code=pot_account))


@dataclass(frozen=True)
class PotBalance:
    deposited_cents: int
    reserved_cents: int
    committed_cents: int
    paid_cents: int
    returned_cents: int
    available_cents: int

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def pot_balance(pot: Earmark) -> PotBalance:
    """A fund's pot, from the books alone (one query)."""
    pot_account, reserved = chart.POT_ACCOUNTS[pot.kind]
    rows = (
        _pot_lines(pot)
        .filter(account__code__in=[pot_account, reserved, chart.GRANTS_PAYABLE])
        .values("account__code", "entry__kind")
        .annotate(total=Sum(SIGNED))
    )
    by: dict[tuple[str, str], int] = {
        (r["account__code"], r["entry__kind"]): -int(r["total"]) for r in rows
    }

    def credit(account: str, kind: str | None = None) -> int:
        return sum(v for (a, k), v in by.items() if a == account and (kind is None or k == kind))

    return PotBalance(
        deposited_cents=credit(pot_account, Kind.DEPOSIT),
        reserved_cents=credit(reserved),
        committed_cents=credit(chart.GRANTS_PAYABLE),
        paid_cents=-credit(chart.GRANTS_PAYABLE, Kind.PAYOUT),
        returned_cents=credit(pot_account, Kind.UNSPENT_RETURN),
        available_cents=credit(pot_account),
    )


def earmark_balance(earmark: Earmark) -> PotBalance:
    """The same figures for one application's earmark."""
    if earmark.kind != Earmark.Kind.APPLICATION:
        return pot_balance(earmark)
    pot_account, reserved = chart.POT_ACCOUNTS[earmark.pot.kind]
    rows = (
        JournalLine.objects.filter(earmark=earmark)
        .values("account__code", "entry__kind")
        .annotate(total=Sum(SIGNED))
    )
    by = {(r["account__code"], r["entry__kind"]): -int(r["total"]) for r in rows}
    return PotBalance(
        deposited_cents=0,
        reserved_cents=sum(v for (a, _), v in by.items() if a == reserved),
        committed_cents=sum(v for (a, _), v in by.items() if a == chart.GRANTS_PAYABLE),
        paid_cents=-sum(
            v for (a, k), v in by.items() if a == chart.GRANTS_PAYABLE and k == Kind.PAYOUT
        ),
        returned_cents=sum(
            v for (a, k), v in by.items() if a == pot_account and k == Kind.UNSPENT_RETURN
        ),
        available_cents=sum(v for (a, _), v in by.items() if a == pot_account),
    )


@dataclass(frozen=True)
class TrialBalanceRow:
    code: str
    name: str
    type: str
    debit_cents: int
    credit_cents: int

    @property
    def balance_cents(self) -> int:
        """Debit minus credit."""
        return self.debit_cents - self.credit_cents


def _year_lines(year: int, project: ProjectAdministration | None = None) -> QuerySet[JournalLine]:
    lines = JournalLine.objects.filter(entry__fiscal_year=year)
    return lines.filter(project=project) if project is not None else lines


def trial_balance(
    *, year: int, project: ProjectAdministration | None = None
) -> list[TrialBalanceRow]:
    """Debit and credit totals per account over the entries of a fiscal year."""
    totals = (
        _year_lines(year, project)
        .values("account_id")
        .annotate(
            debit=Coalesce(Sum("amount_cents", filter=Q(side="D")), 0),
            credit=Coalesce(Sum("amount_cents", filter=Q(side="C")), 0),
        )
    )
    by_account = {t["account_id"]: t for t in totals}
    return [
        TrialBalanceRow(
            code=a.code,
            name=a.name,
            type=a.type,
            debit_cents=int(by_account[a.pk]["debit"]),
            credit_cents=int(by_account[a.pk]["credit"]),
        )
        for a in Account.objects.filter(pk__in=by_account)
    ]


@dataclass(frozen=True)
class StatementLine:
    code: str
    name: str
    rj640_line: str
    amount_cents: int


@dataclass(frozen=True)
class IncomeStatement:
    """RJ 640's *staat van baten en lasten*: income, expenses, result, appropriation."""

    income: list[StatementLine]
    expenses: list[StatementLine]
    appropriation: list[StatementLine]
    total_income_cents: int
    total_expenses_cents: int
    result_cents: int
    result_after_appropriation_cents: int


def _statement_lines(
    rows: list[TrialBalanceRow], types: set[str], sign: int
) -> list[StatementLine]:
    lines_by_code = {a.code: a for a in Account.objects.filter(code__in=[r.code for r in rows])}
    return [
        StatementLine(r.code, r.name, lines_by_code[r.code].rj640_line, sign * r.balance_cents)
        for r in rows
        if r.type in types
    ]


def income_statement(*, year: int, project: ProjectAdministration | None = None) -> IncomeStatement:
    rows = trial_balance(year=year, project=project)
    income = _statement_lines(rows, {Account.Type.INCOME}, -1)
    expenses = _statement_lines(rows, {Account.Type.EXPENSE}, 1)
    appropriation = _statement_lines(rows, {Account.Type.APPROPRIATION}, -1)
    total_income = sum(line.amount_cents for line in income)
    total_expenses = sum(line.amount_cents for line in expenses)
    result = total_income - total_expenses
    return IncomeStatement(
        income=income,
        expenses=expenses,
        appropriation=appropriation,
        total_income_cents=total_income,
        total_expenses_cents=total_expenses,
        result_cents=result,
        result_after_appropriation_cents=result + sum(a.amount_cents for a in appropriation),
    )


@dataclass(frozen=True)
class BalanceSheet:
    """Balances at the end of a fiscal year (all years up to it), RJ 640 layout."""

    assets: list[StatementLine]
    liabilities: list[StatementLine]
    funds_and_reserves: list[StatementLine]
    unappropriated_result_cents: int
    total_assets_cents: int
    total_liabilities_and_equity_cents: int


def balance_sheet(*, year: int, project: ProjectAdministration | None = None) -> BalanceSheet:
    lines = JournalLine.objects.filter(entry__fiscal_year__lte=year)
    if project is not None:
        lines = lines.filter(project=project)
    totals = {
        r["account_id"]: int(r["total"])
        for r in lines.values("account_id").annotate(total=Sum(SIGNED))
    }
    accounts = list(Account.objects.filter(pk__in=totals))

    def section(kind: str, sign: int) -> list[StatementLine]:
        return [
            StatementLine(a.code, a.name, a.rj640_line, sign * totals[a.pk])
            for a in accounts
            if a.type == kind
        ]

    assets = section(Account.Type.ASSET, 1)
    liabilities = section(Account.Type.LIABILITY, -1)
    funds = section(Account.Type.EQUITY, -1)
    # Income, expenses and appropriation not yet closed into a reserve.
    unappropriated = -sum(totals[a.pk] for a in accounts if not a.on_balance_sheet)
    total_assets = sum(line.amount_cents for line in assets)
    total_other = sum(line.amount_cents for line in liabilities + funds) + unappropriated
    return BalanceSheet(
        assets=assets,
        liabilities=liabilities,
        funds_and_reserves=funds,
        unappropriated_result_cents=unappropriated,
        total_assets_cents=total_assets,
        total_liabilities_and_equity_cents=total_other,
    )


@dataclass(frozen=True)
class OwnContribution:
    """The 5% rule for one project administration in one year."""

    project_code: str
    project_name: str
    own_income_by_source: dict[str, int]
    own_income_cents: int
    needed_cents: int
    ratio: Decimal | None
    required_ratio: Decimal
    meets_rule: bool


def own_contribution(
    *, year: int, required_ratio: Decimal = Decimal("0.05")
) -> list[OwnContribution]:
    """Per project administration: own income by source, money needed (expenses), ratio.

    When nothing was needed (no expenses) the ratio is ``None`` and the rule is met.
    """
    income_rows = (
        _year_lines(year)
        .filter(account__type=Account.Type.INCOME, account__source__in=chart.OWN_SOURCES)
        .values("project_id", "account__source")
        .annotate(total=Sum(SIGNED))
    )
    expense_rows = (
        _year_lines(year)
        .filter(account__type=Account.Type.EXPENSE)
        .values("project_id")
        .annotate(total=Sum(SIGNED))
    )
    own: dict[int | None, dict[str, int]] = {}
    for r in income_rows:
        own.setdefault(r["project_id"], {})[r["account__source"]] = -int(r["total"])
    needed = {r["project_id"]: int(r["total"]) for r in expense_rows}
    ids = {pk for pk in set(own) | set(needed) if pk is not None}
    projects = {p.pk: p for p in ProjectAdministration.objects.filter(pk__in=ids)}
    report = []
    for pk in sorted(projects, key=lambda k: projects[k].code):
        by_source = {s: own.get(pk, {}).get(s, 0) for s in sorted(chart.OWN_SOURCES)}
        total_own = sum(by_source.values())
        need = needed.get(pk, 0)
        ratio = (
            (Decimal(total_own) / Decimal(need)).quantize(Decimal("0.0001")) if need > 0 else None
        )
        report.append(
            OwnContribution(
                project_code=projects[pk].code,
                project_name=projects[pk].name,
                own_income_by_source=by_source,
                own_income_cents=total_own,
                needed_cents=need,
                ratio=ratio,
                required_ratio=required_ratio,
                meets_rule=ratio is None or ratio >= required_ratio,
            )
        )
    return report


def own_income_of_earmark(earmark: Earmark) -> dict[str, int]:
    """Own income received for one application (or pot), by source."""
    return own_income_of_earmarks([earmark.pk])[earmark.pk]


def own_income_of_earmarks(earmark_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """`own_income_of_earmark` for many earmarks (a page of applications) in one query."""
    ids = list(earmark_ids)
    by: dict[int, dict[str, int]] = {pk: {} for pk in ids}
    rows = (
        JournalLine.objects.filter(
            earmark_id__in=ids,
            account__type=Account.Type.INCOME,
            account__source__in=chart.OWN_SOURCES,
        )
        .values("earmark_id", "account__source")
        .annotate(total=Sum(SIGNED))
    )
    for r in rows:
        by[r["earmark_id"]][r["account__source"]] = -int(r["total"])
    return by


@dataclass(frozen=True)
class Repayment:
    """Unspent money an application owes back: what is still owed, what came back on the
    bank (and is in the pot again) and what the board wrote off as a loss."""

    owed_cents: int
    returned_cents: int
    written_off_cents: int


def earmark_repayment(earmark: Earmark) -> Repayment:
    """From the receivable account (1300) of one application's earmark, in one query."""
    return earmark_repayments([earmark.pk])[earmark.pk]


def earmark_repayments(earmark_ids: Iterable[int]) -> dict[int, Repayment]:
    """`earmark_repayment` for many earmarks in one query."""
    ids = list(earmark_ids)
    rows = (
        JournalLine.objects.filter(earmark_id__in=ids, account__code=chart.GRANT_REFUNDS_RECEIVABLE)
        .values("earmark_id", "entry__kind", "side")
        .annotate(total=Sum("amount_cents"))
    )
    by: dict[int, dict[tuple[str, str], int]] = {pk: {} for pk in ids}
    for r in rows:
        by[r["earmark_id"]][(r["entry__kind"], r["side"])] = int(r["total"])
    return {pk: _repayment(totals) for pk, totals in by.items()}


def _repayment(by: dict[tuple[str, str], int]) -> Repayment:
    debit = sum(v for (_, side), v in by.items() if side == JournalLine.Side.DEBIT)
    credit = sum(v for (_, side), v in by.items() if side == JournalLine.Side.CREDIT)
    return Repayment(
        owed_cents=debit - credit,
        returned_cents=by.get((Kind.UNSPENT_RETURN, JournalLine.Side.CREDIT), 0),
        written_off_cents=by.get((Kind.WRITE_OFF, JournalLine.Side.CREDIT), 0),
    )


def topups_payable_cents(earmark: Earmark) -> tuple[int, int]:
    """Crowdfunding of one application, net of refunds and the processor's fees, and what of
    it was paid out to the project already: (received net, paid out)."""
    return topups_payable_of_earmarks([earmark.pk])[earmark.pk]


def topups_payable_of_earmarks(earmark_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """`topups_payable_cents` for many earmarks in one query."""
    ids = list(earmark_ids)
    rows = (
        JournalLine.objects.filter(earmark_id__in=ids)
        .filter(
            Q(account__code=chart.INCOME_BY_SOURCE["crowdfunding"])
            | Q(account__code=chart.PAYMENT_FEES)
            | Q(entry__kind=Kind.TOPUP_PAYOUT, account__code=chart.BANK)
        )
        .values("earmark_id", "account__code")
        .annotate(total=Sum(SIGNED))
    )
    by: dict[int, dict[str, int]] = {pk: {} for pk in ids}
    for r in rows:
        by[r["earmark_id"]][r["account__code"]] = int(r["total"])
    crowdfunding = chart.INCOME_BY_SOURCE["crowdfunding"]
    return {
        pk: (
            -totals.get(crowdfunding, 0) - totals.get(chart.PAYMENT_FEES, 0),
            -totals.get(chart.BANK, 0),
        )
        for pk, totals in by.items()
    }
