from rest_framework import serializers

from community.models import User
from voting.models import Choice


class VoteSerializer(serializers.Serializer):
    choice = serializers.ChoiceField(choices=Choice.choices)
    receipt = serializers.CharField(max_length=64, required=False, allow_blank=True)


class AssistedVoteSerializer(serializers.Serializer):
    resident = serializers.PrimaryKeyRelatedField(queryset=User.objects.all())
    choice = serializers.ChoiceField(choices=Choice.choices)


class VoteResultSerializer(serializers.Serializer):
    choice = serializers.CharField()
    receipt = serializers.CharField(
        allow_null=True, help_text="keep it: it shows your ballot counts"
    )


class ReceiptCheckSerializer(serializers.Serializer):
    application = serializers.IntegerField()
    counted = serializers.BooleanField()
    choice = serializers.CharField()
    vote_closed = serializers.BooleanField()
    status = serializers.CharField()
