"""Permission classes. The default is DenyAll: a view that names nobody serves nobody."""

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request


class DenyAll(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        return False
