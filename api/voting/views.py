"""Voting over HTTP: cast or change a ballot, record a paper ballot, check a receipt."""

from __future__ import annotations

from dataclasses import asdict

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from grants.models import Application, Fund
from voting import services

from ..grants.serializers import ApplicationSerializer
from ..permissions import acting_user
from . import serializers as s


class VoteView(APIView):
    """A verified resident votes yes or no; voting again changes their own choice."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=s.VoteSerializer,
        responses={201: s.VoteResultSerializer, 200: s.VoteResultSerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        data = s.VoteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        cast = services.ballot_cast(
            application_id=pk, voter=acting_user(request), choice=data.validated_data["choice"]
        )
        return _cast_answer(cast)


def _cast_answer(cast: services.CastBallot) -> Response:
    return Response(
        {"receipt": cast.receipt},
        status=status.HTTP_201_CREATED if cast.created else status.HTTP_200_OK,
    )


class AssistedVoteView(APIView):
    """A coordinator records a resident's paper ballot, or corrects it by its form number."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=s.AssistedVoteSerializer,
        responses={201: s.VoteResultSerializer, 200: s.VoteResultSerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        data = s.AssistedVoteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        cast = services.paper_ballot_record(
            application_id=pk,
            coordinator=acting_user(request),
            resident_id=data.validated_data["resident"],
            choice=data.validated_data["choice"],
            form_number=data.validated_data["form_number"],
        )
        return _cast_answer(cast)


class ReceiptCheckView(APIView):
    """Is the ballot behind a receipt counted? The receipt travels in the body, never a URL."""

    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "verify"

    @extend_schema(request=s.ReceiptSerializer, responses=s.ReceiptCheckSerializer)
    def post(self, request: Request) -> Response:
        data = s.ReceiptSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        check = services.receipt_check(receipt=data.validated_data["receipt"], viewer=request.user)
        body = {k: v for k, v in asdict(check).items() if v is not None}
        if check.choice is not None:
            # "yes"/"no" and true/false differ in length: pad so every voter's own answer
            # is as long, whatever it says (access logs record sizes).
            body["padding"] = " " * (8 - len(check.choice) - len(str(check.changed).lower()))
        return Response(s.ReceiptCheckSerializer(body).data)


class FundDecisionList(generics.ListAPIView):
    """The public record of a fund: every decided application with its tally."""

    permission_classes = [AllowAny]
    serializer_class = ApplicationSerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        if getattr(self, "swagger_fake_view", False):
            return Application.objects.none()
        fund = get_object_or_404(Fund, pk=self.kwargs["pk"])
        services.settle_on_read()
        return (
            Application.objects.filter(fund=fund, decided_at__isnull=False)
            .select_related("fund", "organisation")
            .prefetch_related("priorities", "history__actor", "history__application")
            .order_by("-decided_at")
        )
