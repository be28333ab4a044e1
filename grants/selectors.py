"""Reads of the grants domain that join people to the books."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from community.models import Cooperative, Membership, User
from ledger.models import ProjectAdministration

BOOK_ROLES = (Membership.Role.TREASURER, Membership.Role.BOARD)


def cooperative_project_ref(cooperative_id: int) -> str:
    """How a cooperative's project administration is known to the ledger."""
    return f"cooperative:{cooperative_id}"


def books_scope(
    *, user: User, roles: tuple[str, ...] = BOOK_ROLES
) -> QuerySet[ProjectAdministration] | None:
    """Which project administrations ``user`` may read in the books.

    ``None`` means all of them: superusers, and holders of ``roles`` in the city
    cooperative. Otherwise the projects of the neighbourhood cooperatives where
    the user holds one of ``roles`` (possibly none).
    """
    if user.is_superuser:
        return None
    memberships = Membership.objects.filter(user=user, role__in=roles, active=True)
    if memberships.filter(cooperative__kind=Cooperative.Kind.CITY).exists():
        return None
    coop_ids = memberships.values_list("cooperative_id", flat=True)
    refs = [cooperative_project_ref(pk) for pk in coop_ids]
    return ProjectAdministration.objects.filter(Q(ref__in=refs))


def holds_book_role(*, user: User, roles: tuple[str, ...] = BOOK_ROLES) -> bool:
    return (
        user.is_superuser
        or Membership.objects.filter(user=user, role__in=roles, active=True).exists()
    )
