"""Voting over HTTP: cast or change a ballot, record a paper ballot, check a receipt."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from backend.errors import NotFound
from grants.models import Application, Fund
from voting import selectors, services

from ..grants.serializers import ApplicationSerializer
from ..permissions import acting_user
from . import serializers as s


class VoteView(APIView):
    """A verified resident votes yes or no; with the receipt, they change their choice."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=s.VoteSerializer,
        responses={201: s.VoteResultSerializer, 200: s.VoteResultSerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        data = s.VoteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        cast = services.ballot_cast(
            application_id=pk,
            voter=acting_user(request),
            choice=data.validated_data["choice"],
            receipt=data.validated_data.get("receipt") or None,
        )
        body = {"choice": cast.choice, "receipt": cast.receipt}
        return Response(
            body, status=status.HTTP_201_CREATED if cast.created else status.HTTP_200_OK
        )


class AssistedVoteView(APIView):
    """A coordinator records a resident's paper ballot at an information point."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=s.AssistedVoteSerializer, responses={201: s.VoteResultSerializer})
    def post(self, request: Request, pk: int) -> Response:
        data = s.AssistedVoteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        cast = services.ballot_cast(
            application_id=pk,
            voter=data.validated_data["resident"],
            choice=data.validated_data["choice"],
            assisted_by=acting_user(request),
        )
        return Response(
            {"choice": cast.choice, "receipt": cast.receipt}, status=status.HTTP_201_CREATED
        )


class ReceiptView(APIView):
    """Anyone holding a receipt can see that its ballot is counted (never who cast it)."""

    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "verify"

    @extend_schema(responses=s.ReceiptCheckSerializer)
    def get(self, request: Request, receipt: str) -> Response:
        ballot = selectors.ballot_by_receipt(services.hash_receipt(receipt))
        if ballot is None:
            raise NotFound(code="receipt_unknown")
        services.window_settle(application_id=ballot.application_id)  # settle on access
        application = Application.objects.get(pk=ballot.application_id)
        closes = application.vote_closes_at
        body = {
            "application": application.pk,
            "counted": True,
            "choice": ballot.choice,
            "vote_closed": closes is not None and timezone.now() >= closes,
            "status": application.status,
        }
        return Response(s.ReceiptCheckSerializer(body).data)


class FundDecisionList(generics.ListAPIView):
    """The public record of a fund: every decided application with its tally."""

    permission_classes = [AllowAny]
    serializer_class = ApplicationSerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        if getattr(self, "swagger_fake_view", False):
            return Application.objects.none()
        fund = get_object_or_404(Fund, pk=self.kwargs["pk"])
        services.settle_due_windows()
        return (
            Application.objects.filter(fund=fund, decided_at__isnull=False)
            .select_related("fund", "organisation")
            .prefetch_related("priorities", "history__actor", "history__application")
            .order_by("-decided_at")
        )
