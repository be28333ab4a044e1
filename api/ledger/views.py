"""The books for treasurers and board members. A role in the city cooperative sees every
project administration; a role in a neighbourhood cooperative sees only its own."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.errors import Forbidden
from community.audit import audit_log
from community.models import Membership
from grants import services as grants_services
from grants.errors import NotTreasurer
from grants.selectors import BOOK_ROLES, books_project, books_scope, holds_book_role
from ledger import exports, selectors
from ledger.models import Account, JournalEntry, ProjectAdministration
from voting.services import settle_on_read

from ..permissions import acting_user
from . import serializers as s


class NotBookkeeper(Forbidden):
    code = "not_treasurer_or_board"
    message = _("Only treasurers and board members may read the books.")


class ReadsBooks(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        if not holds_book_role(user=acting_user(request)):
            raise NotBookkeeper()
        return True


TREASURER = (Membership.Role.TREASURER,)
YEAR = OpenApiParameter(
    "year", {"type": "integer", "minimum": 2000, "maximum": 2200}, required=True
)
PROJECT = OpenApiParameter("project", OpenApiTypes.STR, description="project administration code")


def _project(
    request: Request, code: str | None, roles: tuple[str, ...] = BOOK_ROLES
) -> ProjectAdministration | None:
    return books_project(user=acting_user(request), code=code, roles=roles)


def _query(request: Request, serializer_class: type = s.YearQuerySerializer) -> dict[str, Any]:
    query = serializer_class(data=request.query_params)
    query.is_valid(raise_exception=True)
    return dict(query.validated_data)


class AccountList(generics.ListAPIView):
    """The chart of accounts, mapped onto RJ 640."""

    permission_classes = [IsAuthenticated, ReadsBooks]
    serializer_class = s.AccountSerializer
    queryset = Account.objects.all()


class EntryList(generics.ListAPIView):
    """Journal entries with their lines, newest first; filter by year, period, kind."""

    permission_classes = [IsAuthenticated, ReadsBooks]
    serializer_class = s.JournalEntrySerializer
    filterset_fields = ["fiscal_year", "period", "kind"]

    def get_queryset(self) -> QuerySet[JournalEntry]:
        if getattr(self, "swagger_fake_view", False):
            return JournalEntry.objects.none()
        entries = JournalEntry.objects.order_by("-date", "-id").prefetch_related(
            "lines__account", "lines__project", "lines__earmark"
        )
        scope = books_scope(user=acting_user(self.request))
        if scope is not None:
            entries = entries.filter(lines__project__in=scope).distinct()
        return entries.select_related("created_by")


class TrialBalanceView(APIView):
    permission_classes = [IsAuthenticated, ReadsBooks]

    @extend_schema(parameters=[YEAR, PROJECT], responses=s.TrialBalanceSerializer)
    def get(self, request: Request) -> Response:
        query = _query(request)
        project = _project(request, query.get("project"))
        rows = selectors.trial_balance(year=query["year"], project=project)
        body = {
            "year": query["year"],
            "project": project.code if project else None,
            "accounts": [{**asdict(r), "balance_cents": r.balance_cents} for r in rows],
            "total_debit_cents": sum(r.debit_cents for r in rows),
            "total_credit_cents": sum(r.credit_cents for r in rows),
        }
        return Response(s.TrialBalanceSerializer(body).data)


class IncomeStatementView(APIView):
    """RJ 640's statement of income and expenditure (staat van baten en lasten)."""

    permission_classes = [IsAuthenticated, ReadsBooks]

    @extend_schema(parameters=[YEAR, PROJECT], responses=s.IncomeStatementSerializer)
    def get(self, request: Request) -> Response:
        query = _query(request)
        statement = selectors.income_statement(
            year=query["year"], project=_project(request, query.get("project"))
        )
        return Response(s.IncomeStatementSerializer(asdict(statement)).data)


class BalanceSheetView(APIView):
    permission_classes = [IsAuthenticated, ReadsBooks]

    @extend_schema(parameters=[YEAR, PROJECT], responses=s.BalanceSheetSerializer)
    def get(self, request: Request) -> Response:
        query = _query(request)
        sheet = selectors.balance_sheet(
            year=query["year"], project=_project(request, query.get("project"))
        )
        return Response(s.BalanceSheetSerializer(asdict(sheet)).data)


class OwnContributionView(APIView):
    """Per cooperative: own income by source, money needed, ratio, and the 5% rule."""

    permission_classes = [IsAuthenticated, ReadsBooks]

    @extend_schema(parameters=[YEAR], responses=s.OwnContributionSerializer(many=True))
    def get(self, request: Request) -> Response:
        query = _query(request)
        scope = books_scope(user=acting_user(request))
        codes = None if scope is None else set(scope.values_list("code", flat=True))
        rows = [
            asdict(r)
            for r in selectors.own_contribution(year=query["year"])
            if codes is None or r.project_code in codes
        ]
        return Response(s.OwnContributionSerializer(rows, many=True).data)


class FileFormatNegotiation(DefaultContentNegotiation):
    """``?format=`` names the export's file format here, not a DRF renderer."""

    def select_renderer(self, request: Request, renderers: Any, format_suffix: Any = None) -> Any:
        renderer = renderers[0]
        return renderer, renderer.media_type


class ExportView(APIView):
    """The journal of a fiscal year as CSV, XLSX, XAF 3.2 or beancount, streamed."""

    permission_classes = [IsAuthenticated]
    content_negotiation_class = FileFormatNegotiation

    @extend_schema(
        parameters=[
            YEAR,
            PROJECT,
            OpenApiParameter("format", OpenApiTypes.STR, enum=list(exports.FORMATS), required=True),
            OpenApiParameter("decimal", OpenApiTypes.STR, enum=["point", "comma"]),
        ],
        responses={
            (200, media_type.split(";")[0]): OpenApiTypes.BINARY
            for media_type in sorted(set(exports.CONTENT_TYPES.values()))
        },
    )
    def get(self, request: Request) -> StreamingHttpResponse:
        user = acting_user(request)
        if not holds_book_role(user=user, roles=TREASURER):
            raise NotTreasurer()
        query = _query(request, s.ExportQuerySerializer)
        project = _project(request, query.get("project"), roles=TREASURER)
        fmt, year = query["format"], query["year"]
        audit_log(
            actor=user,
            action="ledger_exported",
            data={"year": year, "format": fmt, "project": project.code if project else None},
        )
        response = StreamingHttpResponse(
            exports.export(year, fmt, project=project, dutch=query["decimal"] == "comma"),
            content_type=exports.CONTENT_TYPES[fmt],
        )
        suffix = f"-{project.code.lower()}" if project else ""
        response["Content-Disposition"] = (
            f'attachment; filename="journaal-{year}{suffix}.{exports.EXTENSIONS[fmt]}"'
        )
        return response


class PeriodCloseView(APIView):
    """Close a month of the books (treasurer of the city cooperative)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=s.PeriodCloseSerializer, responses={201: s.PeriodSerializer})
    def post(self, request: Request) -> Response:
        data = s.PeriodCloseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        settle_on_read()  # windows due in that month are decided first, if they can be
        period = grants_services.books_period_close(
            **data.validated_data, acting_user=acting_user(request)
        )
        return Response(s.PeriodSerializer(period).data, status=status.HTTP_201_CREATED)
