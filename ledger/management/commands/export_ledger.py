"""python manage.py export_ledger --year 2026 --format xaf --output journaal-2026.xaf"""

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ledger.exports import FORMATS, export
from ledger.selectors import project_by_code


class Command(BaseCommand):
    help = "Write the journal of a fiscal year as CSV, XLSX, XAF 3.2 or beancount (streamed)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--format", choices=FORMATS, required=True)
        parser.add_argument("--output", required=True, help="a file path, or - for standard output")
        parser.add_argument("--project", help="only this project administration (its code)")
        parser.add_argument("--dutch", action="store_true", help="CSV: decimal comma, semicolons")

    def handle(self, *args: Any, **options: Any) -> None:
        project = None
        if options["project"]:
            project = project_by_code(options["project"])
            if project is None:
                raise CommandError(f"No project administration with code {options['project']!r}.")
        chunks = export(options["year"], options["format"], project=project, dutch=options["dutch"])
        if options["output"] == "-":
            for chunk in chunks:
                sys.stdout.buffer.write(chunk)
            sys.stdout.buffer.flush()
            return
        size = 0
        with open(options["output"], "wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
                size += len(chunk)
        self.stderr.write(f"Wrote {size} bytes to {options['output']}.")
