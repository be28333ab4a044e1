"""Signal receivers that only feed the audit trail (no domain logic lives in signals)."""

from typing import Any

from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver

from .audit import audit_log


@receiver(user_login_failed, dispatch_uid="community.audit_login_failed")
def audit_login_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
) -> None:
    # Django already masks the password in ``credentials``; keep only the username.
    audit_log(
        actor=None,
        action="login_failed",
        data={"username": str(credentials.get("username", ""))[:150]},
    )
