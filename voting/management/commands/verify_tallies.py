"""Open every decided vote's seals again and compare them with the counts it was decided on."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from voting.selectors import tally_disagreements


class Command(BaseCommand):
    help = (
        "Check that each decided vote's stored tally equals its sealed ballots (needs "
        "BALLOT_KEY). Lists every disagreement and exits non-zero when there is one."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--application", type=int, action="append", help="only these ids")

    def handle(self, *args: Any, **options: Any) -> None:
        found = tally_disagreements(options["application"])
        for d in found:
            self.stdout.write(
                f"application {d.application_id}: stored {d.stored.yes} yes, {d.stored.no} no, "
                f"{d.stored.paper} paper; sealed {d.sealed.yes} yes, {d.sealed.no} no, "
                f"{d.sealed.paper} paper, {d.sealed.unreadable} unreadable"
            )
        if found:
            raise CommandError(f"{len(found)} decided vote(s) disagree with their sealed ballots.")
        self.stdout.write("Every decided vote agrees with its sealed ballots.")
