"""Refuse a body larger than any upload we take before anything reads it: the views' own
limits (a statement 10 MB, a report with receipts 25 MB) then never see a body that would
first be spooled to disk."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _


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
