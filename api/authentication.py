"""API tokens (django-rest-knox): stored only as SHA-512 digests, expiring, revocable.

Knox looks through every other token of the user on each request to delete the expired
ones; here that costs no query: an expired token is refused (and deleted) when it is used,
and a daily task purges the rest (``community.tasks.purge_expired_tokens``).
"""

from __future__ import annotations

from typing import Any

import structlog
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from knox.auth import TokenAuthentication
from knox.models import AuthToken


class ExpiringTokenAuthentication(TokenAuthentication):
    def authenticate(self, request: Any) -> Any:
        found = super().authenticate(request)
        if found is not None:
            # The request's log lines from here on name the user (backend/request_log.py
            # binds a session's user before the view; a token is only read here).
            structlog.contextvars.bind_contextvars(user_id=found[0].pk)
        return found

    def _cleanup_token(self, auth_token: AuthToken) -> bool:
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            auth_token.delete()
            return True
        return False


class ExpiringTokenScheme(OpenApiAuthenticationExtension):
    """How the OpenAPI schema describes it: ``Authorization: Token <token>``."""

    target_class = ExpiringTokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return build_bearer_security_scheme_object(
            header_name="Authorization", token_prefix="Token"
        )
