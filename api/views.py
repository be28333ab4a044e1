"""JSON answers for URLs no view matched and for unexpected failures under /api/."""

from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"code": "not_found", "detail": _("That does not exist.")}, status=404)
    return defaults.page_not_found(request, exception)  # type: ignore[arg-type]


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """A request Django refused before any view (a body over DATA_UPLOAD_MAX_MEMORY_SIZE,
    too many fields, a bad host): under /api/ in the API's shape."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {
                "code": "bad_request",
                "detail": _("The request is too large or malformed; nothing was changed."),
            },
            status=400,
        )
    return defaults.bad_request(request, exception)  # type: ignore[arg-type]


def server_error(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse(
            {
                "code": "server_error",
                "detail": _(
                    "Something went wrong on our side. It has been logged; please try again later."
                ),
            },
            status=500,
        )
    return defaults.server_error(request)


def health(request: HttpRequest) -> HttpResponse:
    """Liveness and database reachability, for the container health check."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
