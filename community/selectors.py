"""Reads about people and places: roles, coverage, residency."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from .models import Cooperative, Membership, Neighbourhood, Residency, User


def cooperatives_covering(*, neighbourhood: Neighbourhood) -> QuerySet[Cooperative]:
    """The cooperatives responsible for a buurt: its own, and the city cooperative above it."""
    return Cooperative.objects.filter(
        Q(neighbourhoods=neighbourhood) | Q(members__neighbourhoods=neighbourhood)
    ).distinct()


def neighbourhoods_for_role(*, user: User, role: str) -> QuerySet[Neighbourhood]:
    """Buurten in which ``user`` holds ``role`` (superusers: all of them)."""
    if user.is_superuser:
        return Neighbourhood.objects.all()
    if not user.is_authenticated:
        return Neighbourhood.objects.none()
    memberships = Membership.objects.filter(user=user, role=role, active=True)
    return Neighbourhood.objects.filter(
        Q(cooperatives__memberships__in=memberships)
        | Q(cooperatives__parent__memberships__in=memberships)
    ).distinct()


def user_has_role(*, user: User, role: str, neighbourhood: Neighbourhood | None = None) -> bool:
    """Does ``user`` hold ``role`` in some cooperative (covering ``neighbourhood``, if given)?"""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    if neighbourhood is None:
        return Membership.objects.filter(user=user, role=role, active=True).exists()
    return neighbourhoods_for_role(user=user, role=role).filter(pk=neighbourhood.pk).exists()


def user_has_cooperative_role(*, user: User, role: str, cooperative: Cooperative) -> bool:
    """Does ``user`` hold ``role`` in ``cooperative`` or in the city cooperative above it?"""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return Membership.objects.filter(
        Q(cooperative=cooperative) | Q(cooperative__members=cooperative),
        user=user,
        role=role,
        active=True,
    ).exists()


def current_residency(*, user: User) -> Residency | None:
    if not user.is_authenticated:
        return None
    return (
        Residency.objects.select_related("neighbourhood__wijk")
        .filter(user=user, ended_at__isnull=True)
        .first()
    )


def is_verified_resident(*, user: User, neighbourhood: Neighbourhood) -> bool:
    if not user.is_authenticated:
        return False
    return Residency.objects.filter(
        user=user, neighbourhood=neighbourhood, ended_at__isnull=True
    ).exists()


def staff_cooperative_ids(*, user: User | AnonymousUser) -> set[int] | None:
    """Cooperatives where ``user`` holds any role, with the member cooperatives below a city
    cooperative; ``None`` means all of them (superusers)."""
    return role_cooperative_ids(user=user, role=None)


def is_structure_admin(*, user: User | AnonymousUser) -> bool:
    """Who may change cooperatives, the buurten they cover, roles and representatives:
    a superuser or a board member of the city cooperative."""
    if not user.is_authenticated or not user.is_active:
        return False
    return (
        user.is_superuser
        or Membership.objects.filter(
            user=user,
            role=Membership.Role.BOARD,
            cooperative__kind=Cooperative.Kind.CITY,
            active=True,
        ).exists()
    )


def role_cooperative_ids(*, user: User | AnonymousUser, role: str | None) -> set[int] | None:
    """Cooperatives where ``user`` holds ``role`` (any role when None), with the members
    below a city cooperative; ``None`` means all of them (superusers)."""
    if not user.is_authenticated:
        return set()
    if user.is_superuser:
        return None
    memberships = Membership.objects.filter(user=user, active=True)
    if role is not None:
        memberships = memberships.filter(role=role)
    ids = set(memberships.values_list("cooperative_id", flat=True))
    return ids | set(Cooperative.objects.filter(parent_id__in=ids).values_list("pk", flat=True))


def neighbourhoods_covered(*, cooperative: Cooperative) -> QuerySet[Neighbourhood]:
    """The buurten a cooperative covers: its own, and its member cooperatives' (a city)."""
    return Neighbourhood.objects.filter(
        Q(cooperatives=cooperative) | Q(cooperatives__parent=cooperative)
    ).distinct()
