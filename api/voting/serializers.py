from rest_framework import serializers

from voting.models import Choice

from ..fields import StrictBooleanField, StrictCharField, StrictIntegerField


class VoteSerializer(serializers.Serializer):
    choice = serializers.ChoiceField(choices=Choice.choices)


class AssistedVoteSerializer(serializers.Serializer):
    resident = StrictIntegerField(min_value=1, help_text="the resident's user id")
    choice = serializers.ChoiceField(choices=Choice.choices)
    form_number = serializers.RegexField(
        r"^[A-Za-z0-9-]{1,20}$",
        help_text="the number printed on the paper form; unique per application",
    )


class VoteResultSerializer(serializers.Serializer):
    """Never the choice: a vote's answer is as long for "yes" as for "no"."""

    receipt = StrictCharField(
        allow_null=True,
        help_text="keep it: it shows your ballot counts (only for a first ballot)",
    )


class ReceiptSerializer(serializers.Serializer):
    receipt = StrictCharField(max_length=64, trim_whitespace=True)


class ReceiptCheckSerializer(serializers.Serializer):
    counted = StrictBooleanField()
    application = StrictIntegerField(required=False)
    status = StrictCharField(required=False)
    vote_closed = StrictBooleanField(required=False)
    choice = StrictCharField(required=False, help_text="only to the voter who cast it")
    changed = StrictBooleanField(required=False, help_text="only to the voter who cast it")
    padding = StrictCharField(
        required=False, trim_whitespace=False, help_text="spaces: every voter's answer is as long"
    )
