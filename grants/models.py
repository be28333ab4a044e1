"""Funds, priorities and applications, with the application's state machine."""

from __future__ import annotations

import os
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _
from django_fsm import RETURN_VALUE, FSMField, FSMModelMixin, transition

from community.models import Cooperative, MemberOrganisation, Neighbourhood
from ledger.models import Earmark


class Fund(models.Model):
    """A pot of money a cooperative hands out: a Buurtfonds (resident vote) or an innovation pot."""

    class Kind(models.TextChoices):
        BUURTFONDS = "buurtfonds", _("neighbourhood fund (Buurtfonds)")
        INNOVATION = "innovation", _("innovation fund")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    cooperative = models.ForeignKey(
        Cooperative, on_delete=models.PROTECT, related_name="funds", verbose_name=_("cooperative")
    )
    neighbourhood = models.ForeignKey(
        Neighbourhood,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="funds",
        verbose_name=_("neighbourhood"),
    )
    max_request_cents = models.PositiveBigIntegerField(_("largest request (cents)"), default=50_000)
    vote_window_minutes = models.PositiveIntegerField(
        _("vote window (minutes)"),
        default=1440,
        validators=[MinValueValidator(1), MaxValueValidator(60 * 24 * 30)],
    )
    quorum = models.PositiveIntegerField(_("quorum (votes cast)"), default=5)
    approval_ratio = models.DecimalField(
        _("yes share needed"),
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.5"),
        validators=[MinValueValidator(Decimal("0.5")), MaxValueValidator(Decimal("1"))],
        help_text=_("Between 0.5 and 1; a decision also needs more yes than no."),
    )
    own_contribution_percent = models.DecimalField(
        _("own contribution (percent of budget)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("5"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    top_priorities = models.PositiveSmallIntegerField(_("top priorities"), default=3)
    # Coverage of the top priorities (checked before an allocation is final): each may be
    # required to get a project, a share of the money, and all together a share.
    one_project_per_top_priority = models.BooleanField(
        _("every top priority gets at least one project"), default=False
    )
    min_share_per_top_priority = models.DecimalField(
        _("minimum share per top priority (percent)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    min_share_top_priorities_total = models.DecimalField(
        _("minimum share of the top priorities together (percent)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    show_live_tally = models.BooleanField(
        _("show the tally during the vote"),
        default=False,
        help_text=_(
            "Careful: whoever watches a live tally change as one neighbour votes learns how "
            "that neighbour voted. Leave it off unless the vote is meant to be open."
        ),
    )
    max_open_per_applicant = models.PositiveSmallIntegerField(
        _("open applications per applicant"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_(
            "How many applications one resident or organisation may have in voting or "
            "approved and unpaid at once, so nobody can hold the whole pot."
        ),
    )
    cap_topups_at_need = models.BooleanField(
        _("top-ups only up to what is lacking"),
        default=True,
        help_text=_(
            "Refuse top-ups beyond the total budget minus the grant and the own contributions "
            "received or pending."
        ),
    )
    keep_topups_if_ended = models.BooleanField(
        _("keep top-ups of plans that do not go ahead"),
        default=False,
        help_text=_(
            "Keep a top-up in the fund instead of refunding it when its plan is rejected, "
            "withdrawn or cancelled, if the donor agreed to that when paying."
        ),
    )
    earmark = models.OneToOneField(
        Earmark, on_delete=models.PROTECT, related_name="fund", verbose_name=_("earmark")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("fund")
        verbose_name_plural = _("funds")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="innovation") | Q(neighbourhood__isnull=False),
                name="grants_buurtfonds_has_neighbourhood",
            ),
            models.CheckConstraint(
                condition=Q(approval_ratio__gte=Decimal("0.5"), approval_ratio__lte=1),
                name="grants_fund_approval_ratio_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Priority(models.Model):
    """A ranked wijkprioriteit of a buurt for a year; rank 1 is the most important."""

    neighbourhood = models.ForeignKey(
        Neighbourhood,
        on_delete=models.PROTECT,
        related_name="priorities",
        verbose_name=_("neighbourhood"),
    )
    year = models.PositiveSmallIntegerField(_("year"))
    rank = models.PositiveSmallIntegerField(_("rank"), validators=[MinValueValidator(1)])
    title = models.CharField(_("title"), max_length=200)

    class Meta:
        ordering = ["neighbourhood", "year", "rank"]
        verbose_name = _("priority")
        verbose_name_plural = _("priorities")
        constraints = [
            models.UniqueConstraint(
                fields=["neighbourhood", "year", "rank"], name="grants_priority_rank_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} #{self.rank} {self.title}"


@deconstructible
class PrivateStorage(FileSystemStorage):
    """Receipts live outside the web root (``PRIVATE_MEDIA_ROOT``), served only through the API."""

    @property  # type: ignore[override]
    def base_location(self) -> str:
        return str(settings.PRIVATE_MEDIA_ROOT)

    @property  # type: ignore[override]
    def location(self) -> str:
        return os.path.abspath(self.base_location)


class Application(FSMModelMixin, models.Model):
    """A resident's request for money from a fund, walking the path of ARCHITECTURE.md."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        VOTING = "voting", _("voting")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")
        WITHDRAWN = "withdrawn", _("withdrawn")
        PAID = "paid", _("paid")
        REPORTED = "reported", _("reported")
        CLOSED = "closed", _("closed")
        CANCELLED = "cancelled", _("cancelled")
        # Innovation rounds: submitted to the round, then allocated or not by the board.
        SUBMITTED = "submitted", _("submitted to the round")
        ALLOCATED = "allocated", _("allocated")
        NOT_ALLOCATED = "not_allocated", _("not allocated")

    class Evaluation(models.TextChoices):
        SUCCESSFUL = "successful", _("successful")
        NOT_SUCCESSFUL = "not_successful", _("not successful")

    fund = models.ForeignKey(
        Fund, on_delete=models.PROTECT, related_name="applications", verbose_name=_("fund")
    )
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="applications",
        verbose_name=_("applicant"),
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("entered by (paper application)"),
    )
    paper_applicant_name = models.CharField(
        _("resident (paper application)"), max_length=200, blank=True
    )
    organisation = models.ForeignKey(
        MemberOrganisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="applications",
        verbose_name=_("on behalf of"),
    )
    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"), max_length=5000)
    amount_requested_cents = models.PositiveBigIntegerField(_("amount requested (cents)"))
    total_budget_cents = models.PositiveBigIntegerField(_("total budget (cents)"))
    own_contribution_cents = models.PositiveBigIntegerField(
        _("own contribution (cents)"), default=0
    )
    priorities = models.ManyToManyField(
        Priority, blank=True, related_name="applications", verbose_name=_("priorities")
    )
    payee_name = models.CharField(_("payee name"), max_length=200, blank=True)
    payee_iban = models.CharField(_("payee IBAN"), max_length=34, blank=True)
    # The bank sent a payout back (a wrong or closed account): correct the payee first.
    payee_check_needed = models.BooleanField(_("payee to be corrected"), default=False)
    status = FSMField(_("status"), default=Status.DRAFT, choices=Status.choices, protected=True)
    vote_opens_at = models.DateTimeField(_("vote opens at"), null=True, blank=True)
    vote_closes_at = models.DateTimeField(_("vote closes at"), null=True, blank=True)
    # The fund's vote settings, frozen when the vote opens.
    quorum = models.PositiveIntegerField(_("quorum"), null=True, blank=True)
    approval_ratio = models.DecimalField(
        _("yes share needed"), max_digits=4, decimal_places=3, null=True, blank=True
    )
    show_live_tally = models.BooleanField(_("live tally"), default=False)
    yes_votes = models.PositiveIntegerField(_("yes votes"), null=True, blank=True)
    no_votes = models.PositiveIntegerField(_("no votes"), null=True, blank=True)
    paper_votes = models.PositiveIntegerField(_("paper ballots among them"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    report_summary = models.TextField(_("report"), max_length=5000, blank=True)
    spent_cents = models.PositiveBigIntegerField(_("spent (cents)"), null=True, blank=True)
    evaluation = models.CharField(
        _("evaluation"), max_length=20, choices=Evaluation.choices, blank=True
    )
    evaluation_note = models.TextField(_("evaluation note"), max_length=5000, blank=True)
    follow_up = models.BooleanField(_("flagged for follow-up"), default=False)
    round = models.ForeignKey(
        "Round",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="applications",
        verbose_name=_("innovation round"),
    )
    earmark = models.OneToOneField(
        Earmark, on_delete=models.PROTECT, related_name="application", verbose_name=_("earmark")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_requested_cents__gte=100), name="grants_application_min_amount"
            ),
        ]
        indexes = [models.Index(fields=["fund", "status"])]

    def __str__(self) -> str:
        return self.title

    # Transitions only change the status; services do the rest (STYLE.md).
    @transition(field=status, source=Status.DRAFT, target=Status.VOTING)
    def submit(self) -> None: ...

    @transition(field=status, source=Status.VOTING, target=Status.APPROVED)
    def approve(self) -> None: ...

    @transition(field=status, source=Status.VOTING, target=Status.REJECTED)
    def reject(self) -> None: ...

    @transition(field=status, source=Status.DRAFT, target=Status.SUBMITTED)
    def enter(self) -> None: ...

    @transition(field=status, source=Status.SUBMITTED, target=Status.ALLOCATED)
    def allocate(self) -> None: ...

    @transition(field=status, source=Status.SUBMITTED, target=Status.NOT_ALLOCATED)
    def not_allocate(self) -> None: ...

    @transition(
        field=status,
        source=[Status.DRAFT, Status.VOTING, Status.SUBMITTED],
        target=Status.WITHDRAWN,
    )
    def withdraw(self) -> None: ...

    @transition(field=status, source=[Status.APPROVED, Status.ALLOCATED], target=Status.PAID)
    def pay(self) -> None: ...

    # The bank sent the transfer back; the grant is owed again. An innovation grant goes
    # back to allocated (an approved status it never had would change its history).
    @transition(
        field=status,
        source=Status.PAID,
        target=RETURN_VALUE(Status.APPROVED, Status.ALLOCATED),  # type: ignore[arg-type]
    )
    def payout_return(self) -> str:
        return self.Status.ALLOCATED if self.round_id else self.Status.APPROVED

    @transition(field=status, source=[Status.APPROVED, Status.ALLOCATED], target=Status.CANCELLED)
    def cancel(self) -> None: ...

    @transition(field=status, source=Status.PAID, target=Status.REPORTED)
    def report(self) -> None: ...

    @transition(field=status, source=Status.REPORTED, target=Status.CLOSED)
    def close(self) -> None: ...

    @property
    def unspent_cents(self) -> int:
        return self.amount_requested_cents - (self.spent_cents or 0)

    @property
    def payment_reference(self) -> str:
        """The end-to-end id of the transfer that pays this grant (35 SEPA characters)."""
        return f"BUURTFONDS-{self.pk}"

    @property
    def repayment_reference(self) -> str:
        """What the applicant writes with a transfer of unspent money, so the treasurer
        recognises it on the bank statement."""
        return f"BUURTFONDS {self.pk} TERUG"


class StatusChange(models.Model):
    """One step of an application's history: who moved it, when, from where to where, why."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="history", verbose_name=_("application")
    )
    from_status = models.CharField(_("from"), max_length=20, choices=Application.Status.choices)
    to_status = models.CharField(_("to"), max_length=20, choices=Application.Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("Status changes are append-only.")
        super().save(*args, **kwargs)


class Receipt(models.Model):
    """A proof of spending (PDF, JPEG or PNG) attached to an application's report."""

    application = models.ForeignKey(
        Application,
        on_delete=models.PROTECT,
        related_name="receipts",
        verbose_name=_("application"),
    )
    file = models.FileField(_("file"), storage=PrivateStorage(), upload_to="receipts/%Y/%m/")
    content_type = models.CharField(_("content type"), max_length=50)
    original_name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")

    def __str__(self) -> str:
        return self.original_name


class TopUp(FSMModelMixin, models.Model):
    """Money anyone adds to an application through Stripe (crowdfunding, an own source).

    Created before Stripe is called (its idempotency key stored first), pending once the
    PaymentIntent exists, then decided by Stripe's webhook events. The donor's e-mail address
    is never public; their name only when they chose ``show_name``.
    """

    class Status(models.TextChoices):
        CREATED = "created", _("created")
        PENDING = "pending", _("pending")
        SUCCEEDED = "succeeded", _("succeeded")
        FAILED = "failed", _("failed")
        REFUND_PENDING = "refund_pending", _("refund pending")
        REFUNDED = "refunded", _("refunded")
        REFUND_FAILED = "refund_failed", _("refund failed")

    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="topups", verbose_name=_("application")
    )
    amount_cents = models.PositiveBigIntegerField(_("amount (cents)"))
    email = models.EmailField(_("e-mail address"))
    display_name = models.CharField(_("name shown"), max_length=100, blank=True)
    show_name = models.BooleanField(_("show the name"), default=False)
    keep_if_cancelled = models.BooleanField(
        _("may stay in the fund if the plan does not go ahead"), default=False
    )
    status = FSMField(_("status"), default=Status.CREATED, choices=Status.choices, protected=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=100, unique=True)
    payment_intent_id = models.CharField(
        _("Stripe PaymentIntent"), max_length=255, null=True, blank=True, unique=True
    )
    charge_id = models.CharField(_("Stripe charge"), max_length=255, blank=True, db_index=True)
    fee_cents = models.PositiveBigIntegerField(_("processor fee (cents)"), null=True, blank=True)
    refund_id = models.CharField(_("Stripe refund"), max_length=255, blank=True)
    refund_attempts = models.PositiveSmallIntegerField(_("refund attempts"), default=0)
    # A payment that succeeded after failing, when the application no longer lacked it.
    over_need = models.BooleanField(_("more than the application lacked"), default=False)
    failure = models.CharField(_("why it failed"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("top-up")
        verbose_name_plural = _("top-ups")
        constraints = [
            models.CheckConstraint(condition=Q(amount_cents__gte=1), name="grants_topup_positive"),
        ]
        indexes = [models.Index(fields=["application", "status"])]

    def __str__(self) -> str:
        return f"{self.amount_cents / 100:.2f} → {self.application_id}"

    @transition(field=status, source=Status.CREATED, target=Status.PENDING)
    def open(self) -> None: ...

    @transition(field=status, source=[Status.CREATED, Status.PENDING], target=Status.FAILED)
    def fail(self) -> None: ...

    # A failed attempt may still succeed later on the same PaymentIntent (another method).
    @transition(
        field=status,
        source=[Status.CREATED, Status.PENDING, Status.FAILED],
        target=Status.SUCCEEDED,
    )
    def succeed(self) -> None: ...

    @transition(
        field=status,
        source=[Status.SUCCEEDED, Status.REFUND_FAILED],
        target=Status.REFUND_PENDING,
    )
    def refund(self) -> None: ...

    @transition(
        field=status, source=[Status.REFUND_PENDING, Status.REFUND_FAILED], target=Status.REFUNDED
    )
    def refunded(self) -> None: ...

    @transition(field=status, source=Status.REFUND_PENDING, target=Status.REFUND_FAILED)
    def refund_fail(self) -> None: ...

    @property
    def public_name(self) -> str:
        return self.display_name if self.show_name and self.display_name else ""


class StripeEvent(models.Model):
    """Each Stripe webhook event, stored once (its id is unique) with what it did. Only the
    fields we read are kept, never card or customer details."""

    event_id = models.CharField(_("event"), max_length=255, unique=True)
    type = models.CharField(_("type"), max_length=100)
    object_id = models.CharField(_("object"), max_length=255, blank=True)
    created = models.DateTimeField(_("created by Stripe"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    outcome = models.CharField(_("outcome"), max_length=200, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("Stripe event")
        verbose_name_plural = _("Stripe events")

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


def _score_field(label: Any) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(
        label, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )


def _weight_field(label: Any) -> models.DecimalField:
    return models.DecimalField(
        label,
        max_digits=5,
        decimal_places=2,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )


CRITERIA = ("added_value", "impact", "transferability", "social_return")


class Round(FSMModelMixin, models.Model):
    """Once a year a cooperative's board hands out its innovation pot: applications come in
    until ``submission_closes_at``, the board assesses them (and voting member organisations
    may cast approval ballots), an allocation rule proposes, the board finalizes."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        OPEN = "open", _("open for applications")
        ASSESSING = "assessing", _("assessing")
        DECIDED = "decided", _("decided")
        CLOSED = "closed", _("closed")

    fund = models.ForeignKey(
        Fund, on_delete=models.PROTECT, related_name="rounds", verbose_name=_("innovation fund")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    status = FSMField(_("status"), default=Status.DRAFT, choices=Status.choices, protected=True)
    submission_closes_at = models.DateTimeField(_("applications until"))
    budget_cents = models.PositiveBigIntegerField(_("budget (cents)"))
    member_ballots = models.BooleanField(_("member organisations vote"), default=False)
    ballot_opens_at = models.DateTimeField(_("ballot opens at"), null=True, blank=True)
    ballot_closes_at = models.DateTimeField(_("ballot closes at"), null=True, blank=True)
    weight_added_value = _weight_field(_("weight: added value"))
    weight_impact = _weight_field(_("weight: expected impact"))
    weight_transferability = _weight_field(_("weight: transferability"))
    weight_social_return = _weight_field(_("weight: social return"))
    min_assessments = models.PositiveSmallIntegerField(
        _("assessments needed per application"), default=2, validators=[MinValueValidator(1)]
    )
    proposal = models.JSONField(_("proposed allocation"), null=True, blank=True)
    override_reason = models.TextField(_("why uncovered priorities were accepted"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-year", "-id"]
        verbose_name = _("innovation round")
        verbose_name_plural = _("innovation rounds")
        constraints = [
            models.UniqueConstraint(fields=["fund", "year"], name="grants_one_round_per_year"),
            models.CheckConstraint(
                condition=Q(member_ballots=False)
                | Q(
                    ballot_opens_at__isnull=False, ballot_closes_at__gt=models.F("ballot_opens_at")
                ),
                name="grants_round_ballot_window",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.fund} {self.year}"

    @transition(field=status, source=Status.DRAFT, target=Status.OPEN)
    def open(self) -> None: ...

    @transition(field=status, source=Status.OPEN, target=Status.ASSESSING)
    def assess(self) -> None: ...

    @transition(field=status, source=Status.ASSESSING, target=Status.DECIDED)
    def decide(self) -> None: ...

    @transition(field=status, source=Status.DECIDED, target=Status.CLOSED)
    def close(self) -> None: ...

    def weights(self) -> dict[str, Decimal]:
        return {c: getattr(self, f"weight_{c}") for c in CRITERIA}


class Assessment(models.Model):
    """One board member's scores (1 to 5) of an application on the four criteria."""

    application = models.ForeignKey(
        Application,
        on_delete=models.PROTECT,
        related_name="assessments",
        verbose_name=_("application"),
    )
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("board member"),
    )
    added_value = _score_field(_("added value"))
    impact = _score_field(_("expected impact"))
    transferability = _score_field(_("transferability"))
    social_return = _score_field(_("social return"))
    comment = models.TextField(_("comment"), max_length=5000, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["application", "id"]
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        constraints = [
            models.UniqueConstraint(
                fields=["application", "assessor"], name="grants_one_assessment_per_member"
            ),
            *[
                models.CheckConstraint(
                    condition=Q(**{f"{c}__gte": 1, f"{c}__lte": 5}), name=f"grants_score_{c}"
                )
                for c in CRITERIA
            ],
        ]

    def __str__(self) -> str:
        return f"{self.application_id} by {self.assessor_id}"


class InterestDeclaration(models.Model):
    """A board member's link to a member organisation or to one application (its applicant):
    they cannot assess what it touches and are recused from deciding on it."""

    board_member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="interests",
        verbose_name=_("board member"),
    )
    organisation = models.ForeignKey(
        MemberOrganisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("member organisation"),
    )
    application = models.ForeignKey(
        Application,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="interests",
        verbose_name=_("application"),
    )
    note = models.CharField(_("the link"), max_length=500)
    created_at = models.DateTimeField(_("declared at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("declared interest")
        verbose_name_plural = _("declared interests")
        constraints = [
            models.CheckConstraint(
                condition=Q(organisation__isnull=False) | Q(application__isnull=False),
                name="grants_interest_names_a_link",
            ),
        ]

    def __str__(self) -> str:
        return self.note


class MemberBallot(models.Model):
    """A voting member organisation's approval ballot in a round: public, cast by one of its
    representatives within the ballot window, replaced by casting again."""

    round = models.ForeignKey(
        Round, on_delete=models.PROTECT, related_name="ballots", verbose_name=_("round")
    )
    organisation = models.ForeignKey(
        MemberOrganisation,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("member organisation"),
    )
    approvals = models.ManyToManyField(
        Application, blank=True, related_name="+", verbose_name=_("approved applications")
    )
    cast_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("cast by"),
    )
    cast_at = models.DateTimeField(_("cast at"), auto_now=True)

    class Meta:
        ordering = ["round", "organisation__name"]
        verbose_name = _("member ballot")
        verbose_name_plural = _("member ballots")
        constraints = [
            models.UniqueConstraint(
                fields=["round", "organisation"], name="grants_one_ballot_per_organisation"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} in {self.round}"


class PayoutBatch(FSMModelMixin, models.Model):
    """Grants the treasurer pays in one SEPA credit-transfer file (pain.001) from the
    cooperative's own account. The file is made once, at export, and kept: every download
    gives the same bytes. Items are confirmed paid all at once or one by one by the bank
    statement; the batch is confirmed when none is left open."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        EXPORTED = "exported", _("exported")
        CONFIRMED = "confirmed", _("confirmed")
        CANCELLED = "cancelled", _("cancelled")

    cooperative = models.ForeignKey(
        Cooperative,
        on_delete=models.PROTECT,
        related_name="payout_batches",
        verbose_name=_("cooperative"),
    )
    execution_date = models.DateField(_("execution date"))
    status = FSMField(_("status"), default=Status.DRAFT, choices=Status.choices, protected=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    exported_at = models.DateTimeField(_("exported at"), null=True, blank=True)
    settled_at = models.DateTimeField(_("confirmed or cancelled at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("payout batch")
        verbose_name_plural = _("payout batches")

    def __str__(self) -> str:
        return f"{self.cooperative} {self.execution_date} #{self.pk}"

    @transition(field=status, source=Status.DRAFT, target=Status.EXPORTED)
    def export(self) -> None: ...

    @transition(field=status, source=Status.EXPORTED, target=Status.CONFIRMED)
    def confirm(self) -> None: ...

    @transition(field=status, source=[Status.DRAFT, Status.EXPORTED], target=Status.CANCELLED)
    def cancel(self) -> None: ...


class PayoutItem(models.Model):
    """One transfer of a payout batch: one application's grant (and the top-ups received
    for it). ``open`` while it may still be paid: an application is in one open item at most."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        PAID = "paid", _("paid")
        RETURNED = "returned", _("returned by the bank")
        CANCELLED = "cancelled", _("cancelled")

    batch = models.ForeignKey(
        PayoutBatch, on_delete=models.PROTECT, related_name="items", verbose_name=_("batch")
    )
    application = models.ForeignKey(
        Application,
        on_delete=models.PROTECT,
        related_name="payout_items",
        verbose_name=_("application"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    open = models.BooleanField(_("open"), default=True)
    grant_cents = models.PositiveBigIntegerField(_("grant (cents)"), default=0)
    topups_cents = models.PositiveBigIntegerField(_("top-ups (cents)"), default=0)
    # What the file says, fixed at export (the payee may be corrected until then).
    payee_name = models.CharField(_("payee name"), max_length=200, blank=True)
    payee_iban = models.CharField(_("payee IBAN"), max_length=34, blank=True)
    end_to_end_id = models.CharField(_("end-to-end id"), max_length=35, blank=True)
    remittance = models.CharField(_("remittance information"), max_length=140, blank=True)
    return_reason = models.CharField(_("why the bank returned it"), max_length=35, blank=True)
    settled_at = models.DateTimeField(_("paid or returned at"), null=True, blank=True)

    class Meta:
        ordering = ["batch", "id"]
        verbose_name = _("payout")
        verbose_name_plural = _("payouts")
        constraints = [
            models.UniqueConstraint(
                fields=["application"],
                condition=Q(open=True),
                name="grants_one_open_payout_per_application",
            ),
        ]
        indexes = [models.Index(fields=["end_to_end_id"])]

    def __str__(self) -> str:
        return f"{self.application_id} in batch {self.batch_id}"

    @property
    def amount_cents(self) -> int:
        return self.grant_cents + self.topups_cents


class PayoutFile(models.Model):
    """The pain.001 file of an exported batch, written once (the application's database role
    may insert and read it, never change it)."""

    batch = models.OneToOneField(
        PayoutBatch, on_delete=models.PROTECT, related_name="file", verbose_name=_("batch")
    )
    content = models.BinaryField(_("content"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    message_id = models.CharField(_("message id"), max_length=35)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("SEPA file")
        verbose_name_plural = _("SEPA files")

    def __str__(self) -> str:
        return f"{self.message_id} ({self.batch_id})"
