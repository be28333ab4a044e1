"""Every request gets an id, every log line during it carries the id, and the response
returns it in ``X-Request-ID``.

django-structlog's middleware, with four changes for what an attacker holding the logs
could read:

- An incoming ``X-Request-ID`` is kept only behind a trusted proxy (``TRUSTED_PROXIES`` > 0:
  the proxy sets it; without one, a client could reuse one id over many requests to confuse
  whoever reads the logs) and only when it is a sane token: 1 to 64 letters, digits, ``.``, ``_``, ``-`` or ``:``. Anything else is replaced by
  a fresh UUID, so a client cannot write arbitrary text into every line of its request.
- The request is logged as its method and path, never the query string, and the segments of
  a path that are secrets (the password-reset link's uid and token) are redacted.
- The client's address is ours (``backend.client.client_address``: the socket's address or,
  behind ``TRUSTED_PROXIES`` proxies, what the outermost trusted proxy saw), not whatever an
  ``X-Forwarded-For`` header claims.
- The user id is bound before the view runs, so the view's own lines carry it too.
- The request's context stays bound until Django has finished the request, so Django's own
  "Not Found" and "Internal Server Error" lines (logged after the middleware returned) carry
  the request id as well; the next request starts from an empty context.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import structlog
from django.conf import settings
from django.core.signals import request_finished
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django_structlog.middlewares.request import RequestMiddleware

from backend.client import client_address
from backend.logs import REDACTED, scrub

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
# URL parameters that are secrets: never logged, whatever the route.
_SECRET_URL_KWARGS = frozenset({"uidb64", "token"})


def request_id_for(incoming: str | None) -> str:
    """The proxy's id when a proxy is trusted and the id is a sane token, else a new UUID."""
    trusted = settings.REST_FRAMEWORK.get("NUM_PROXIES", 0) > 0
    if trusted and incoming and _SANE_REQUEST_ID.fullmatch(incoming):
        return incoming
    return str(uuid.uuid4())


def logged_path(request: HttpRequest) -> str:
    """The path as it is logged: no query string, secret URL parameters redacted."""
    path = request.path
    match = getattr(request, "resolver_match", None)
    if match is None:
        try:
            match = resolve(request.path_info)
        except Resolver404:
            match = None
    if match is not None:
        for name, value in match.kwargs.items():
            if name in _SECRET_URL_KWARGS and isinstance(value, str) and value:
                path = path.replace(f"/{value}/", f"/{REDACTED}/")
    return scrub(path)


def _forget_request(**_: Any) -> None:
    structlog.contextvars.clear_contextvars()


class RequestLogMiddleware(RequestMiddleware):
    """django_structlog's RequestMiddleware with our request id, path and address."""

    def __init__(self, get_response: Any) -> None:
        super().__init__(get_response)
        request_finished.connect(_forget_request, dispatch_uid="backend.request_log")

    def prepare(self, request: HttpRequest) -> None:
        structlog.contextvars.clear_contextvars()
        request_id = request_id_for(request.META.get("HTTP_X_REQUEST_ID"))
        request.request_id = request_id  # type: ignore[attr-defined]
        # django-structlog reads the header back when it trusts it (the setting says so):
        # what it reads is the id chosen above.
        request.META["HTTP_X_REQUEST_ID"] = request_id
        request.__dict__.pop("headers", None)
        super().prepare(request)

    def process_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        self.bind_user_id(request)

    def handle_response(self, request: HttpRequest, response: HttpResponse) -> None:
        request_id = getattr(request, "request_id", None)
        if request_id:
            response[REQUEST_ID_HEADER] = request_id
        self.bind_user_id(request)
        context = structlog.contextvars.get_contextvars()
        super().handle_response(request, response)  # logs request_finished, clears the context
        structlog.contextvars.bind_contextvars(**context)

    @classmethod
    def bind_ip(cls, request: HttpRequest) -> None:
        structlog.contextvars.bind_contextvars(ip=client_address(request) or None)

    @staticmethod
    def format_request(request: HttpRequest) -> str:
        return f"{request.method} {logged_path(request)}"
