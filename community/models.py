"""People and places: users, wijken and buurten, cooperatives, roles, residency, audit."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .iban import validate_iban


class User(AbstractUser):
    """A person with an account: resident, coordinator, board member or treasurer."""

    # Registered at an information point with a one-time password printed on a sheet.
    password_change_required = models.BooleanField(
        _("must choose a new password at the next login"), default=False
    )

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")  # type: ignore[assignment]
        verbose_name_plural = _("users")  # type: ignore[assignment]


class Wijk(models.Model):
    """A district of Utrecht (there are ten)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("district (wijk)")
        verbose_name_plural = _("districts (wijken)")

    def __str__(self) -> str:
        return self.name


class Neighbourhood(models.Model):
    """A buurt: the "where I live" unit inside a wijk that owns a Buurtfonds."""

    wijk = models.ForeignKey(
        Wijk, on_delete=models.PROTECT, related_name="neighbourhoods", verbose_name=_("district")
    )
    name = models.CharField(_("name"), max_length=200, unique=True)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)

    class Meta:
        ordering = ["wijk__name", "name"]
        verbose_name = _("neighbourhood (buurt)")
        verbose_name_plural = _("neighbourhoods (buurten)")

    def __str__(self) -> str:
        return self.name


class Cooperative(models.Model):
    """The city cooperative, or a neighbourhood cooperative that is its member.

    A neighbourhood cooperative covers one or more buurten; the city cooperative
    covers the buurten of all its member cooperatives.
    """

    class Kind(models.TextChoices):
        CITY = "city", _("city cooperative")
        NEIGHBOURHOOD = "neighbourhood", _("neighbourhood cooperative")

    name = models.CharField(_("name"), max_length=200, unique=True)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("city cooperative"),
    )
    neighbourhoods = models.ManyToManyField(
        Neighbourhood, blank=True, related_name="cooperatives", verbose_name=_("neighbourhoods")
    )
    # Where residents pay money back (unspent grants) and, later, where payouts come from.
    iban = models.CharField(_("IBAN"), max_length=34, blank=True, validators=[validate_iban])
    bank_account_name = models.CharField(_("account holder"), max_length=200, blank=True)
    # Blank: looked up from the IBAN (schwifty knows the Dutch banks' codes).
    bic = models.CharField(_("BIC"), max_length=11, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("cooperative")
        verbose_name_plural = _("cooperatives")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="city", parent__isnull=True) | Q(kind="neighbourhood"),
                name="city_cooperative_has_no_parent",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A role a person holds in a cooperative. One person may hold several."""

    class Role(models.TextChoices):
        COORDINATOR = "coordinator", _("coordinator")
        BOARD = "board", _("board member")
        TREASURER = "treasurer", _("treasurer")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("user"),
    )
    cooperative = models.ForeignKey(
        Cooperative,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("cooperative"),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("role in a cooperative")
        verbose_name_plural = _("roles in cooperatives")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "cooperative", "role"], name="one_membership_per_role"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()} – {self.cooperative}"


class MemberOrganisation(models.Model):
    """A BBBO: a residents', entrepreneurs' or neighbourhood organisation in a cooperative."""

    class MemberKind(models.TextChoices):
        VOTING = "voting", _("voting member (stemlid)")
        SUPPORTING = "supporting", _("supporting member (steunlid)")

    name = models.CharField(_("name"), max_length=200)
    cooperative = models.ForeignKey(
        Cooperative,
        on_delete=models.PROTECT,
        related_name="member_organisations",
        verbose_name=_("cooperative"),
    )
    member_kind = models.CharField(_("membership"), max_length=20, choices=MemberKind.choices)
    neighbourhoods = models.ManyToManyField(
        Neighbourhood,
        blank=True,
        related_name="member_organisations",
        verbose_name=_("active in"),
    )
    representatives = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="represented_organisations",
        verbose_name=_("representatives"),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("member organisation (BBBO)")
        verbose_name_plural = _("member organisations (BBBOs)")
        constraints = [
            models.UniqueConstraint(
                fields=["cooperative", "name"], name="unique_member_organisation_name"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ResidenceCode(models.Model):
    """A single-use code on a letter to a household; proves residence of one buurt.

    Only a keyed hash (HMAC-SHA256 with ``RESIDENCE_CODE_KEY``) is stored.
    """

    neighbourhood = models.ForeignKey(
        Neighbourhood,
        on_delete=models.PROTECT,
        related_name="residence_codes",
        verbose_name=_("neighbourhood"),
    )
    code_hash = models.CharField(_("code hash"), max_length=64, unique=True, editable=False)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("issued by"),
    )
    issued_at = models.DateTimeField(_("issued at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    redeemed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("redeemed by"),
    )
    redeemed_at = models.DateTimeField(_("redeemed at"), null=True, blank=True)

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("residence code")
        verbose_name_plural = _("residence codes")
        constraints = [
            models.CheckConstraint(
                condition=Q(redeemed_at__isnull=True, redeemed_by__isnull=True)
                | Q(redeemed_at__isnull=False, redeemed_by__isnull=False),
                name="residence_code_redeemed_consistently",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.neighbourhood} #{self.pk}"


class Residency(models.Model):
    """A verified resident of one buurt. At most one current residency per person."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="residencies",
        verbose_name=_("user"),
    )
    neighbourhood = models.ForeignKey(
        Neighbourhood,
        on_delete=models.PROTECT,
        related_name="residencies",
        verbose_name=_("neighbourhood"),
    )
    code = models.OneToOneField(
        ResidenceCode, on_delete=models.PROTECT, related_name="residency", verbose_name=_("code")
    )
    verified_at = models.DateTimeField(_("verified at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    notify_new_votes = models.BooleanField(_("e-mail me when a new vote opens"), default=False)

    class Meta:
        ordering = ["-verified_at"]
        verbose_name = _("residency")
        verbose_name_plural = _("residencies")
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(ended_at__isnull=True), name="one_current_residency"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.neighbourhood}"


class AuditEvent(models.Model):
    """An append-only record of something a user cares about: who, what, on what, when.

    Never holds secrets (passwords, codes, tokens) or payment data.
    """

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    action = models.CharField(_("action"), max_length=100, db_index=True)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    # Whose event it is, so each cooperative's staff see their own (empty: city-wide).
    cooperative = models.ForeignKey(
        "Cooperative",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("cooperative"),
    )
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValueError("Audit events are append-only.")
