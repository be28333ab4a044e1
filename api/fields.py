"""Serializer fields that read only what the schema says they take.

DRF's own fields turn a JSON number into text, and ``0``/``1`` or ``"5"`` into a boolean or
a number, where the schema says string, boolean or integer (a receipt sent as ``0`` was
checked as the receipt "0"). In a JSON body these take their own JSON type only; a form
or a query string (text by nature) is read as DRF reads it.
"""

from typing import Any

from django.http import QueryDict
from rest_framework import serializers


def _from_json(field: serializers.Field) -> bool:
    initial = getattr(field.root, "initial_data", None)
    return initial is not None and not isinstance(initial, QueryDict)


class StrictCharField(serializers.CharField):
    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictRegexField(serializers.RegexField):
    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    def to_internal_value(self, data: Any) -> bool:
        if _from_json(self) and not isinstance(data, bool):
            self.fail("invalid", input=data)
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    def to_internal_value(self, data: Any) -> int:
        whole = isinstance(data, int) or (isinstance(data, float) and data.is_integer())
        if _from_json(self) and (isinstance(data, bool) or not whole):
            self.fail("invalid")
        return super().to_internal_value(data)
