"""The one exception handler: every error becomes ``{"code", "detail"[, "fields"]}``.

``detail`` is a sentence in the request's language (Dutch by default, English
with ``Accept-Language: en``). Domain errors carry their own code and status.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from backend.errors import DatabaseUnavailable, DomainError
from community.audit import audit_log

log = logging.getLogger(__name__)

_GENERIC: dict[type[exceptions.APIException], tuple[str, Any]] = {
    exceptions.ParseError: (
        "malformed_request",
        _("The request could not be read (malformed JSON?)."),
    ),
    exceptions.ValidationError: ("invalid", _("Some fields are missing or invalid.")),
    exceptions.NotAuthenticated: ("not_authenticated", _("Log in first.")),
    exceptions.AuthenticationFailed: (
        "authentication_failed",
        _("Those credentials are not valid."),
    ),
    exceptions.PermissionDenied: ("permission_denied", _("You may not do this.")),
    exceptions.NotFound: ("not_found", _("That does not exist.")),
    exceptions.MethodNotAllowed: ("method_not_allowed", _("This method is not allowed here.")),
    exceptions.NotAcceptable: ("not_acceptable", _("That response format is not available.")),
    exceptions.UnsupportedMediaType: (
        "unsupported_media_type",
        _("That content type is not supported."),
    ),
    exceptions.Throttled: ("throttled", _("Too many requests. Wait a moment and try again.")),
}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    request = context.get("request")
    if isinstance(exc, OperationalError | InterfaceError):
        # The database went away (a restart, a failover) or gave up on this statement: the
        # request did not complete and may be sent again. Django drops the broken
        # connection when the request ends; the next request connects anew.
        log.warning("database unavailable for %s: %s", getattr(request, "path", "?"), exc)
        set_rollback()
        unavailable = DatabaseUnavailable()
        return Response(
            {"code": unavailable.code, "detail": str(unavailable.message), **unavailable.extra},
            status=unavailable.status_code,
            headers={"Retry-After": "1"},
        )
    if isinstance(exc, DomainError):
        body: dict[str, Any] = {"code": exc.code, "detail": str(exc.message), **exc.extra}
        if exc.status_code == status.HTTP_403_FORBIDDEN:
            _audit_denial(request, exc.code)
        set_rollback()
        return Response(body, status=exc.status_code)

    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    if not isinstance(exc, exceptions.APIException):
        return None  # a real bug: let Django report it

    code, message = next(
        ((c, m) for cls, (c, m) in _GENERIC.items() if isinstance(exc, cls)),
        (exc.default_code, exc.default_detail),
    )
    body = {"code": code, "detail": str(message)}
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        body["fields"] = detail if isinstance(detail, dict) else {"non_field_errors": detail}
    if isinstance(exc, exceptions.PermissionDenied):
        _audit_denial(request, code)

    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header  # type: ignore[attr-defined]
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))  # type: ignore[attr-defined]
    set_rollback()
    return Response(body, status=exc.status_code, headers=headers)


def _audit_denial(request: Any, code: str) -> None:
    if request is None:
        return
    audit_log(
        actor=getattr(request, "user", None),
        action="permission_denied",
        data={"method": request.method, "path": request.path[:300], "error": code},
    )
