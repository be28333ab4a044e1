"""The books: accounts, journal entries and their lines, periods, and the ledger's own dimensions.

Append-only. The only writer is :func:`ledger.services.entry_post`; the database
enforces the same rules (see migration 0002 for PostgreSQL's triggers).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

CURRENCY = "EUR"


class AppendOnly(models.Model):
    """Rows that are written once and never changed or deleted from Python."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise ValueError(f"{type(self).__name__} rows are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValueError(f"{type(self).__name__} rows are append-only.")


class ProjectAdministration(models.Model):
    """A project administration inside the one legal administration (one per cooperative).

    ``ref`` is the caller's key for it (e.g. ``cooperative:7``); the ledger does
    not know what a cooperative is.
    """

    ref = models.CharField(_("reference"), max_length=64, unique=True)
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        ordering = ["code"]
        verbose_name = _("project administration")
        verbose_name_plural = _("project administrations")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Earmark(models.Model):
    """What money is for: a fund's pot (*bestemmingsfonds*) or an application inside it."""

    class Kind(models.TextChoices):
        FUND = "fund", _("neighbourhood fund")
        INNOVATION = "innovation", _("innovation pot")
        APPLICATION = "application", _("application")

    ref = models.CharField(_("reference"), max_length=64, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("pot"),
    )
    project = models.ForeignKey(
        ProjectAdministration,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="earmarks",
        verbose_name=_("project administration"),
    )

    class Meta:
        ordering = ["ref"]
        verbose_name = _("earmark")
        verbose_name_plural = _("earmarks")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="application", parent__isnull=False)
                | Q(~Q(kind="application"), parent__isnull=True),
                name="ledger_earmark_application_has_pot",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def pot(self) -> Earmark:
        return self.parent if self.parent_id else self  # type: ignore[return-value]


class Account(models.Model):
    """An account of the chart, mapped onto RJ 640's statements."""

    class Type(models.TextChoices):
        ASSET = "asset", _("asset")
        LIABILITY = "liability", _("liability")
        EQUITY = "equity", _("fund or reserve")
        INCOME = "income", _("income")
        EXPENSE = "expense", _("expense")
        APPROPRIATION = "appropriation", _("appropriation of the result")

    class Source(models.TextChoices):
        SUBSIDY = "subsidy", _("subsidy")
        MEMBERSHIP_FEES = "membership_fees", _("membership fees")
        SPONSORING = "sponsoring", _("sponsoring")
        PARTICIPANTS = "participants", _("participants' contributions")
        CROWDFUNDING = "crowdfunding", _("crowdfunding")
        DONATIONS = "donations", _("donations")
        OTHER = "other", _("other income")

    code = models.CharField(_("code"), max_length=10, unique=True)
    name = models.CharField(_("name"), max_length=200)
    type = models.CharField(_("type"), max_length=20, choices=Type.choices)
    source = models.CharField(
        _("income source"), max_length=20, choices=Source.choices, blank=True, default=""
    )
    rj640_line = models.CharField(_("RJ 640 line"), max_length=200)
    active = models.BooleanField(_("open for posting"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        constraints = [
            models.CheckConstraint(
                condition=Q(type="income", source__gt="") | (~Q(type="income") & Q(source="")),
                name="ledger_account_income_has_source",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def debit_normal(self) -> bool:
        return self.type in (self.Type.ASSET, self.Type.EXPENSE, self.Type.APPROPRIATION)

    @property
    def on_balance_sheet(self) -> bool:
        return self.type in (self.Type.ASSET, self.Type.LIABILITY, self.Type.EQUITY)


class FiscalPeriod(models.Model):
    """A month of a fiscal (calendar) year. Once closed, nothing posts into it."""

    year = models.PositiveSmallIntegerField(_("year"))
    month = models.PositiveSmallIntegerField(_("month"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("closed by"),
    )

    class Meta:
        ordering = ["year", "month"]
        verbose_name = _("period")
        verbose_name_plural = _("periods")
        constraints = [
            models.UniqueConstraint(fields=["year", "month"], name="ledger_period_unique"),
            models.CheckConstraint(
                condition=Q(month__gte=1, month__lte=12), name="ledger_period_month"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year}-{self.month:02d}"


class JournalEntry(AppendOnly):
    """One balanced money event. Its idempotency key comes from its cause."""

    class Kind(models.TextChoices):
        DEPOSIT = "deposit", _("deposit into a fund")
        RESERVATION = "reservation", _("reservation")
        RELEASE = "release", _("release of a reservation")
        COMMITMENT = "commitment", _("commitment")
        CANCELLATION = "cancellation", _("cancellation of a commitment")
        PAYOUT = "payout", _("payout")
        UNSPENT_CLAIM = "unspent_claim", _("unspent money owed back")
        UNSPENT_RETURN = "unspent_return", _("unspent money returned")
        WRITE_OFF = "write_off", _("owed money written off")
        CROWDFUNDING = "crowdfunding", _("crowdfunding received")
        PROCESSOR_FEE = "processor_fee", _("payment processor fee")
        REFUND = "refund", _("refund")
        PROCESSOR_PAYOUT = "processor_payout", _("payment processor payout to the bank")
        TOPUP_PAYOUT = "topup_payout", _("top-ups paid out to the project")
        INCOME = "income", _("income received")
        MANUAL = "manual", _("manual entry")

    date = models.DateField(_("date"))
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    period = models.PositiveSmallIntegerField(_("period"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    description = models.CharField(_("description"), max_length=500)
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    cause = models.CharField(_("cause"), max_length=200, blank=True)
    reverses = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
        verbose_name=_("reverses"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("posted by"),
    )
    created_at = models.DateTimeField(_("posted at"), auto_now_add=True)

    class Meta:
        ordering = ["date", "id"]
        verbose_name = _("journal entry")
        verbose_name_plural = _("journal entries")
        indexes = [models.Index(fields=["fiscal_year", "period"])]

    def __str__(self) -> str:
        return f"{self.date} #{self.pk} {self.description}"


class JournalLine(AppendOnly):
    """One side of an entry: a positive amount in cents, debit or credit, with dimensions."""

    class Side(models.TextChoices):
        DEBIT = "D", _("debit")
        CREDIT = "C", _("credit")

    entry = models.ForeignKey(
        JournalEntry, on_delete=models.PROTECT, related_name="lines", verbose_name=_("entry")
    )
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="lines", verbose_name=_("account")
    )
    side = models.CharField(_("side"), max_length=1, choices=Side.choices)
    amount_cents = models.BigIntegerField(_("amount (cents)"))
    currency = models.CharField(_("currency"), max_length=3, default=CURRENCY)
    project = models.ForeignKey(
        ProjectAdministration,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="lines",
        verbose_name=_("project administration"),
    )
    earmark = models.ForeignKey(
        Earmark,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="lines",
        verbose_name=_("earmark"),
    )

    class Meta:
        ordering = ["entry_id", "id"]
        verbose_name = _("journal line")
        verbose_name_plural = _("journal lines")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_cents__gt=0), name="ledger_line_amount_positive"
            ),
            models.CheckConstraint(condition=Q(side__in=["D", "C"]), name="ledger_line_side"),
            models.CheckConstraint(condition=Q(currency=CURRENCY), name="ledger_line_currency_eur"),
        ]
        indexes = [
            models.Index(fields=["earmark", "account"]),
            models.Index(fields=["account", "project"]),
        ]

    def __str__(self) -> str:
        return f"{self.side} {self.account.code} {self.amount_cents}"

    @property
    def signed_cents(self) -> int:
        """Debit positive, credit negative."""
        return self.amount_cents if self.side == self.Side.DEBIT else -self.amount_cents
