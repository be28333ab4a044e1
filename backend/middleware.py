"""Two answers given before or instead of a view's: a body larger than any upload we take
is refused before anything reads it (the views' own limits, a statement 10 MB, a report with
receipts 25 MB, then never see a body that would first be spooled to disk), and a page the
database could not make is a 503 to try again."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

log = logging.getLogger(__name__)


class RequestBodyLimit:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django reads no body it cannot measure
        limit = settings.REQUEST_BODY_MAX_BYTES
        if length <= limit:
            return self.get_response(request)
        detail = _("The request is too large: at most %(mb)s MB; nothing was changed.") % {
            "mb": limit // (1024 * 1024)
        }
        if request.path.startswith("/api/"):
            response: HttpResponse = JsonResponse(
                {"code": "request_too_large", "detail": detail, "max_bytes": limit}, status=413
            )
        else:
            response = HttpResponse(detail, status=413, content_type="text/plain; charset=utf-8")
        response["Connection"] = "close"  # the unread body must not be taken for a request
        return response


class DatabaseUnavailablePage:
    """The database went away (a restart, a failover) while a page was made: a 503 to try
    again, not a 500. The API answers the same through its exception handler; a page here is
    plain HTML in both languages, because the site's templates would ask the database again."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        log.warning("database unavailable for %s: %s", request.path, exception)
        response = HttpResponse(UNAVAILABLE_PAGE, status=503)
        response["Retry-After"] = "5"
        response["Cache-Control"] = "no-store"
        return response


UNAVAILABLE_PAGE = """<!doctype html>
<html lang="nl"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Even niet bereikbaar - buurtfonds</title></head>
<body><main>
<h1>Even niet bereikbaar</h1>
<p>De website kan de gegevens nu even niet ophalen. Er is niets verloren gegaan.
Probeer het over een minuut opnieuw.</p>
<h2 lang="en">Briefly unavailable</h2>
<p lang="en">The site cannot reach its data just now. Nothing was lost.
Please try again in a minute.</p>
</main></body></html>
"""
