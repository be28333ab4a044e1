"""Permission classes. The default is DenyAll: a view that names nobody serves nobody."""

from typing import Any, cast

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from community.models import User


class DenyAll(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        return False


def acting_user(request: Request) -> User:
    """The authenticated user of a view that requires authentication."""
    return cast(User, request.user)
