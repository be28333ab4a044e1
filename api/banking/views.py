"""The treasurer's bank: statements read back, their lines, reconciliation."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from banking import errors, selectors, services
from banking.models import BankLine, BankStatement
from community.models import Cooperative, Membership
from community.selectors import role_cooperative_ids
from grants.models import Fund

from ..filters import MAX_ID, BooleanFilter, FilterSet, WholeNumberFilter
from ..permissions import acting_user
from . import serializers as s


def _treasurer_ids(request: Request) -> set[int] | None:
    return role_cooperative_ids(user=request.user, role=Membership.Role.TREASURER)


class StatementViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Bank statements of the cooperatives whose treasurer you are; upload one to import it."""

    serializer_class = s.BankStatementSerializer
    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser]

    def get_queryset(self) -> QuerySet[BankStatement]:
        if getattr(self, "swagger_fake_view", False):
            return BankStatement.objects.none()
        ids = _treasurer_ids(self.request)
        queryset = BankStatement.objects.order_by("-closing_date", "-id")
        return queryset if ids is None else queryset.filter(cooperative__in=ids)

    @extend_schema(
        request={"multipart/form-data": s.StatementUploadSerializer},
        responses={201: s.ImportResultSerializer, 200: s.ImportResultSerializer},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Import a CAMT.053 or MT940 file: 201 with what it added, 200 when every line was
        known already. Nothing is stored from a file that cannot be read."""
        try:
            size = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            size = 0
        if size > services.MAX_BYTES + 64 * 1024:  # refused before the body is read
            raise errors.StatementTooLarge(extra={"max_bytes": services.MAX_BYTES})
        data = s.StatementUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        result = services.statement_import(
            data=upload.read(services.MAX_BYTES + 1), acting_user=acting_user(request)
        )
        code = status.HTTP_201_CREATED if result.new_lines else status.HTTP_200_OK
        return Response(s.ImportResultSerializer(result).data, status=code)


class BankLineFilter(FilterSet):
    matched = BooleanFilter(method="filter_matched")
    match = filters.ChoiceFilter(choices=BankLine.Match.choices)
    statement = WholeNumberFilter(field_name="statement", min_value=1, max_value=MAX_ID)
    cooperative = WholeNumberFilter(field_name="cooperative", min_value=1, max_value=MAX_ID)

    class Meta:
        model = BankLine
        fields = ["matched", "match", "statement", "cooperative"]

    def filter_matched(
        self, queryset: QuerySet[BankLine], name: str, value: bool | None
    ) -> QuerySet[BankLine]:
        if value is None:
            return queryset
        unmatched = queryset.filter(match=BankLine.Match.UNMATCHED)
        return queryset.exclude(match=BankLine.Match.UNMATCHED) if value else unmatched


class BankLineViewSet(viewsets.ReadOnlyModelViewSet):
    """Every stored line (``?matched=false``: those no rule matched, for the treasurer)."""

    serializer_class = s.BankLineSerializer
    permission_classes = [IsAuthenticated]
    filterset_class = BankLineFilter

    def get_queryset(self) -> QuerySet[BankLine]:
        if getattr(self, "swagger_fake_view", False):
            return BankLine.objects.none()
        ids = _treasurer_ids(self.request)
        queryset = BankLine.objects.order_by("booking_date", "statement_id", "position", "id")
        return queryset if ids is None else queryset.filter(cooperative__in=ids)

    @extend_schema(request=s.LineBookSerializer, responses=s.BankLineSerializer)
    @action(detail=True, methods=["post"])
    def book(self, request: Request, pk: str | None = None) -> Response:
        """Book a line by hand against an account of the chart, or as a deposit into a fund."""
        data = s.LineBookSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        line = self.get_object()
        fund = None
        if "fund" in data.validated_data:
            fund = Fund.objects.filter(pk=data.validated_data["fund"]).first()
            if fund is None:
                raise errors.FundNotYours(extra={"field": "fund"})
        line = services.line_book(
            line=line,
            acting_user=acting_user(request),
            account=data.validated_data["account"],
            fund=fund,
            description=data.validated_data.get("description", ""),
        )
        return Response(self.get_serializer(line).data)

    @extend_schema(request=s.LineIgnoreSerializer, responses=s.BankLineSerializer)
    @action(detail=True, methods=["post"])
    def ignore(self, request: Request, pk: str | None = None) -> Response:
        data = s.LineIgnoreSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        line = services.line_ignore(
            line=self.get_object(),
            acting_user=acting_user(request),
            reason=data.validated_data["reason"],
        )
        return Response(self.get_serializer(line).data)


class ReconciliationView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[s.ReconciliationQuerySerializer], responses=s.ReconciliationSerializer
    )
    def get(self, request: Request) -> Response:
        """The bank's closing balance of the last statement up to ``date`` beside the books'
        bank account, and the lines that explain the difference."""
        query = s.ReconciliationQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        ids = _treasurer_ids(request)
        mine = Cooperative.objects.exclude(iban="")
        if ids is not None:
            mine = mine.filter(pk__in=ids)
        if "cooperative" in query.validated_data:
            cooperative = get_object_or_404(mine, pk=query.validated_data["cooperative"])
        else:
            found = list(mine[:2])
            if not found:
                raise errors.NotTreasurer()
            if len(found) > 1:
                raise errors.CooperativeRequired(extra={"field": "cooperative"})
            cooperative = found[0]
        result = selectors.reconciliation(cooperative=cooperative, on=query.validated_data["date"])
        return Response(s.ReconciliationSerializer(result).data)
