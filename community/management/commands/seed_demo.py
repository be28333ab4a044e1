"""Load the demo data of docs/api.md. Idempotent: running it twice changes nothing.

Each app adds its part in a module ``<app>/seed.py`` with a function
``seed(*, password, log)``; they run in INSTALLED_APPS order (community first,
then ledger, grants, voting), so later apps build on earlier ones.
"""

from importlib import import_module
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction


class Command(BaseCommand):
    help = "Load demo cooperatives, funds and accounts (needs DEMO_PASSWORD)."

    def handle(self, *args: Any, **options: Any) -> None:
        password = settings.DEMO_PASSWORD
        if not password:
            raise CommandError(
                "DEMO_PASSWORD is not set; the demo accounts need a password from the environment."
            )
        for config in apps.get_app_configs():
            try:
                module = import_module(f"{config.name}.seed")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.seed":
                    raise
                continue
            with transaction.atomic():
                module.seed(password=password, log=self.stdout.write)
        self.stdout.write(self.style.SUCCESS("Demo data is in place."))
