"""Bank statements read back (CAMT.053, MT940) and each of their lines, stored once and
matched to the books."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from backend.roles import BANK_LINE_HANDLING
from community.models import Cooperative
from grants.models import Application, Fund, PayoutItem
from ledger.models import JournalEntry


class BankStatement(models.Model):
    """One statement of a cooperative's own account, as the bank numbered it."""

    cooperative = models.ForeignKey(
        Cooperative,
        on_delete=models.PROTECT,
        related_name="bank_statements",
        verbose_name=_("cooperative"),
    )
    format = models.CharField(_("format"), max_length=20)
    statement_id = models.CharField(_("statement id"), max_length=100)
    account_iban = models.CharField(_("account"), max_length=34)
    opening_balance_cents = models.BigIntegerField(_("opening balance (cents)"), null=True)
    opening_date = models.DateField(_("opening date"), null=True)
    closing_balance_cents = models.BigIntegerField(_("closing balance (cents)"), null=True)
    closing_date = models.DateField(_("closing date"), null=True)
    file_sha256 = models.CharField(_("file SHA-256"), max_length=64)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("imported by"),
    )
    imported_at = models.DateTimeField(_("imported at"), auto_now_add=True)

    class Meta:
        ordering = ["-closing_date", "-id"]
        verbose_name = _("bank statement")
        verbose_name_plural = _("bank statements")
        constraints = [
            models.UniqueConstraint(
                fields=["cooperative", "account_iban", "statement_id"],
                name="banking_one_statement_per_id",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_iban} {self.statement_id}"


class BankLine(models.Model):
    """One booked transfer on the cooperative's account, stored once however many statements
    hold it (``key``: the bank's entry reference, else the statement id and position)."""

    class Match(models.TextChoices):
        UNMATCHED = "unmatched", _("not matched")
        PAYOUT = "payout", _("payout confirmed")
        PAYOUT_RETURN = "payout_return", _("payout returned by the bank")
        REPAYMENT = "repayment", _("unspent money returned")
        OWN_CONTRIBUTION = "own_contribution", _("own contribution received")
        DEPOSIT = "deposit", _("deposit into a fund")
        PROCESSOR_PAYOUT = "processor_payout", _("payout from Stripe")
        MANUAL = "manual", _("booked by hand")
        IGNORED = "ignored", _("ignored")

    cooperative = models.ForeignKey(
        Cooperative, on_delete=models.PROTECT, related_name="+", verbose_name=_("cooperative")
    )
    statement = models.ForeignKey(
        BankStatement, on_delete=models.PROTECT, related_name="lines", verbose_name=_("statement")
    )
    key = models.CharField(_("key"), max_length=200)
    position = models.PositiveIntegerField(_("position"))
    booking_date = models.DateField(_("booking date"))
    value_date = models.DateField(_("value date"), null=True, blank=True)
    amount_cents = models.BigIntegerField(_("amount (cents; credit positive)"))
    counterparty_name = models.CharField(_("counterparty"), max_length=200, blank=True)
    counterparty_iban = models.CharField(_("counterparty IBAN"), max_length=34, blank=True)
    remittance = models.CharField(_("remittance information"), max_length=500, blank=True)
    end_to_end_id = models.CharField(_("end-to-end id"), max_length=100, blank=True)
    entry_reference = models.CharField(_("bank reference"), max_length=100, blank=True)
    is_return = models.BooleanField(_("returned transfer"), default=False)
    return_reason = models.CharField(_("return reason"), max_length=35, blank=True)
    bank_transaction_code = models.CharField(_("transaction code"), max_length=35, blank=True)
    match = models.CharField(
        _("matched to"), max_length=20, choices=Match.choices, default=Match.UNMATCHED
    )
    payout_item = models.ForeignKey(
        PayoutItem, on_delete=models.PROTECT, null=True, blank=True, related_name="bank_lines"
    )
    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, null=True, blank=True, related_name="bank_lines"
    )
    fund = models.ForeignKey(
        Fund, on_delete=models.PROTECT, null=True, blank=True, related_name="bank_lines"
    )
    entry = models.ForeignKey(
        JournalEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("handled by"),
    )
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)

    class Meta:
        ordering = ["booking_date", "id"]
        verbose_name = _("bank line")
        verbose_name_plural = _("bank lines")
        constraints = [
            models.UniqueConstraint(fields=["cooperative", "key"], name="banking_line_once"),
        ]
        indexes = [models.Index(fields=["cooperative", "match"])]

    def __str__(self) -> str:
        return f"{self.booking_date} {self.amount_cents / 100:.2f} {self.counterparty_name}"

    # What matching and the treasurer may change; the bank's data never changes (backend/roles.py).
    HANDLING_FIELDS = BANK_LINE_HANDLING

    @property
    def matched(self) -> bool:
        return self.match != self.Match.UNMATCHED
