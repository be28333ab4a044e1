from django.contrib.auth import get_user_model
from rest_framework import serializers

from community.models import (
    Cooperative,
    MemberOrganisation,
    Membership,
    Neighbourhood,
    ResidenceCode,
    Residency,
    Wijk,
)

from ..fields import StrictBooleanField, StrictCharField, StrictIntegerField

User = get_user_model()


class WijkSerializer(serializers.ModelSerializer):
    class Meta:
        model = Wijk
        fields = ["id", "name", "slug"]


class NeighbourhoodSerializer(serializers.ModelSerializer):
    wijk = WijkSerializer(read_only=True)

    class Meta:
        model = Neighbourhood
        fields = ["id", "name", "slug", "wijk"]


class NeighbourhoodBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Neighbourhood
        fields = ["id", "name", "slug"]


class WijkWithNeighbourhoodsSerializer(serializers.ModelSerializer):
    neighbourhoods = NeighbourhoodBriefSerializer(many=True, read_only=True)

    class Meta:
        model = Wijk
        fields = ["id", "name", "slug", "neighbourhoods"]


class TokenRequestSerializer(serializers.Serializer):
    username = StrictCharField(max_length=150)
    password = StrictCharField(max_length=128, trim_whitespace=False)


class TokenSerializer(serializers.Serializer):
    token = StrictCharField(help_text='send as "Authorization: Token <token>"')
    expiry = serializers.DateTimeField(help_text="after this the token no longer works")


class RegisterSerializer(serializers.Serializer):
    username = serializers.RegexField(r"^[\w.@+-]+\Z", max_length=150)
    email = serializers.EmailField(max_length=254)
    password = StrictCharField(max_length=128, write_only=True, trim_whitespace=False)


class MembershipSerializer(serializers.ModelSerializer):
    cooperative: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    cooperative_id = StrictIntegerField(read_only=True)

    class Meta:
        model = Membership
        fields = ["cooperative", "cooperative_id", "role"]


class CooperativeSerializer(serializers.ModelSerializer):
    buurten = serializers.SerializerMethodField(help_text="ids of the buurten it covers")

    class Meta:
        model = Cooperative
        fields = ["id", "slug", "name", "kind", "parent", "buurten"]

    def get_buurten(self, cooperative: Cooperative) -> list[int]:
        own = {n.pk for n in cooperative.neighbourhoods.all()}
        for member in cooperative.members.all():
            own |= {n.pk for n in member.neighbourhoods.all()}
        return sorted(own)


class MemberOrganisationSerializer(serializers.ModelSerializer):
    class Meta:
        model = MemberOrganisation
        fields = ["id", "name", "cooperative", "member_kind", "neighbourhoods"]


class ResidentSerializer(serializers.Serializer):
    """A verified resident as a coordinator at the desk finds them (no e-mail address)."""

    id = StrictIntegerField(source="user.pk")
    username = StrictCharField(source="user.username")
    name = StrictCharField(source="user.get_full_name")
    neighbourhood = StrictIntegerField(source="neighbourhood_id")
    verified_at = serializers.DateTimeField()


class ResidencySerializer(serializers.ModelSerializer):
    neighbourhood = NeighbourhoodSerializer(read_only=True)

    class Meta:
        model = Residency
        fields = ["neighbourhood", "verified_at", "notify_new_votes"]


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username", "email"]


class MeSerializer(serializers.Serializer):
    id = StrictIntegerField()
    username = StrictCharField()
    email = serializers.EmailField()
    roles = MembershipSerializer(many=True)
    cooperatives = serializers.ListField(
        child=StrictIntegerField(), help_text="ids of the cooperatives where you hold a role"
    )
    coordinator_of = serializers.ListField(
        child=StrictIntegerField(), help_text="ids of the buurten you coordinate"
    )
    residency = ResidencySerializer(allow_null=True)


class ResidenceCodeIssueSerializer(serializers.Serializer):
    count = StrictIntegerField(min_value=1, max_value=1000)


class ResidenceCodeBatchSerializer(serializers.Serializer):
    neighbourhood = StrictIntegerField()
    count = StrictIntegerField()
    expires_at = serializers.DateTimeField()
    codes = serializers.ListField(child=StrictCharField())


class ResidenceCodeSerializer(serializers.ModelSerializer):
    """A code's bookkeeping, never the code: the plain text is not stored."""

    issued_by: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    redeemed = serializers.SerializerMethodField()

    class Meta:
        model = ResidenceCode
        fields = [
            "id",
            "neighbourhood",
            "issued_by",
            "issued_at",
            "expires_at",
            "redeemed",
            "redeemed_at",
        ]

    def get_redeemed(self, code: ResidenceCode) -> bool:
        return code.redeemed_at is not None


class VerifySerializer(serializers.Serializer):
    code = StrictCharField(max_length=40)


class ResidencySettingsSerializer(serializers.Serializer):
    """A PATCH: a field left out stays as it is."""

    notify_new_votes = StrictBooleanField(required=False)


class ResidentQuerySerializer(serializers.Serializer):
    search = StrictCharField(max_length=100, required=False, allow_blank=True)
    neighbourhood = StrictIntegerField(min_value=1, max_value=2**31 - 1, required=False)
