from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from community.iban import mask_iban
from community.models import Cooperative, MemberOrganisation, Neighbourhood
from grants.models import (
    Application,
    Assessment,
    Fund,
    InterestDeclaration,
    MemberBallot,
    PayoutBatch,
    PayoutItem,
    Priority,
    Receipt,
    Round,
    StatusChange,
    TopUp,
)
from grants.rounds import RULE_NAMES, pot_figures
from grants.selectors import repayment_account
from grants.services import OWN_CONTRIBUTION_SOURCES
from ledger.chart import INCOME_BY_SOURCE
from ledger.selectors import (
    Repayment,
    earmark_repayments,
    own_income_of_earmarks,
    pot_balance,
    topups_payable_of_earmarks,
)
from voting.selectors import shown_tally

from ..fields import StrictBooleanField, StrictCharField, StrictIntegerField, StrictRegexField

REPAYABLE = (Application.Status.REPORTED, Application.Status.CLOSED)
NO_REPAYMENT = Repayment(owed_cents=0, returned_cents=0, written_off_cents=0)


class BalanceSerializer(serializers.Serializer):
    deposited_cents = StrictIntegerField()
    reserved_cents = StrictIntegerField()
    committed_cents = StrictIntegerField()
    paid_cents = StrictIntegerField()
    returned_cents = StrictIntegerField()
    available_cents = StrictIntegerField()


FUND_SETTINGS = [
    "max_request_cents", "vote_window_minutes", "quorum", "approval_ratio", "own_contribution_percent",
    "top_priorities", "one_project_per_top_priority", "min_share_per_top_priority",
    "min_share_top_priorities_total", "show_live_tally",
    "max_open_per_applicant",
]  # fmt: skip


class FundSerializer(serializers.ModelSerializer):
    balance = serializers.SerializerMethodField()

    class Meta:
        model = Fund
        fields = ["id", "name", "kind", "cooperative", "neighbourhood", *FUND_SETTINGS, "balance"]

    @extend_schema_field(BalanceSerializer)
    def get_balance(self, fund: Fund) -> dict[str, int]:
        return pot_balance(fund.earmark).as_dict()


class FundCreateSerializer(serializers.ModelSerializer):
    cooperative = serializers.PrimaryKeyRelatedField(queryset=Cooperative.objects.all())
    neighbourhood = serializers.PrimaryKeyRelatedField(
        queryset=Neighbourhood.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = Fund
        fields = ["name", "kind", "cooperative", "neighbourhood", *FUND_SETTINGS]


class DepositSerializer(serializers.Serializer):
    """``{"amount_cents", "source", "reference"}``; "source" is declared in get_fields, since
    a serializer attribute of that name would hide DRF's own ``Field.source``."""

    amount_cents = StrictIntegerField(min_value=1, max_value=10**12)
    reference = StrictCharField(max_length=100, help_text="bank statement reference")

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["source"] = serializers.ChoiceField(
            choices=sorted(INCOME_BY_SOURCE), help_text="where the money comes from"
        )
        return fields


class DepositResultSerializer(serializers.Serializer):
    entry = StrictIntegerField()
    balance = BalanceSerializer()


class PrioritySerializer(serializers.ModelSerializer):
    neighbourhood = serializers.PrimaryKeyRelatedField(queryset=Neighbourhood.objects.all())
    year = StrictIntegerField(min_value=2000, max_value=2200)
    rank = StrictIntegerField(min_value=1, max_value=100)

    class Meta:
        model = Priority
        fields = ["id", "neighbourhood", "year", "rank", "title"]
        validators: list = []  # a taken rank is the service's 409, race or not


APPLICANT_STEPS = {
    Application.Status.VOTING,
    Application.Status.WITHDRAWN,
    Application.Status.REPORTED,
}


class StatusChangeSerializer(serializers.ModelSerializer):
    by = serializers.SerializerMethodField()

    class Meta:
        model = StatusChange
        fields = ["from_status", "to_status", "by", "reason", "created_at"]

    def get_by(self, change: StatusChange) -> str:
        """The role that acted, never a resident's name: "applicant" for the steps only the
        applicant's side takes (any representative of an organisation included), "system"
        for decisions, and the username for the staff's steps (pay, cancel, close)."""
        if change.actor_id is None or change.actor is None:
            return "system"
        if change.to_status in APPLICANT_STEPS:
            return "applicant"
        return change.actor.get_username()


class ReceiptSerializer(serializers.ModelSerializer):
    class Meta:
        model = Receipt
        fields = ["id", "original_name", "content_type", "size", "uploaded_at"]


class TallySerializer(serializers.Serializer):
    yes = StrictIntegerField()
    no = StrictIntegerField()
    total = StrictIntegerField()
    paper = StrictIntegerField(help_text="how many of the ballots were on paper")


class RepaymentSerializer(serializers.Serializer):
    """How the applicant pays unspent money back."""

    owed_cents = StrictIntegerField()
    iban = StrictCharField(
        allow_null=True, help_text="the cooperative's account; null until it has one"
    )
    account_name = StrictCharField(allow_null=True)
    reference = StrictCharField(help_text="to write with the transfer")


class PublicTopUpSerializer(serializers.Serializer):
    """A succeeded top-up as anyone sees it: the amount, and the donor's name only when
    they chose to show it."""

    amount_cents = StrictIntegerField()
    name = StrictCharField(help_text='the donor\'s name, or "anonymous"')


@dataclass(frozen=True)
class _LedgerFigures:
    income: dict[str, int]  # own income by source
    topups: tuple[int, int]  # top-ups received net, and paid on
    repayment: Repayment


class ApplicationListSerializer(serializers.ListSerializer):
    """A page of applications reads its ledger figures in one go (ApplicationSerializer.prime)."""

    def to_representation(self, data: Any) -> list[Any]:
        applications = list(data.all() if hasattr(data, "all") else data)
        self.child.prime(applications)  # type: ignore[union-attr]
        return super().to_representation(applications)


class ApplicationSerializer(serializers.ModelSerializer):
    """Public fields; payee details only for the applicant and the cooperative's staff."""

    history = serializers.SerializerMethodField()
    tally = serializers.SerializerMethodField()
    decision = serializers.SerializerMethodField()
    topped_up_cents = serializers.SerializerMethodField()
    organisation: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="name", read_only=True, allow_null=True
    )
    payee_iban = serializers.SerializerMethodField()
    payee_name = serializers.SerializerMethodField()
    payee_check_needed = serializers.SerializerMethodField()
    allowed_actions = serializers.SerializerMethodField()
    has_voted = serializers.SerializerMethodField()
    own_contribution_received_cents = serializers.SerializerMethodField()
    vote_closed = serializers.SerializerMethodField()
    receipts = serializers.SerializerMethodField()
    owed_cents = serializers.SerializerMethodField()
    returned_cents = serializers.SerializerMethodField()
    written_off_cents = serializers.SerializerMethodField()
    repayment = serializers.SerializerMethodField()
    topups = serializers.SerializerMethodField()
    topups_paid_out_cents = serializers.SerializerMethodField()
    topups_to_pay_cents = serializers.SerializerMethodField()

    class Meta:
        model = Application
        list_serializer_class = ApplicationListSerializer
        fields = [
            "id", "fund", "title", "summary", "organisation", "status", "amount_requested_cents",
            "total_budget_cents", "own_contribution_cents", "own_contribution_received_cents", "priorities", "vote_opens_at",
            "vote_closes_at", "vote_closed", "tally", "decision", "topped_up_cents", "spent_cents", "report_summary",
            "owed_cents", "returned_cents", "written_off_cents", "repayment",
            "evaluation", "follow_up", "topups", "topups_paid_out_cents", "topups_to_pay_cents",
            "payee_name", "payee_iban", "payee_check_needed", "receipts", "allowed_actions", "has_voted", "history",
            "created_at",
        ]  # fmt: skip

    def _private(self, application: Application) -> bool:
        viewer = self.context.get("viewer")
        return viewer is not None and viewer.sees_private(application)

    def get_payee_name(self, application: Application) -> str | None:
        return application.payee_name if self._private(application) else None

    def get_payee_check_needed(self, application: Application) -> bool | None:
        """True when the bank sent a payout back: the payee must be corrected."""
        return application.payee_check_needed if self._private(application) else None

    def get_payee_iban(self, application: Application) -> str | None:
        """Masked (NL91 **** **** **43 00) for the applicant and the staff; whole for the
        cooperative's treasurers, who pay it."""
        if not self._private(application) or not application.payee_iban:
            return None
        viewer = self.context["viewer"]
        return (
            application.payee_iban
            if viewer.sees_full_iban(application)
            else mask_iban(application.payee_iban)
        )

    @extend_schema_field(StatusChangeSerializer(many=True))
    def get_history(self, application: Application) -> Any:
        return StatusChangeSerializer(application.history.all(), many=True).data

    @extend_schema_field(TallySerializer(allow_null=True))
    def get_tally(self, application: Application) -> dict[str, int] | None:
        """After the decision, its counts; during the vote only if the fund shows it live."""
        shown = shown_tally(application)
        return shown.as_dict() if shown is not None else None

    def get_vote_closed(self, application: Application) -> bool:
        """The window has closed (its decision may still be pending a moment)."""
        closes = application.vote_closes_at
        return closes is not None and timezone.now() >= closes

    def get_decision(self, application: Application) -> str | None:
        if application.decided_at is None:
            return None
        refused = (Application.Status.REJECTED, Application.Status.NOT_ALLOCATED)
        return "rejected" if application.status in refused else "approved"

    def prime(self, applications: list[Application]) -> None:
        """Read the ledger's figures of a page of applications in three queries, not a few
        per row: own income, top-ups paid on, and (for reported ones) money owed back."""
        cache: dict[int, _LedgerFigures] = self.__dict__.setdefault("_ledger_figures", {})
        ids = [a.earmark_id for a in applications if a.earmark_id not in cache]
        if not ids:
            return
        income = own_income_of_earmarks(ids)
        topups = topups_payable_of_earmarks(ids)
        repayable = [a.earmark_id for a in applications if a.status in REPAYABLE]
        repayments = earmark_repayments(repayable) if repayable else {}
        for pk in ids:
            cache[pk] = _LedgerFigures(income[pk], topups[pk], repayments.get(pk, NO_REPAYMENT))

    def _ledger(self, application: Application) -> _LedgerFigures:
        cache: dict[int, _LedgerFigures] = self.__dict__.setdefault("_ledger_figures", {})
        if application.earmark_id not in cache:
            self.prime([application])
        return cache[application.earmark_id]

    def get_topped_up_cents(self, application: Application) -> int:
        """Crowdfunding received for this application, from the ledger."""
        return self._ledger(application).income.get("crowdfunding", 0)

    @extend_schema_field(PublicTopUpSerializer(many=True))
    def get_topups(self, application: Application) -> list[dict[str, Any]]:
        """Succeeded top-ups, newest first (never an e-mail address)."""
        topups = getattr(application, "succeeded_topups", None)
        if topups is None:
            topups = application.topups.filter(status=TopUp.Status.SUCCEEDED)
        return [
            {"amount_cents": t.amount_cents, "name": t.public_name or "anonymous"} for t in topups
        ]

    def _topups_money(self, application: Application) -> tuple[int, int]:
        return self._ledger(application).topups

    def get_topups_paid_out_cents(self, application: Application) -> int:
        """Top-ups (net of fees) paid on to the project with or after its grant."""
        return self._topups_money(application)[1]

    def get_topups_to_pay_cents(self, application: Application) -> int:
        """Top-ups received (net of fees) not yet paid on to the project."""
        received, paid = self._topups_money(application)
        return max(0, received - paid)

    def get_own_contribution_received_cents(self, application: Application) -> int:
        """Own income booked for this application (crowdfunding, donations...), from the ledger."""
        return sum(self._ledger(application).income.values())

    def _repayment(self, application: Application) -> Repayment:
        """Only reported applications can owe money back; the others cost no query."""
        if application.status not in REPAYABLE:
            return NO_REPAYMENT
        return self._ledger(application).repayment

    def get_owed_cents(self, application: Application) -> int:
        """Unspent money reported but not yet back on the cooperative's bank account."""
        return self._repayment(application).owed_cents

    def get_returned_cents(self, application: Application) -> int:
        """Unspent money that came back and is in the pot again."""
        return self._repayment(application).returned_cents

    def get_written_off_cents(self, application: Application) -> int:
        """Owed money the board wrote off as a loss."""
        return self._repayment(application).written_off_cents

    @extend_schema_field(RepaymentSerializer(allow_null=True))
    def get_repayment(self, application: Application) -> dict[str, Any] | None:
        """For the applicant and the staff, while money is owed: where to pay it back."""
        owed = self._repayment(application).owed_cents
        if owed <= 0 or not self._private(application):
            return None
        iban, holder = repayment_account(application) or (None, None)
        return {
            "owed_cents": owed,
            "iban": iban,
            "account_name": holder,
            "reference": application.repayment_reference,
        }

    @extend_schema_field(ReceiptSerializer(many=True, allow_null=True))
    def get_receipts(self, application: Application) -> Any:
        if not self._private(application):
            return None
        return ReceiptSerializer(application.receipts.all(), many=True).data

    def get_allowed_actions(self, application: Application) -> list[str]:
        """What the caller may do now: the state machine's actions, only those of their own
        role (the applicant submits, the treasurer pays, the board cancels and closes)."""
        viewer = self.context.get("viewer")
        if viewer is None:
            return []
        return viewer.actions(application)

    @extend_schema_field(StrictBooleanField(allow_null=True))
    def get_has_voted(self, application: Application) -> bool | None:
        """Whether the logged-in caller voted on it (online or on paper); null for visitors."""
        voted = getattr(application, "caller_voted", None)
        return bool(voted) if voted is not None else None


class ApplicationUpdateSerializer(serializers.Serializer):
    """A draft's fields the applicant may correct (all optional)."""

    title = StrictCharField(max_length=200, required=False)
    summary = StrictCharField(max_length=5000, required=False)
    amount_requested_cents = StrictIntegerField(min_value=0, max_value=10**10, required=False)
    total_budget_cents = StrictIntegerField(min_value=0, max_value=10**11, required=False)
    own_contribution_cents = StrictIntegerField(min_value=0, max_value=10**11, required=False)
    priorities = serializers.PrimaryKeyRelatedField(
        queryset=Priority.objects.all(), many=True, required=False
    )


class CheckSerializer(serializers.Serializer):
    rule = StrictCharField(help_text="the code submit would refuse with")
    passed = StrictBooleanField()
    figures = serializers.DictField(help_text="what the rule compared, in cents or counts")


class ApplicationCreateSerializer(serializers.Serializer):
    fund = serializers.PrimaryKeyRelatedField(queryset=Fund.objects.all())
    title = StrictCharField(max_length=200)
    summary = StrictCharField(max_length=5000)
    amount_requested_cents = StrictIntegerField(min_value=0, max_value=10**10)
    total_budget_cents = StrictIntegerField(min_value=0, max_value=10**11)
    own_contribution_cents = StrictIntegerField(min_value=0, max_value=10**11, default=0)
    priorities = serializers.PrimaryKeyRelatedField(
        queryset=Priority.objects.all(), many=True, required=False
    )
    payee_name = StrictCharField(max_length=200, required=False, allow_blank=True, default="")
    payee_iban = StrictCharField(max_length=40, required=False, allow_blank=True, default="")
    organisation = serializers.PrimaryKeyRelatedField(
        queryset=MemberOrganisation.objects.all(), required=False, allow_null=True, default=None
    )
    paper_applicant_name = StrictCharField(
        max_length=200, required=False, allow_blank=True, default=""
    )


class ReasonSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=500, required=False, allow_blank=True, default="")


class ReportSerializer(serializers.Serializer):
    summary = StrictCharField(max_length=5000)
    spent_cents = StrictIntegerField(min_value=0, max_value=10**10)
    receipts = serializers.ListField(
        child=serializers.FileField(), required=False, default=list, max_length=20
    )


def bank_reference_field() -> serializers.RegexField:
    return StrictRegexField(
        r"^[^\x00-\x1f\x7f]*\S[^\x00-\x1f\x7f]*$",
        max_length=100,
        help_text="the bank's reference of the incoming transfer; booking it again changes nothing",
    )


class ReturnSerializer(serializers.Serializer):
    amount_cents = StrictIntegerField(min_value=1, max_value=10**10)
    reference = bank_reference_field()


class OwnContributionSerializer(serializers.Serializer):
    amount_cents = StrictIntegerField(min_value=1, max_value=10**10)
    reference = bank_reference_field()
    # A field named like DRF's Field.source: the serializer's metaclass takes it out of the class.
    source = serializers.ChoiceField(  # type: ignore[assignment]
        choices=OWN_CONTRIBUTION_SOURCES, default="participants"
    )


class WriteOffSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=500)


class CloseSerializer(serializers.Serializer):
    evaluation = serializers.ChoiceField(choices=Application.Evaluation.choices)
    note = StrictCharField(max_length=5000, required=False, allow_blank=True, default="")


class TopUpCreateSerializer(serializers.Serializer):
    amount_cents = StrictIntegerField(
        min_value=1, max_value=10**9, help_text="between TOPUP_MIN_CENTS and TOPUP_MAX_CENTS"
    )
    email = serializers.EmailField(help_text="for the receipt; never shown")
    display_name = StrictCharField(max_length=100, required=False, allow_blank=True, default="")
    show_name = StrictBooleanField(required=False, default=False)
    keep_if_cancelled = StrictBooleanField(
        required=False,
        default=False,
        help_text="the donor agrees the money may stay in the fund if the plan does not go ahead",
    )


class TopUpCreatedSerializer(serializers.Serializer):
    topup_id = StrictIntegerField()
    client_secret = StrictCharField(help_text="for Stripe.js to confirm the payment")
    publishable_key = StrictCharField()


class TopUpSerializer(serializers.ModelSerializer):
    """A top-up as the treasurer sees it."""

    fund = StrictIntegerField(source="application.fund_id")

    class Meta:
        model = TopUp
        fields = [
            "id", "application", "fund", "amount_cents", "fee_cents", "status", "email",
            "display_name", "show_name", "keep_if_cancelled", "failure", "refund_attempts",
            "created_at", "updated_at",
        ]  # fmt: skip


class YearQuerySerializer(serializers.Serializer):
    year = StrictIntegerField(min_value=2000, max_value=2100, required=False)


class PriorityCoverageSerializer(serializers.Serializer):
    priority = StrictIntegerField(source="priority.pk")
    neighbourhood = StrictIntegerField(source="priority.neighbourhood_id")
    rank = StrictIntegerField(source="priority.rank")
    title = StrictCharField(source="priority.title")
    allocated_cents = StrictIntegerField()
    projects = StrictIntegerField()
    share_percent = serializers.DecimalField(max_digits=6, decimal_places=2)


class UncoveredSerializer(serializers.Serializer):
    rule = StrictCharField()
    priority = StrictIntegerField(allow_null=True)
    rank = StrictIntegerField(required=False)
    title = StrictCharField(required=False)
    share_percent = StrictCharField(required=False)
    required_percent = StrictCharField(required=False)


class CoverageSerializer(serializers.Serializer):
    """Per top priority: the money, the projects and their share of the whole allocation."""

    total_cents = StrictIntegerField()
    top_share_percent = serializers.DecimalField(max_digits=6, decimal_places=2)
    covered = StrictBooleanField()
    priorities = PriorityCoverageSerializer(many=True)
    uncovered = UncoveredSerializer(many=True)


# -- innovation rounds ---------------------------------------------------------------------------


class PotFiguresSerializer(serializers.Serializer):
    available_cents = StrictIntegerField(help_text="the innovation pot's available money")
    subsidy_cents = StrictIntegerField(help_text="subsidy income booked in the round's year")
    minimum_cents = StrictIntegerField(help_text="5% of it: what the pot must hold at least")


class RoundSerializer(serializers.ModelSerializer):
    pot = serializers.SerializerMethodField()

    class Meta:
        model = Round
        fields = [
            "id", "fund", "year", "status", "submission_closes_at", "budget_cents",
            "member_ballots", "ballot_opens_at", "ballot_closes_at", "weight_added_value",
            "weight_impact", "weight_transferability", "weight_social_return", "min_assessments",
            "pot", "decided_at", "override_reason",
        ]  # fmt: skip

    @extend_schema_field(PotFiguresSerializer)
    def get_pot(self, round_: Round) -> dict[str, int]:
        return pot_figures(fund=round_.fund, year=round_.year).__dict__


class RoundCreateSerializer(serializers.Serializer):
    fund = serializers.PrimaryKeyRelatedField(queryset=Fund.objects.all())
    year = StrictIntegerField(min_value=2000, max_value=2100)
    submission_closes_at = serializers.DateTimeField()
    budget_cents = StrictIntegerField(min_value=100, max_value=10**11)
    member_ballots = StrictBooleanField(required=False, default=False)
    ballot_opens_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    ballot_closes_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    min_assessments = StrictIntegerField(min_value=1, max_value=50, default=2)
    weight_added_value = serializers.DecimalField(
        5, 2, min_value=Decimal(0), max_value=Decimal(100), default=Decimal(1)
    )
    weight_impact = serializers.DecimalField(
        5, 2, min_value=Decimal(0), max_value=Decimal(100), default=Decimal(1)
    )
    weight_transferability = serializers.DecimalField(
        5, 2, min_value=Decimal(0), max_value=Decimal(100), default=Decimal(1)
    )
    weight_social_return = serializers.DecimalField(
        5, 2, min_value=Decimal(0), max_value=Decimal(100), default=Decimal(1)
    )


class AssessmentCreateSerializer(serializers.Serializer):
    added_value = StrictIntegerField(min_value=1, max_value=5)
    impact = StrictIntegerField(min_value=1, max_value=5)
    transferability = StrictIntegerField(min_value=1, max_value=5)
    social_return = StrictIntegerField(min_value=1, max_value=5)
    comment = StrictCharField(max_length=5000, required=False, allow_blank=True, default="")


class AssessmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Assessment
        fields = [
            "id", "application", "assessor", "added_value", "impact", "transferability",
            "social_return", "comment", "created_at",
        ]  # fmt: skip


class InterestCreateSerializer(serializers.Serializer):
    organisation = serializers.PrimaryKeyRelatedField(
        queryset=MemberOrganisation.objects.all(), required=False, allow_null=True, default=None
    )
    application = serializers.PrimaryKeyRelatedField(
        queryset=Application.objects.all(), required=False, allow_null=True, default=None
    )
    note = StrictCharField(max_length=500)


class InterestSerializer(serializers.ModelSerializer):
    class Meta:
        model = InterestDeclaration
        fields = ["id", "board_member", "organisation", "application", "note", "created_at"]


class MemberBallotCreateSerializer(serializers.Serializer):
    organisation = serializers.PrimaryKeyRelatedField(queryset=MemberOrganisation.objects.all())
    approve: serializers.PrimaryKeyRelatedField = serializers.PrimaryKeyRelatedField(
        queryset=Application.objects.all(), many=True, allow_empty=True
    )


class MemberBallotSerializer(serializers.ModelSerializer):
    organisation: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="name", read_only=True
    )
    approve: serializers.PrimaryKeyRelatedField = serializers.PrimaryKeyRelatedField(
        source="approvals", many=True, read_only=True
    )

    class Meta:
        model = MemberBallot
        fields = ["id", "round", "organisation", "approve", "cast_at"]


class AllocateSerializer(serializers.Serializer):
    rule = serializers.ChoiceField(choices=RULE_NAMES)


class ProposalSerializer(serializers.Serializer):
    rule = StrictCharField()
    selected = serializers.ListField(child=StrictIntegerField())
    total_cents = StrictIntegerField()
    coverage = CoverageSerializer()


class FinalizeSerializer(serializers.Serializer):
    override_reason = StrictCharField(
        max_length=5000,
        required=False,
        allow_blank=True,
        default="",
        help_text="why top priorities left uncovered are accepted (published)",
    )


class ResultApplicationSerializer(serializers.Serializer):
    id = StrictIntegerField()
    title = StrictCharField()
    amount_cents = StrictIntegerField()
    selected = StrictBooleanField()
    assessments = StrictIntegerField()
    scores = serializers.DictField(child=serializers.DecimalField(4, 2), allow_null=True)
    weighted_score = serializers.DecimalField(6, 3, allow_null=True)
    approvals = StrictIntegerField(allow_null=True, help_text="member ballots approving it")


class ResultBallotSerializer(serializers.Serializer):
    organisation = StrictCharField()
    approve = serializers.ListField(child=StrictIntegerField())


class RecusalSerializer(serializers.Serializer):
    board_member = StrictCharField()
    application = StrictIntegerField(allow_null=True)
    organisation = StrictIntegerField(allow_null=True)

    def to_representation(self, instance: Any) -> dict[str, Any]:
        member, application, organisation = instance
        return {
            "board_member": member,
            "application": application or None,
            "organisation": organisation or None,
        }


class RoundResultSerializer(serializers.Serializer):
    """A round's published result (before the decision: its applications only)."""

    round = StrictIntegerField()
    status = StrictCharField()
    budget_cents = StrictIntegerField()
    rule = StrictCharField(allow_null=True)
    selected = serializers.ListField(child=StrictIntegerField())
    allocated_cents = StrictIntegerField()
    applications = ResultApplicationSerializer(many=True)
    ballots = ResultBallotSerializer(many=True)
    coverage = CoverageSerializer(allow_null=True)
    decided_by = StrictCharField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    recusals = RecusalSerializer(many=True)
    override_reason = StrictCharField()


class PabulibSelectSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="a pabulib .pb file (at most 5 MB)")
    rule = serializers.ChoiceField(choices=["greedy", "equal_shares", "equal_shares_greedy"])


class PabulibSelectionSerializer(serializers.Serializer):
    rule = StrictCharField()
    selected = serializers.ListField(child=StrictCharField(), help_text="project ids")
    projects = StrictIntegerField()
    voters = StrictIntegerField()
    budget = StrictCharField()


class PayeeSerializer(serializers.Serializer):
    """A PATCH: a field left out stays as it is."""

    payee_name = StrictCharField(max_length=200, allow_blank=True, required=False)
    payee_iban = StrictCharField(max_length=40, allow_blank=True, required=False)


class PayoutBatchCreateSerializer(serializers.Serializer):
    applications = serializers.ListField(
        child=StrictIntegerField(min_value=1, max_value=2**31 - 1),
        min_length=1,
        max_length=500,
        help_text="ids of approved applications (or allocated innovation grants) of one cooperative",
    )
    execution_date = serializers.DateField(help_text="the day the bank is to pay")


class PayoutItemSerializer(serializers.ModelSerializer):
    """One transfer. The whole IBAN: only treasurers reach a batch at all."""

    title = StrictCharField(source="application.title")
    amount_cents = StrictIntegerField()
    payee_name = serializers.SerializerMethodField()
    payee_iban = serializers.SerializerMethodField()

    class Meta:
        model = PayoutItem
        fields = [
            "id", "application", "title", "status", "amount_cents", "grant_cents",
            "topups_cents", "payee_name", "payee_iban", "end_to_end_id", "remittance",
            "return_reason", "settled_at",
        ]  # fmt: skip

    def get_payee_name(self, item: PayoutItem) -> str:
        # Until export the application's current payee, which may still be corrected.
        return item.payee_name or item.application.payee_name

    def get_payee_iban(self, item: PayoutItem) -> str:
        return item.payee_iban or item.application.payee_iban


class PayoutBatchSerializer(serializers.ModelSerializer):
    items = PayoutItemSerializer(many=True, read_only=True)
    total_cents = serializers.SerializerMethodField()
    sha256 = serializers.SerializerMethodField()

    class Meta:
        model = PayoutBatch
        fields = [
            "id", "cooperative", "status", "execution_date", "total_cents", "items",
            "created_by", "created_at", "exported_at", "settled_at", "sha256",
        ]  # fmt: skip

    def get_total_cents(self, batch: PayoutBatch) -> int:
        return sum(i.amount_cents for i in batch.items.all() if i.status != "cancelled")

    def get_sha256(self, batch: PayoutBatch) -> str | None:
        """Checksum of the stored SEPA file (once exported): the same for every download."""
        file = getattr(batch, "file", None)
        return file.sha256 if file is not None else None
