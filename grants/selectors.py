"""Reads of the grants domain that join people to the books."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from community.models import Cooperative, Membership, User
from community.selectors import staff_cooperative_ids
from ledger.errors import ProjectRequired
from ledger.models import ProjectAdministration
from ledger.selectors import project_by_code

from .errors import ProjectNotYours
from .models import Application

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


def books_project(
    *, user: User, code: str | None, roles: tuple[str, ...] = BOOK_ROLES
) -> ProjectAdministration | None:
    """The project administration ``user`` asks for (by code), within what they may read.

    ``None`` means the whole books (only for those who may read all of them). Without a
    code, a user who keeps one cooperative's books gets that one; with several, they must
    choose.
    """
    scope = books_scope(user=user, roles=roles)
    if code:
        project = project_by_code(code)
        if project is None or (scope is not None and not scope.filter(pk=project.pk).exists()):
            raise ProjectNotYours()
        return project
    if scope is None:
        return None
    mine = list(scope[:2])
    if len(mine) == 1:
        return mine[0]
    if not mine:
        raise ProjectNotYours()
    raise ProjectRequired()


def repayment_account(application: Application) -> tuple[str, str] | None:
    """The bank account unspent money goes back to: the cooperative's own, else its city
    cooperative's (IBAN, account holder); None when neither has one yet."""
    cooperative = application.fund.cooperative
    for owner in (cooperative, cooperative.parent):
        if owner is not None and owner.iban:
            return owner.iban, owner.bank_account_name or owner.name
    return None


def visible_applications(*, user: User | AnonymousUser) -> QuerySet[Application]:
    """The applications ``user`` may see: public once submitted (a vote opened, or entered
    in a round), also after a withdrawal; a draft only to its applicant, whoever entered it,
    and the staff of its cooperative."""
    visible = Q(vote_opens_at__isnull=False) | Q(round__isnull=False)
    if user.is_authenticated:
        visible |= Q(applicant=user) | Q(entered_by=user)
        staff = staff_cooperative_ids(user=user)
        visible |= Q() if staff is None else Q(fund__cooperative_id__in=staff)
    return Application.objects.filter(visible)
