"""Writes about people and places. Each function owns its transaction and its audit row."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from .audit import audit_log
from .errors import (
    NotCoordinator,
    NotResident,
    NotStructureAdmin,
    ResidenceCodeExpired,
    ResidenceCodeInvalid,
    ResidenceCodeUsed,
    UsernameTaken,
)
from .models import Cooperative, Membership, Neighbourhood, ResidenceCode, Residency, User
from .selectors import is_structure_admin, user_has_role

# No 0/O, 1/I/L, 2/Z, 5/S, 8/B: codes are typed over from paper by people of all ages.
CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
CODE_GROUPS = 3
CODE_GROUP_LENGTH = 4


def user_register(*, username: str, email: str, password: str) -> User:
    """Create an account. Password rules are Django's validators.

    Raises :class:`UsernameTaken` (also when a parallel registration wins the
    race for the same name) and Django's ``ValidationError`` for a weak password.
    """
    if User.objects.filter(username__iexact=username).exists():
        raise UsernameTaken()
    user = User(username=username, email=email)
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.error_list}) from exc
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
            audit_log(actor=user, action="user_registered", obj=user)
    except IntegrityError as exc:
        raise UsernameTaken() from exc
    return user


# Letters and digits a reader cannot mistake for each other (no 0/o, 1/l/i).
_SHEET_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def _sheet_password() -> str:
    """A one-time password to print: three groups of four, e.g. ``k7mp-29qx-hw4n``."""
    return "-".join("".join(secrets.choice(_SHEET_ALPHABET) for _ in range(4)) for _ in range(3))


def _desk_username(first_name: str, last_name: str) -> str:
    base = unicodedata.normalize("NFKD", f"{first_name}{last_name}")
    base = "".join(ch for ch in base.lower() if ch.isascii() and ch.isalnum())[:20] or "bewoner"
    for _ in range(20):
        candidate = f"{base}{secrets.randbelow(9000) + 1000}"
        if not User.objects.filter(username__iexact=candidate).exists():
            return candidate
    raise UsernameTaken()


@dataclass(frozen=True)
class DeskRegistration:
    user: User
    password: str  # shown once, on the printed sheet; never stored in plain


def resident_register_at_desk(
    *,
    coordinator: User,
    neighbourhood: Neighbourhood,
    first_name: str,
    last_name: str,
    code: str = "",
) -> DeskRegistration:
    """A coordinator at an information point registers a resident who is present and has
    no account (no e-mail needed): a user name and a one-time password for a printed sheet,
    to be changed at the first login. The residency comes from the code of their letter, or,
    without one, from a code the coordinator issues and redeems on the spot (they saw the
    proof of address). All in one transaction, audited."""
    if not user_has_role(user=coordinator, role="coordinator", neighbourhood=neighbourhood):
        raise NotCoordinator()
    password, own_letter = _sheet_password(), bool(code)
    with transaction.atomic():
        user = User(
            username=_desk_username(first_name, last_name),
            first_name=first_name.strip()[:150],
            last_name=last_name.strip()[:150],
            password_change_required=True,
        )
        user.set_password(password)
        user.save()
        if not code:
            code = residence_codes_issue(
                neighbourhood=neighbourhood, count=1, acting_user=coordinator
            ).codes[0]
        residency = residency_verify(user=user, code=code)
        if residency.neighbourhood_id != neighbourhood.pk:
            raise ResidenceCodeInvalid()
        audit_log(
            actor=coordinator,
            action="resident_registered_at_desk",
            obj=user,
            data={"neighbourhood": neighbourhood.pk, "own_letter": own_letter},
        )
    return DeskRegistration(user=user, password=password)


def password_changed(*, user: User) -> None:
    """The first password a person chose themselves: the sheet's no longer counts."""
    if user.password_change_required:
        user.password_change_required = False
        user.save(update_fields=["password_change_required"])


# What each role may see and do in the admin (Django model permissions, "app.codename").
# Board members also read their cooperative's funds and applications (scoped in the admin).
ADMIN_PERMISSIONS: dict[str, list[str]] = {
    Membership.Role.COORDINATOR: [
        "community.view_neighbourhood",
        "community.view_wijk",
        "community.view_cooperative",
        "community.view_memberorganisation",
        "community.add_memberorganisation",
        "community.change_memberorganisation",
        "community.view_residencecode",
        "community.view_residency",
        "community.view_auditevent",
    ],
    Membership.Role.BOARD: [
        "community.view_neighbourhood",
        "community.view_wijk",
        "community.view_cooperative",
        "community.change_cooperative",
        "community.view_membership",
        "community.view_memberorganisation",
        "community.add_memberorganisation",
        "community.change_memberorganisation",
        "community.view_residency",
        "community.view_auditevent",
        "grants.view_fund",
        "grants.view_application",
        "grants.view_statuschange",
    ],
    Membership.Role.TREASURER: ["community.view_cooperative", "community.view_auditevent"],
}
ROLE_GROUP_NAMES: dict[str, str] = {
    Membership.Role.COORDINATOR: "Coördinatoren",
    Membership.Role.BOARD: "Bestuursleden",
    Membership.Role.TREASURER: "Penningmeesters",
}


def role_group(role: str) -> Group:
    """The admin group of a role, with its permissions (created when first needed)."""
    group, created = Group.objects.get_or_create(name=ROLE_GROUP_NAMES[role])
    if created or group.permissions.count() != len(ADMIN_PERMISSIONS[role]):
        wanted = Q()
        for permission in ADMIN_PERMISSIONS[role]:
            app_label, codename = permission.split(".")
            wanted |= Q(content_type__app_label=app_label, codename=codename)
        group.permissions.set(Permission.objects.filter(wanted))
    return group


def membership_grant(
    *, user: User, cooperative: Cooperative, role: str, acting_user: User | None
) -> Membership:
    """Give ``user`` a role in ``cooperative``, with access to the admin for that role."""
    if acting_user is not None and not is_structure_admin(user=acting_user):
        raise NotStructureAdmin()
    if acting_user is not None and acting_user.pk == user.pk and not acting_user.is_superuser:
        # A city board member may not make themselves treasurer too: another must grant it.
        raise NotStructureAdmin(code="own_role")
    with transaction.atomic():
        membership, created = Membership.objects.get_or_create(
            user=user, cooperative=cooperative, role=role, defaults={"active": True}
        )
        reactivated = not created and not membership.active
        if reactivated:
            membership.active = True
            membership.save(update_fields=["active"])
        if not User.objects.filter(pk=user.pk, is_staff=True).exists():
            user.is_staff = True
            user.save(update_fields=["is_staff"])
        user.groups.add(role_group(role))
        if created or reactivated:
            audit_log(
                actor=acting_user,
                action="membership_granted",
                obj=membership,
                data={"user": user.username, "cooperative": cooperative.slug, "role": role},
            )
    return membership


def membership_end(*, membership: Membership, acting_user: User | None) -> Membership:
    """End a role. When it was the person's last, they lose the admin (a superuser keeps it);
    the role's admin group goes when they hold that role nowhere else."""
    if acting_user is not None and not is_structure_admin(user=acting_user):
        raise NotStructureAdmin()
    with transaction.atomic():
        membership = Membership.objects.select_for_update().get(pk=membership.pk)
        user = User.objects.select_for_update().get(pk=membership.user_id)
        if not membership.active:
            return membership
        membership.active = False
        membership.save(update_fields=["active"])
        others = Membership.objects.filter(user=user, active=True)
        if not others.filter(role=membership.role).exists():
            user.groups.remove(role_group(membership.role))
        admin_removed = not others.exists() and user.is_staff and not user.is_superuser
        if admin_removed:
            user.is_staff = False
            user.save(update_fields=["is_staff"])
        audit_log(
            actor=acting_user,
            action="membership_ended",
            obj=membership,
            data={
                "user": user.username,
                "cooperative": membership.cooperative.slug,
                "role": membership.role,
                "admin_access_removed": admin_removed,
            },
        )
    return membership


def normalise_residence_code(raw: str) -> str:
    """Upper-case, drop spaces and dashes, so "acdf-7 9xy" and "ACDF79XY" are one code."""
    text = unicodedata.normalize("NFKC", raw).upper()
    return "".join(ch for ch in text if ch.isalnum())


def hash_residence_code(code: str) -> str:
    key = settings.RESIDENCE_CODE_KEY
    if not key:
        raise ImproperlyConfigured("RESIDENCE_CODE_KEY is not set.")
    return hmac.new(
        key.encode(), normalise_residence_code(code).encode(), hashlib.sha256
    ).hexdigest()


def _new_plain_code() -> str:
    groups = [
        "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_GROUP_LENGTH))
        for _ in range(CODE_GROUPS)
    ]
    return "-".join(groups)


@dataclass(frozen=True)
class IssuedCodes:
    neighbourhood: Neighbourhood
    expires_at: datetime
    codes: list[str]


def residence_codes_issue(
    *, neighbourhood: Neighbourhood, count: int, acting_user: User
) -> IssuedCodes:
    """Issue ``count`` single-use codes for a buurt and return them in plain, once.

    Only their keyed hashes are stored; the plain codes exist in this return
    value (for printing letters) and nowhere else.
    """
    if not user_has_role(user=acting_user, role="coordinator", neighbourhood=neighbourhood):
        raise NotCoordinator()
    expires_at = timezone.now() + timedelta(days=settings.RESIDENCE_CODE_VALID_DAYS)
    plain: list[str] = []
    hashes: set[str] = set()
    while len(plain) < count:
        code = _new_plain_code()
        digest = hash_residence_code(code)
        if digest not in hashes:
            hashes.add(digest)
            plain.append(code)
    with transaction.atomic():
        ResidenceCode.objects.bulk_create(
            ResidenceCode(
                neighbourhood=neighbourhood,
                code_hash=digest,
                issued_by=acting_user,
                expires_at=expires_at,
            )
            for digest in hashes
        )
        audit_log(
            actor=acting_user,
            action="residence_codes_issued",
            obj=neighbourhood,
            data={"count": count, "expires_at": expires_at.isoformat()},
        )
    return IssuedCodes(neighbourhood=neighbourhood, expires_at=expires_at, codes=plain)


def residency_verify(*, user: User, code: str) -> Residency:
    """Redeem a residence code: ``user`` becomes a verified resident of its buurt.

    The code is claimed with one conditional UPDATE, so of any number of
    parallel redemptions exactly one succeeds. A previous residency ends: a
    person lives in one buurt at a time.
    """
    digest = hash_residence_code(code)
    now = timezone.now()
    with transaction.atomic():
        claimed = ResidenceCode.objects.filter(
            code_hash=digest, redeemed_at__isnull=True, expires_at__gt=now
        ).update(redeemed_at=now, redeemed_by=user)
        if claimed == 1:
            residence_code = ResidenceCode.objects.select_related("neighbourhood").get(
                code_hash=digest
            )
            Residency.objects.filter(user=user, ended_at__isnull=True).update(ended_at=now)
            residency = Residency.objects.create(
                user=user,
                neighbourhood=residence_code.neighbourhood,
                code=residence_code,
                verified_at=now,
            )
            audit_log(
                actor=user,
                action="residency_verified",
                obj=residency,
                data={"neighbourhood": residence_code.neighbourhood.slug},
            )
            return residency
    existing = ResidenceCode.objects.filter(code_hash=digest).first()
    error: ResidenceCodeInvalid | ResidenceCodeUsed | ResidenceCodeExpired
    if existing is None:
        error = ResidenceCodeInvalid()
    elif existing.redeemed_at is not None:
        error = ResidenceCodeUsed()
    else:
        error = ResidenceCodeExpired()
    # Failures are audited (without the code itself) so that guessing shows up.
    audit_log(actor=user, action="residence_code_rejected", data={"reason": error.code})
    raise error


def residency_settings_update(*, user: User, notify_new_votes: bool | None = None) -> Residency:
    """A resident's choices about their residency (for now: hear about new votes). A choice
    left out (None) stays as it is."""
    residency = Residency.objects.filter(user=user, ended_at__isnull=True).first()
    if residency is None:
        raise NotResident()
    if notify_new_votes is None:
        return residency
    residency.notify_new_votes = notify_new_votes
    residency.save(update_fields=["notify_new_votes"])
    audit_log(
        actor=user,
        action="residency_settings_changed",
        obj=residency,
        data={"notify_new_votes": notify_new_votes},
    )
    return residency
