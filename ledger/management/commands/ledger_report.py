"""python manage.py ledger_report --year 2026 --report own-contribution"""

import json
from dataclasses import asdict
from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ledger import selectors
from ledger.selectors import project_by_code

REPORTS = ("trial-balance", "income-statement", "balance-sheet", "own-contribution")


class Command(BaseCommand):
    help = (
        "Print a report of the books as JSON: trial balance, RJ 640 statements, own contribution."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--report", choices=REPORTS, required=True)
        parser.add_argument("--project", help="only this project administration (its code)")

    def handle(self, *args: Any, **options: Any) -> None:
        project = None
        if options["project"]:
            project = project_by_code(options["project"])
            if project is None:
                raise CommandError(f"No project administration with code {options['project']!r}.")
        year, report = options["year"], options["report"]
        result: Any
        if report == "trial-balance":
            result = [
                {**asdict(r), "balance_cents": r.balance_cents}
                for r in selectors.trial_balance(year=year, project=project)
            ]
        elif report == "income-statement":
            result = asdict(selectors.income_statement(year=year, project=project))
        elif report == "balance-sheet":
            result = asdict(selectors.balance_sheet(year=year, project=project))
        else:
            result = [asdict(r) for r in selectors.own_contribution(year=year)]
        self.stdout.write(json.dumps(result, indent=2, ensure_ascii=False, default=_decimal))


def _decimal(value: Any) -> str:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(type(value).__name__)
