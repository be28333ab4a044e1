"""Serializer fields that read only what the schema says they take."""

from typing import Any

from rest_framework import serializers


class StrictCharField(serializers.CharField):
    """Text only: DRF's own turns a JSON number into text, where the schema says string (a
    receipt sent as ``0`` was checked as the receipt "0")."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)
