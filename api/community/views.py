"""Auth, neighbourhoods, residence codes, residency. Serializer -> service -> serializer."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in
from django.db.models import Q, QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from knox.models import AuthToken
from rest_framework import generics, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from community import selectors, services
from community.errors import InvalidCredentials, NotCoordinator, PasswordChangeRequired
from community.models import (
    Cooperative,
    MemberOrganisation,
    Membership,
    Neighbourhood,
    ResidenceCode,
    Residency,
    Wijk,
)

from ..authentication import ExpiringTokenAuthentication
from ..permissions import acting_user
from . import serializers as s


class TokenView(APIView):
    """Exchange a username and password for an API token."""

    permission_classes = [AllowAny]
    authentication_classes: list[type] = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    @extend_schema(request=s.TokenRequestSerializer, responses=s.TokenSerializer)
    def post(self, request: Request) -> Response:
        data = s.TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(request._request, **data.validated_data)
        if user is None or not user.is_active:
            raise InvalidCredentials()
        if getattr(user, "password_change_required", False):
            # The printed one-time password opens only the page to choose one's own.
            raise PasswordChangeRequired()
        # A token per login (per device), valid for REST_KNOX's TOKEN_TTL; only its digest
        # is stored, so the plain token is in this answer and nowhere else.
        instance, token = AuthToken.objects.create(user=user)
        # As a form login does: django-axes clears this username's failures from this
        # address, and last_login is set.
        user_logged_in.send(sender=type(user), request=request._request, user=user)
        return Response({"token": token, "expiry": instance.expiry})


class LogoutView(APIView):
    """Revoke the token this request was made with."""

    permission_classes = [IsAuthenticated]
    authentication_classes = [ExpiringTokenAuthentication]

    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request) -> Response:
        assert isinstance(request.auth, AuthToken)
        request.auth.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutAllView(APIView):
    """Revoke every token of the user (a lost phone, a password that leaked)."""

    permission_classes = [IsAuthenticated]
    authentication_classes = [ExpiringTokenAuthentication]

    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request) -> Response:
        user = acting_user(request)
        AuthToken.objects.filter(user=user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class RegisterView(APIView):
    """Create an account; verify residence afterwards with a code from the letter."""

    permission_classes = [AllowAny]
    authentication_classes: list[type] = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    @extend_schema(request=s.RegisterSerializer, responses={201: s.UserSerializer})
    def post(self, request: Request) -> Response:
        data = s.RegisterSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_register(**data.validated_data)
        return Response(s.UserSerializer(user).data, status=status.HTTP_201_CREATED)


class MeView(APIView):
    """Who am I: roles per cooperative and current residency."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=s.MeSerializer)
    def get(self, request: Request) -> Response:
        user = acting_user(request)
        roles = Membership.objects.filter(user=user, active=True).select_related("cooperative")
        coordinated = selectors.neighbourhoods_for_role(user=user, role=Membership.Role.COORDINATOR)
        body = {
            "id": user.pk,
            "username": user.get_username(),
            "email": getattr(user, "email", ""),
            "roles": roles,
            "cooperatives": sorted({m.cooperative_id for m in roles}),
            "coordinator_of": sorted(coordinated.values_list("pk", flat=True)),
            "residency": selectors.current_residency(user=user),
        }
        return Response(s.MeSerializer(body).data)


class WijkViewSet(viewsets.ReadOnlyModelViewSet):
    """The ten wijken of Utrecht with their buurten."""

    permission_classes = [AllowAny]
    serializer_class = s.WijkWithNeighbourhoodsSerializer
    queryset = Wijk.objects.prefetch_related("neighbourhoods")


class NeighbourhoodViewSet(viewsets.ReadOnlyModelViewSet):
    """Buurten (with their wijk). Coordinators issue residence codes for theirs."""

    serializer_class = s.NeighbourhoodSerializer
    queryset = Neighbourhood.objects.select_related("wijk")
    filterset_fields = ["wijk"]

    def get_permissions(self) -> list:
        if self.action in ("list", "retrieve"):
            return [AllowAny()]
        return [IsAuthenticated()]

    @extend_schema(
        methods=["post"],
        request=s.ResidenceCodeIssueSerializer,
        responses={201: s.ResidenceCodeBatchSerializer},
        description="Issue single-use residence codes; the plain codes are in this answer only.",
    )
    @extend_schema(methods=["get"], responses=s.ResidenceCodeSerializer(many=True))
    @action(detail=True, methods=["get", "post"], url_path="voting-codes")
    def voting_codes(self, request: Request, pk: str | None = None) -> Response:
        neighbourhood = self.get_object()
        if request.method == "POST":
            data = s.ResidenceCodeIssueSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            batch = services.residence_codes_issue(
                neighbourhood=neighbourhood,
                count=data.validated_data["count"],
                acting_user=acting_user(request),
            )
            body = {
                "neighbourhood": neighbourhood.pk,
                "count": len(batch.codes),
                "expires_at": batch.expires_at,
                "codes": batch.codes,
            }
            return Response(
                s.ResidenceCodeBatchSerializer(body).data, status=status.HTTP_201_CREATED
            )
        if not selectors.user_has_role(
            user=acting_user(request), role="coordinator", neighbourhood=neighbourhood
        ):
            raise NotCoordinator()
        page = self.paginate_queryset(
            ResidenceCode.objects.filter(neighbourhood=neighbourhood).select_related("issued_by")
        )
        return self.get_paginated_response(s.ResidenceCodeSerializer(page, many=True).data)


class ResidenceCodeListView(generics.ListAPIView):
    """Residence codes of every buurt the caller coordinates (never the codes themselves)."""

    permission_classes = [IsAuthenticated]
    serializer_class = s.ResidenceCodeSerializer
    filterset_fields = ["neighbourhood"]

    def get_queryset(self) -> QuerySet[ResidenceCode]:
        mine = selectors.neighbourhoods_for_role(user=acting_user(self.request), role="coordinator")
        return ResidenceCode.objects.filter(neighbourhood__in=mine).select_related("issued_by")


class VerifyResidencyView(APIView):
    """Redeem the code from the letter: become a verified resident of that buurt."""

    permission_classes = [IsAuthenticated]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "verify"

    @extend_schema(request=s.VerifySerializer, responses={201: s.ResidencySerializer})
    def post(self, request: Request) -> Response:
        data = s.VerifySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        residency = services.residency_verify(
            user=acting_user(request), code=data.validated_data["code"]
        )
        return Response(s.ResidencySerializer(residency).data, status=status.HTTP_201_CREATED)


class ResidencySettingsView(APIView):
    """My residency: opt in to an e-mail when a new vote opens in my buurt."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=s.ResidencySettingsSerializer, responses=s.ResidencySerializer)
    def patch(self, request: Request) -> Response:
        data = s.ResidencySettingsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        residency = services.residency_settings_update(
            user=acting_user(request), notify_new_votes=data.validated_data.get("notify_new_votes")
        )
        return Response(s.ResidencySerializer(residency).data)


class CooperativeViewSet(viewsets.ReadOnlyModelViewSet):
    """The city cooperative and its neighbourhood cooperatives, with the buurten they cover
    (a board member finds the id to open a fund with)."""

    permission_classes = [AllowAny]
    serializer_class = s.CooperativeSerializer
    queryset = Cooperative.objects.prefetch_related(
        "neighbourhoods", "members__neighbourhoods"
    ).order_by("kind", "name")
    filterset_fields = ["kind", "parent"]


class MemberOrganisationViewSet(viewsets.ReadOnlyModelViewSet):
    """The cooperatives' member organisations (voting members and supporting members)."""

    permission_classes = [AllowAny]
    serializer_class = s.MemberOrganisationSerializer
    queryset = MemberOrganisation.objects.prefetch_related("neighbourhoods").order_by("name")
    filterset_fields = ["cooperative", "member_kind"]


class ResidentListView(generics.ListAPIView):
    """Verified residents of the buurten you coordinate, to find the person at the desk (for
    a paper ballot or application): ``?search=`` on user name or name, ``?neighbourhood=``."""

    permission_classes = [IsAuthenticated]
    serializer_class = s.ResidentSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("search", str, description="part of the user name or name"),
            OpenApiParameter("neighbourhood", int),
        ]
    )
    def get(self, request: Request, *args: object, **kwargs: object) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Residency]:
        if getattr(self, "swagger_fake_view", False):
            return Residency.objects.none()
        user = acting_user(self.request)
        buurten = selectors.neighbourhoods_for_role(user=user, role=Membership.Role.COORDINATOR)
        if not buurten.exists():
            raise NotCoordinator()
        residents = Residency.objects.filter(
            ended_at__isnull=True, neighbourhood__in=buurten
        ).select_related("user")
        query = s.ResidentQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        if query.validated_data.get("neighbourhood"):
            residents = residents.filter(neighbourhood_id=query.validated_data["neighbourhood"])
        search = query.validated_data.get("search", "").strip()
        if search:
            residents = residents.filter(
                Q(user__username__icontains=search)
                | Q(user__first_name__icontains=search)
                | Q(user__last_name__icontains=search)
            )
        return residents.order_by("user__username")
