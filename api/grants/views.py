"""Funds, priorities and applications. Thin views: input serializer -> service -> output."""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from community.models import Membership, User
from community.selectors import role_cooperative_ids, staff_cooperative_ids
from grants import payouts, rounds, services, topups
from grants.coverage import buurtfonds_coverage
from grants.errors import (
    PabulibInvalid,
    PaymentProviderUnavailable,
    SignatureRejected,
    UploadTooLarge,
)
from grants.models import (
    CRITERIA,
    Application,
    Fund,
    InterestDeclaration,
    PayoutBatch,
    Priority,
    Receipt,
    Round,
    TopUp,
)
from grants.pabulib import PabulibError
from grants.selectors import visible_applications
from ledger.selectors import pot_balance
from payments import gateway
from voting import services as voting_services
from voting.models import Participation

from ..filters import MAX_ID, BooleanFilter, FilterSet, WholeNumberFilter
from ..permissions import acting_user
from ..schema import Error
from . import serializers as s


class FundViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Funds with their balance from the books. Board members open funds; treasurers deposit."""

    queryset = Fund.objects.select_related("earmark").order_by("name")
    filterset_fields = ["kind", "cooperative", "neighbourhood"]

    def get_permissions(self) -> list:
        public = ("list", "retrieve", "coverage")
        return [AllowAny()] if self.action in public else [IsAuthenticated()]

    def get_serializer_class(self) -> type:
        return s.FundCreateSerializer if self.action == "create" else s.FundSerializer

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = s.FundCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fund = services.fund_create(acting_user=acting_user(request), **data.validated_data)
        return Response(s.FundSerializer(fund).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "year",
                {"type": "integer", "minimum": 2000, "maximum": 2100},
                description="default: this year",
            )
        ],
        responses=s.CoverageSerializer,
    )
    @action(detail=True, methods=["get"])
    def coverage(self, request: Request, pk: str | None = None) -> Response:
        """How far the year's grants cover the buurt's top priorities, and which rules of the
        fund they do not meet yet."""
        fund = self.get_object()
        query = s.YearQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        year = query.validated_data.get("year") or timezone.localdate().year
        return Response(s.CoverageSerializer(buurtfonds_coverage(fund=fund, year=year)).data)

    @extend_schema(request=s.DepositSerializer, responses={201: s.DepositResultSerializer})
    @action(detail=True, methods=["post"])
    def deposits(self, request: Request, pk: str | None = None) -> Response:
        fund = self.get_object()
        data = s.DepositSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        entry = services.fund_deposit(
            fund=fund, acting_user=acting_user(request), **data.validated_data
        )
        body = {"entry": entry.pk, "balance": pot_balance(fund.earmark).as_dict()}
        return Response(body, status=status.HTTP_201_CREATED)


class PriorityViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Ranked wijkprioriteiten per neighbourhood and year; board members add them."""

    serializer_class = s.PrioritySerializer
    queryset = Priority.objects.order_by("neighbourhood", "year", "rank")
    filterset_fields = ["neighbourhood", "year"]

    def get_permissions(self) -> list:
        return [AllowAny()] if self.action in ("list", "retrieve") else [IsAuthenticated()]

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = s.PrioritySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        priority = services.priority_create(acting_user=acting_user(request), **data.validated_data)
        return Response(s.PrioritySerializer(priority).data, status=status.HTTP_201_CREATED)


class ApplicationFilter(FilterSet):
    year = WholeNumberFilter(
        field_name="created_at", lookup_expr="year", min_value=2000, max_value=2200
    )
    priority = WholeNumberFilter(field_name="priorities", min_value=1, max_value=MAX_ID)
    neighbourhood = WholeNumberFilter(
        field_name="fund__neighbourhood", min_value=1, max_value=MAX_ID
    )
    mine = BooleanFilter(method="filter_mine", label="only the caller's own applications")

    class Meta:
        model = Application
        fields = ["fund", "status", "priority", "year", "neighbourhood", "mine"]

    def filter_mine(
        self, queryset: QuerySet[Application], name: str, value: bool | None
    ) -> QuerySet[Application]:
        if not value:
            return queryset
        user = self.request.user if self.request else None
        if user is None or not user.is_authenticated:
            return queryset.none()
        return queryset.filter(Q(applicant=user) | Q(entered_by=user))


class ApplicationViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Applications: public once submitted; drafts only for their applicant and the staff."""

    serializer_class = s.ApplicationSerializer
    filterset_class = ApplicationFilter
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    throttle_scope: str | None = None  # set per action (top-ups)
    reaches_payment_provider = False  # set per action (top-ups): may answer 503

    def get_permissions(self) -> list:
        public = ("list", "retrieve", "topups", "checks")
        return [AllowAny()] if self.action in public else [IsAuthenticated()]

    def get_queryset(self) -> QuerySet[Application]:
        if getattr(self, "swagger_fake_view", False):
            return Application.objects.none()
        # Settling on access: a reader never sees a closed window undecided, even
        # where no worker or beat runs (the embedded default).
        voting_services.settle_on_read()
        user = self.request.user
        queryset = visible_applications(user=user)
        if user.is_authenticated:
            # The caller's own participation, never anyone else's.
            queryset = queryset.annotate(
                caller_voted=Exists(
                    Participation.objects.filter(application=OuterRef("pk"), voter=user)
                )
            )
        return (
            queryset.select_related("fund", "organisation")
            .prefetch_related(
                "priorities",
                "history__actor",
                "history__application",
                Prefetch(
                    "topups",
                    queryset=TopUp.objects.filter(status=TopUp.Status.SUCCEEDED),
                    to_attr="succeeded_topups",
                ),
            )
            .order_by("-created_at", "-id")
        )

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "viewer": Viewer(self.request)}

    @extend_schema(request=s.ApplicationCreateSerializer, responses={201: s.ApplicationSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = s.ApplicationCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        application = services.application_create(
            acting_user=acting_user(request), **data.validated_data
        )
        return self._answer(application, status.HTTP_201_CREATED)

    @extend_schema(request=s.ApplicationUpdateSerializer, responses=s.ApplicationSerializer)
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The applicant corrects a draft; what neighbours vote on never changes."""
        data = s.ApplicationUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        application = services.application_update(
            application=self.get_object(), acting_user=acting_user(request), **data.validated_data
        )
        return self._answer(application)

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The applicant deletes a draft that was never submitted."""
        services.application_delete(application=self.get_object(), acting_user=acting_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses=s.CheckSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def checks(self, request: Request, pk: str | None = None) -> Response:
        """Every rule submit checks, with pass or fail and the figures, for a draft to be
        corrected before it is submitted."""
        checks = services.submission_checks(self.get_object())
        return Response(s.CheckSerializer(checks, many=True).data)

    def _answer(self, application: Application, code: int = status.HTTP_200_OK) -> Response:
        application = self.get_queryset().get(pk=application.pk)
        return Response(self.get_serializer(application).data, status=code)

    @extend_schema(request=None, responses=s.ApplicationSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str | None = None) -> Response:
        # The one way in: the rules and the reservation (grants), then the vote window,
        # its settling at the close, and the residents who asked to hear of new votes.
        application = self.get_object()
        if application.fund.kind == Fund.Kind.INNOVATION:
            # No neighbours' vote: into the fund's open round, for the board to assess.
            application = rounds.application_enter(
                application=application, acting_user=acting_user(request)
            )
        else:
            application = voting_services.vote_open(
                application=application, acting_user=acting_user(request)
            )
        return self._answer(application)

    @extend_schema(request=s.ReasonSerializer, responses=s.ApplicationSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        data = s.ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        application = services.application_withdraw(
            application=self.get_object(), acting_user=acting_user(request), **data.validated_data
        )
        return self._answer(application)

    @extend_schema(request=None, responses=s.ApplicationSerializer)
    @action(detail=True, methods=["post"])
    def pay(self, request: Request, pk: str | None = None) -> Response:
        application = services.application_pay(
            application=self.get_object(), acting_user=acting_user(request)
        )
        return self._answer(application)

    @extend_schema(request=None, responses=s.ApplicationSerializer)
    @action(detail=True, methods=["post"], url_path="pay-topups")
    def pay_topups(self, request: Request, pk: str | None = None) -> Response:
        """The treasurer pays on top-ups that arrived after the grant was paid."""
        services.application_topups_pay(
            application=self.get_object(), acting_user=acting_user(request)
        )
        return self._answer(self.get_object())

    @extend_schema(request=s.ReasonSerializer, responses=s.ApplicationSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        data = s.ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        application = services.application_cancel(
            application=self.get_object(), acting_user=acting_user(request), **data.validated_data
        )
        return self._answer(application)

    @extend_schema(
        request={"multipart/form-data": s.ReportSerializer, "application/json": s.ReportSerializer},
        responses=s.ApplicationSerializer,
    )
    @action(detail=True, methods=["post"])
    def report(self, request: Request, pk: str | None = None) -> Response:
        # Before request.data: a stranger's or an oversized upload is refused unread.
        application = self.get_object()
        services.report_upload_check(
            application=application,
            acting_user=acting_user(request),
            content_length=request.META.get("CONTENT_LENGTH") or 0,
        )
        data = s.ReportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        application = services.application_report(
            application=application,
            acting_user=acting_user(request),
            summary=data.validated_data["summary"],
            spent_cents=data.validated_data["spent_cents"],
            receipts=data.validated_data["receipts"],
        )
        return self._answer(application)

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], url_path=r"receipts/(?P<receipt_id>\d+)")
    def receipt(
        self, request: Request, pk: str | None = None, receipt_id: str = ""
    ) -> FileResponse:
        """A receipt file, for the applicant and the cooperative's staff only."""
        application = self.get_object()
        if not Viewer(request).sees_private(application):
            raise Http404
        receipt = get_object_or_404(Receipt, pk=receipt_id, application=application)
        return FileResponse(
            receipt.file.open("rb"),
            content_type=receipt.content_type,
            as_attachment=True,
            filename=receipt.original_name,
        )

    @extend_schema(request=s.PayeeSerializer, responses=s.ApplicationSerializer)
    @action(detail=True, methods=["patch"])
    def payee(self, request: Request, pk: str | None = None) -> Response:
        """Add or correct who is paid, until the money is paid (audited, mailed)."""
        data = s.PayeeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        application = services.application_payee_change(
            application=self.get_object(), acting_user=acting_user(request), **data.validated_data
        )
        return self._answer(application)

    @extend_schema(request=s.AssessmentCreateSerializer, responses={201: s.AssessmentSerializer})
    @action(detail=True, methods=["post"])
    def assessments(self, request: Request, pk: str | None = None) -> Response:
        """A board member without a declared link scores the application, once."""
        data = s.AssessmentCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        assessment = rounds.assessment_create(
            application=self.get_object(), acting_user=acting_user(request), **data.validated_data
        )
        return Response(s.AssessmentSerializer(assessment).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.TopUpCreateSerializer, responses={201: s.TopUpCreatedSerializer})
    @action(
        detail=True,
        methods=["post"],
        throttle_classes=[ScopedRateThrottle],
        throttle_scope="topup",
        reaches_payment_provider=True,
    )
    def topups(self, request: Request, pk: str | None = None) -> Response:
        """Anyone adds money: answers what Stripe.js needs to take the payment (iDEAL or card).
        The payment's outcome arrives by Stripe's webhook."""
        data = s.TopUpCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        topup, intent = topups.topup_create(
            application_id=self.get_object().pk, **data.validated_data
        )
        body = {
            "topup_id": topup.pk,
            "client_secret": intent.client_secret,
            "publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
        }
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.ReturnSerializer,
        responses={201: s.ApplicationSerializer, 200: s.ApplicationSerializer},
    )
    @action(detail=True, methods=["post"])
    def returns(self, request: Request, pk: str | None = None) -> Response:
        """The treasurer books owed money that arrived: 201, or 200 when this bank reference
        was booked before (nothing changes)."""
        data = s.ReturnSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        application, booked = services.application_return_book(
            application=self.get_object(), acting_user=acting_user(request), **data.validated_data
        )
        return self._answer(application, status.HTTP_201_CREATED if booked else status.HTTP_200_OK)

    @extend_schema(
        request=s.OwnContributionSerializer,
        responses={201: s.ApplicationSerializer, 200: s.ApplicationSerializer},
    )
    @action(detail=True, methods=["post"], url_path="own-contributions")
    def own_contributions(self, request: Request, pk: str | None = None) -> Response:
        """The treasurer books the applicant's own contribution as it arrived on the bank:
        201, or 200 when this bank reference was booked before (nothing changes)."""
        data = s.OwnContributionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        application, booked = services.application_own_contribution_book(
            application=self.get_object(), acting_user=acting_user(request), **data.validated_data
        )
        return self._answer(application, status.HTTP_201_CREATED if booked else status.HTTP_200_OK)

    @extend_schema(request=s.WriteOffSerializer, responses=s.ApplicationSerializer)
    @action(detail=True, methods=["post"], url_path="write-off")
    def write_off(self, request: Request, pk: str | None = None) -> Response:
        data = s.WriteOffSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        application = services.application_write_off(
            application=self.get_object(), acting_user=acting_user(request), **data.validated_data
        )
        return self._answer(application)

    @extend_schema(request=s.CloseSerializer, responses=s.ApplicationSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str | None = None) -> Response:
        data = s.CloseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        application = services.application_close(
            application=self.get_object(), acting_user=acting_user(request), **data.validated_data
        )
        return self._answer(application)


class Viewer:
    """Who is looking: the applicant and the cooperative's staff see payee details; only its
    treasurers (who pay) see the whole IBAN."""

    def __init__(self, request: Request) -> None:
        self.user = request.user
        self.staff = staff_cooperative_ids(user=self.user)
        self.treasurer_of = role_cooperative_ids(user=self.user, role=Membership.Role.TREASURER)
        self.board_of = role_cooperative_ids(user=self.user, role=Membership.Role.BOARD)

    def actions(self, application: Application) -> list[str]:
        """The actions this caller may take on the application now."""
        if not self.user.is_authenticated:
            return []
        cooperative = application.fund.cooperative_id
        roles = [
            role
            for role, ids in (
                (Membership.Role.TREASURER, self.treasurer_of),
                (Membership.Role.BOARD, self.board_of),
            )
            if ids is None or cooperative in ids
        ]
        return services.actions_for(
            application,
            is_applicant=services.is_applicant(cast(User, self.user), application),
            roles=roles,
        )

    def sees_full_iban(self, application: Application) -> bool:
        if not self.user.is_authenticated:
            return False
        ids = self.treasurer_of
        return ids is None or application.fund.cooperative_id in ids

    def sees_private(self, application: Application) -> bool:
        if not self.user.is_authenticated:
            return False
        if self.user.pk in (application.applicant_id, application.entered_by_id):
            return True
        return self.staff is None or application.fund.cooperative_id in self.staff


class TopUpFilter(FilterSet):
    fund = WholeNumberFilter(field_name="application__fund", min_value=1, max_value=MAX_ID)
    application = WholeNumberFilter(field_name="application", min_value=1, max_value=MAX_ID)
    status = filters.ChoiceFilter(choices=TopUp.Status.choices)

    class Meta:
        model = TopUp
        fields = ["fund", "application", "status"]


class TopUpViewSet(viewsets.ReadOnlyModelViewSet):
    """Top-ups with their state, for the treasurers of the funds' cooperatives."""

    serializer_class = s.TopUpSerializer
    filterset_class = TopUpFilter
    permission_classes = [IsAuthenticated]

    def get_queryset(self) -> QuerySet[TopUp]:
        if getattr(self, "swagger_fake_view", False):
            return TopUp.objects.none()
        queryset = TopUp.objects.select_related("application").order_by("-created_at", "-id")
        ids = role_cooperative_ids(user=self.request.user, role=Membership.Role.TREASURER)
        return queryset if ids is None else queryset.filter(application__fund__cooperative__in=ids)


class StripeWebhookView(APIView):
    """Stripe's signed events. The signature is checked on the raw body; each event takes
    effect once. Events we do not handle are acknowledged and stored."""

    permission_classes = [AllowAny]
    authentication_classes: list[type] = []
    reaches_payment_provider = True

    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: OpenApiTypes.OBJECT})
    def post(self, request: Request) -> Response:
        try:
            event = gateway.event_verify(
                request._request.body, request.headers.get("Stripe-Signature")
            )
        except gateway.SignatureInvalid:
            raise SignatureRejected() from None
        try:
            outcome = topups.stripe_event_record(event)
        except gateway.GatewayUnavailable:
            # Nothing stored: Stripe delivers the event again later.
            raise PaymentProviderUnavailable() from None
        return Response({"received": True, "outcome": outcome})


class RoundViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Innovation rounds: public; a board member opens one on an innovation fund."""

    queryset = Round.objects.select_related("fund__earmark", "fund__cooperative").order_by(
        "-year", "-id"
    )
    serializer_class = s.RoundSerializer
    filterset_fields = ["fund", "year", "status"]

    def get_permissions(self) -> list:
        public = ("list", "retrieve", "result", "pabulib")
        return [AllowAny()] if self.action in public else [IsAuthenticated()]

    @extend_schema(request=s.RoundCreateSerializer, responses={201: s.RoundSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = s.RoundCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        weights = {c: fields.pop(f"weight_{c}") for c in CRITERIA}
        round_ = rounds.round_create(acting_user=acting_user(request), weights=weights, **fields)
        return Response(s.RoundSerializer(round_).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.MemberBallotCreateSerializer,
        responses={201: s.MemberBallotSerializer, 200: s.MemberBallotSerializer},
    )
    @action(detail=True, methods=["post"], url_path="member-ballots")
    def member_ballots(self, request: Request, pk: str | None = None) -> Response:
        """A voting member organisation's public approval ballot; casting again replaces it."""
        data = s.MemberBallotCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ballot, created = rounds.member_ballot_cast(
            round_=self.get_object(),
            organisation=data.validated_data["organisation"],
            approvals=data.validated_data["approve"],
            acting_user=acting_user(request),
        )
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(s.MemberBallotSerializer(ballot).data, status=code)

    @extend_schema(request=s.AllocateSerializer, responses=s.ProposalSerializer)
    @action(detail=True, methods=["post"])
    def allocate(self, request: Request, pk: str | None = None) -> Response:
        """A proposal by the chosen rule, with its coverage of the top priorities."""
        data = s.AllocateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        proposal = rounds.round_allocate(
            round_=self.get_object(), acting_user=acting_user(request), **data.validated_data
        )
        return Response(s.ProposalSerializer(proposal).data)

    @extend_schema(request=s.FinalizeSerializer, responses=s.RoundResultSerializer)
    @action(detail=True, methods=["post"])
    def finalize(self, request: Request, pk: str | None = None) -> Response:
        """Fix the proposal: 409 with the uncovered top priorities unless a reason is given."""
        data = s.FinalizeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        round_ = rounds.round_finalize(
            round_=self.get_object(), acting_user=acting_user(request), **data.validated_data
        )
        return Response(s.RoundResultSerializer(rounds.round_result(round_)).data)

    @extend_schema(responses=s.RoundResultSerializer)
    @action(detail=True, methods=["get"])
    def result(self, request: Request, pk: str | None = None) -> Response:
        return Response(s.RoundResultSerializer(rounds.round_result(self.get_object())).data)

    @extend_schema(request=None, responses=s.RoundSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str | None = None) -> Response:
        round_ = rounds.round_close(round_=self.get_object(), acting_user=acting_user(request))
        return Response(s.RoundSerializer(round_).data)

    @extend_schema(responses={(200, "text/plain"): OpenApiTypes.STR})
    @action(detail=True, methods=["get"])
    def pabulib(self, request: Request, pk: str | None = None) -> HttpResponse:
        """The decided round as a pabulib ``.pb`` file, to check with public tools."""
        text = rounds.round_pabulib(self.get_object())
        response = HttpResponse(text, content_type="text/plain; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="round-{pk}.pb"'
        return response


class PabulibSelectView(APIView):
    """Replay any pabulib election (a city's, or one of our rounds) with one of our rules."""

    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "pabulib"

    @extend_schema(
        request={"multipart/form-data": s.PabulibSelectSerializer},
        responses=s.PabulibSelectionSerializer,
    )
    def post(self, request: Request) -> Response:
        size = int(request.META.get("CONTENT_LENGTH") or 0)
        if size > rounds.PABULIB_MAX_BYTES:
            raise UploadTooLarge(extra={"max_bytes": rounds.PABULIB_MAX_BYTES})
        data = s.PabulibSelectSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            text = data.validated_data["file"].read().decode("utf-8")
            selection = rounds.pabulib_select(text=text, rule=data.validated_data["rule"])
        except UnicodeDecodeError:
            raise PabulibInvalid(extra={"line": None, "reason": "not UTF-8"}) from None
        except PabulibError as exc:
            raise PabulibInvalid(extra={"line": exc.line, "reason": exc.message}) from None
        return Response(s.PabulibSelectionSerializer(selection).data)


class InterestViewSet(mixins.CreateModelMixin, viewsets.GenericViewSet):
    """A board member declares a link to a member organisation or an application."""

    permission_classes = [IsAuthenticated]
    serializer_class = s.InterestSerializer
    queryset = InterestDeclaration.objects.none()

    @extend_schema(request=s.InterestCreateSerializer, responses={201: s.InterestSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = s.InterestCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        declaration = rounds.interest_declare(
            acting_user=acting_user(request), **data.validated_data
        )
        return Response(s.InterestSerializer(declaration).data, status=status.HTTP_201_CREATED)


class PayoutViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Payout batches, for the treasurers of their cooperative: draft, export (the SEPA file,
    made once), confirm or cancel."""

    serializer_class = s.PayoutBatchSerializer
    permission_classes = [IsAuthenticated]
    filterset_fields = ["status", "cooperative"]

    def get_queryset(self) -> QuerySet[PayoutBatch]:
        if getattr(self, "swagger_fake_view", False):
            return PayoutBatch.objects.none()
        queryset = (
            PayoutBatch.objects.select_related("file")
            .prefetch_related("items__application")
            .order_by("-created_at", "-id")
        )
        ids = role_cooperative_ids(user=self.request.user, role=Membership.Role.TREASURER)
        return queryset if ids is None else queryset.filter(cooperative__in=ids)

    def _answer(self, batch: PayoutBatch, code: int = status.HTTP_200_OK) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=batch.pk)).data, status=code)

    @extend_schema(request=s.PayoutBatchCreateSerializer, responses={201: s.PayoutBatchSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = s.PayoutBatchCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        batch = payouts.payout_batch_create(
            acting_user=acting_user(request),
            application_ids=data.validated_data["applications"],
            execution_date=data.validated_data["execution_date"],
        )
        return self._answer(batch, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=s.PayoutBatchSerializer)
    @action(detail=True, methods=["post"])
    def export(self, request: Request, pk: str | None = None) -> Response:
        """Fix the batch and make its SEPA file (once; exporting again changes nothing)."""
        batch = payouts.payout_batch_export(
            batch=self.get_object(), acting_user=acting_user(request)
        )
        return self._answer(batch)

    # 409 before the batch is exported: the file is made once, by export.
    @extend_schema(responses={(200, "application/xml"): OpenApiTypes.BINARY, 409: Error})
    @action(detail=True, methods=["get"])
    def sepa(self, request: Request, pk: str | None = None) -> HttpResponse:
        """The pain.001 credit-transfer file to upload to the bank: the same bytes at every
        download, each one audited."""
        file = payouts.payout_file_download(
            batch=self.get_object(), acting_user=acting_user(request)
        )
        response = HttpResponse(bytes(file.content), content_type="application/xml")
        response["Content-Disposition"] = (
            f'attachment; filename="buurtfonds-betaalbatch-{file.batch_id}.xml"'
        )
        response["Cache-Control"] = "no-store"
        return response

    @extend_schema(request=None, responses=s.PayoutBatchSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str | None = None) -> Response:
        """The bank executed the batch: every open transfer is booked as paid."""
        batch = payouts.payout_batch_confirm(
            batch=self.get_object(), acting_user=acting_user(request)
        )
        return self._answer(batch)

    @extend_schema(request=s.ReasonSerializer, responses=s.PayoutBatchSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        data = s.ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        batch = payouts.payout_batch_cancel(
            batch=self.get_object(),
            acting_user=acting_user(request),
            reason=data.validated_data.get("reason", ""),
        )
        return self._answer(batch)
