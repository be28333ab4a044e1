from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from community.models import Membership
from community.selectors import user_has_role


def roles(request: HttpRequest) -> dict[str, Any]:
    """What the menu offers: the information point to coordinators (asked lazily, once)."""
    user = getattr(request, "user", None)

    def is_coordinator() -> bool:
        return bool(user is not None and user.is_authenticated) and user_has_role(
            user=user,  # type: ignore[arg-type]
            role=Membership.Role.COORDINATOR,
        )

    return {"is_coordinator": is_coordinator}
