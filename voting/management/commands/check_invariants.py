"""Check what must always hold in the books and the votes; exit non-zero on any breach."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from voting.invariants import breaches


class Command(BaseCommand):
    help = (
        "Verify that every journal entry balances, every fund holds no less than nothing and "
        "every application's money stands where its status says, every sealed ballot opens "
        "and every decided tally equals its ballots (needs BALLOT_KEY). Exits 1 on a breach."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        found = breaches()
        for breach in found:
            self.stdout.write(breach)
        if found:
            raise CommandError(f"{len(found)} invariant(s) broken.", returncode=1)
        self.stdout.write("Every invariant holds.")
