"""The one shape every domain error takes.

Apps raise subclasses of :class:`DomainError`; the API's exception handler
turns them into ``{"code", "detail"}`` with the HTTP status they carry. It
lives in the project package so that every app, the ledger included, can use
it without importing another app.
"""

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """A rule of the domain said no. ``message`` is a lazy translated sentence."""

    status_code = 400
    code = "invalid"
    message: str | Promise = "The request breaks a rule."

    def __init__(
        self,
        message: str | Promise | None = None,
        *,
        code: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        if message is not None:
            self.message = message
        if code is not None:
            self.code = code
        self.extra = extra or {}
        super().__init__(str(self.message))


class Conflict(DomainError):
    """The state machine forbids it, or another request won the race."""

    status_code = 409
    code = "conflict"


class Forbidden(DomainError):
    """The actor does not hold the role this action needs."""

    status_code = 403
    code = "permission_denied"


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class Unavailable(DomainError):
    """Something we depend on (Stripe, mostly) is down: nothing was half-done, try again."""

    status_code = 503
    code = "unavailable"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.extra = {"retryable": True, **self.extra}


class DatabaseUnavailable(Unavailable):
    """PostgreSQL did not answer (restarting, failing over, out of connections)."""

    code = "database_unavailable"
    message = _("The database cannot be reached just now. Please try again in a moment.")
