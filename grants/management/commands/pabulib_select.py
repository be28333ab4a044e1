"""Replay a pabulib election with one of our allocation rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from grants.allocation import RULES
from grants.pabulib import PabulibError, parse


class Command(BaseCommand):
    help = (
        "Print the ids of the projects that --rule selects for a pabulib .pb file, one per "
        "line, sorted, and nothing else."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--rule", choices=sorted(RULES), required=True)

    def handle(self, *args: Any, file: Path, rule: str, **options: Any) -> None:
        try:
            text = file.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"{file}: cannot read it: {exc}") from exc
        try:
            election = parse(text)
        except PabulibError as exc:
            raise CommandError(f"{file}: {exc}") from exc
        budget, costs, unit = election.money()
        for project in sorted(RULES[rule](budget, costs, election.ballots(), unit=unit)):
            self.stdout.write(project)
