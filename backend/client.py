"""Who is asking: the client's address, and what a locked-out login answers.

One definition of the client's address for the throttles, the login lockout and the
login throttle of the admin and the browsable API: the socket's address, or, behind
``TRUSTED_PROXIES`` proxies, the address the outermost trusted proxy saw. A header the
client sends itself never decides it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.utils.translation import gettext as _
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle


def client_address(request: HttpRequest) -> str:
    # The throttles' own reading of the address (NUM_PROXIES = TRUSTED_PROXIES).
    return str(BaseThrottle().get_ident(request) or "")  # type: ignore[arg-type]


def login_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """The username failures are counted against: case folded, as usernames are unique
    without regard to case."""
    return str((credentials or {}).get("username") or "").strip().casefold()[:150]


def _cool_off_seconds() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


def login_locked_out(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """django-axes' answer after too many failed logins for one username from one address."""
    seconds = _cool_off_seconds()
    detail = _(
        "Too many failed login attempts. Try again in %(minutes)s minutes, or reset your password."
    ) % {"minutes": max(1, seconds // 60)}
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {"code": "login_locked_out", "detail": detail, "retry_after_seconds": seconds},
            status=429,
        )
    else:
        response = HttpResponse(detail, status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(seconds)
    return response


class LoginRateThrottle(SimpleRateThrottle):
    """The API's ``auth`` budget per address, for the Django login forms too."""

    scope = "auth"

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def throttled_login(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Spend the address's ``auth`` budget on each login form post (admin, browsable API)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.method == "POST":
            throttle = LoginRateThrottle()
            # The throttle reads only request.META, which a Django request has too.
            if not throttle.allow_request(request, None):  # type: ignore[arg-type]
                wait = int(throttle.wait() or 60)
                response = HttpResponse(
                    _("Too many attempts. Try again in %(seconds)s seconds.") % {"seconds": wait},
                    status=429,
                    content_type="text/plain; charset=utf-8",
                )
                response["Retry-After"] = str(wait)
                return response
        return view(request, *args, **kwargs)

    return wrapper
