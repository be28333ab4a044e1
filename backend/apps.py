from django.apps import AppConfig
from django.db.models.signals import post_migrate


class BackendConfig(AppConfig):
    """The project itself: no models; grants the application's role after every migrate."""

    name = "backend"
    verbose_name = "buurtfonds"

    def ready(self) -> None:
        from .roles import grant_after_migrate

        # Sent once per migrate for this app, after all migrations of every app have run.
        post_migrate.connect(grant_after_migrate, sender=self, dispatch_uid="backend.roles")
