"""Query filters that answer what the schema promises.

Every id or whole-number filter takes a whole number in a stated range (a 400 otherwise, and
the schema says the range), an unknown id filters to nothing rather than a 400, and a filter
given twice is a 400 instead of silently using the last value.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db import models
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from django_filters.widgets import BooleanWidget
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

MAX_ID = 2**62
# A PostgreSQL integer column; a larger number would only fail in the database.
MAX_INT = 2**31 - 1

REPEATED = _("Give this parameter once.")


class WholeNumberFilter(filters.NumberFilter):
    """Whole numbers only: "-1.84e-177" is a 400, not a crash in the year lookup."""

    field_class = forms.IntegerField


def _id_filter(field: models.Field) -> dict[str, Any]:
    return {"min_value": 1, "max_value": MAX_ID}


def _int_filter(field: models.Field) -> dict[str, Any]:
    return {"min_value": -MAX_INT - 1, "max_value": MAX_INT}


class StrictBooleanField(forms.NullBooleanField):
    """true/false (or 1/0) only: "AAA" is a 400, where Django reads it as "not given"."""

    VALUES = {"true": True, "1": True, "false": False, "0": False}

    def to_python(self, value: Any) -> bool | None:  # type: ignore[override]
        if value in (None, ""):
            return None
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text not in self.VALUES:
            raise forms.ValidationError(_("Give true or false."), code="invalid")
        return self.VALUES[text]

    def validate(self, value: Any) -> None:
        return None


class StrictBooleanWidget(BooleanWidget):
    """Hands an unknown value on to the field (which refuses it) instead of dropping it."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        value = data.get(name)
        known = super().value_from_datadict(data, files, name)
        return value if known is None and value not in (None, "") else known


class BooleanFilter(filters.BooleanFilter):
    field_class = StrictBooleanField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", StrictBooleanWidget)
        super().__init__(*args, **kwargs)


def _default_for(field_class: type) -> dict[str, Any] | None:
    if issubclass(field_class, (models.AutoField, models.ForeignKey, models.ManyToManyField)):
        return {"filter_class": WholeNumberFilter, "extra": _id_filter}
    if issubclass(field_class, models.IntegerField):
        return {"filter_class": WholeNumberFilter, "extra": _int_filter}
    if issubclass(field_class, models.BooleanField):
        return {"filter_class": BooleanFilter}
    return None


def _filter_defaults() -> dict[type, dict[str, Any]]:
    defaults = dict(filters.FilterSet.FILTER_DEFAULTS)
    for field_class in (
        *defaults,
        models.AutoField,
        models.BigAutoField,
        models.ForeignKey,
        models.OneToOneField,
        models.ManyToManyField,
    ):
        default = _default_for(field_class)
        if default is not None:
            defaults[field_class] = default
    return defaults


class FilterSet(filters.FilterSet):
    """The base of every filter set: relations and integer columns filter by a bounded whole
    number (``?fund=999999`` is an empty list, not "select a valid choice"), booleans take
    true or false only."""

    FILTER_DEFAULTS = _filter_defaults()


class FilterBackend(filters.DjangoFilterBackend):
    filterset_base = FilterSet

    def filter_queryset(self, request: Request, queryset: QuerySet, view: Any) -> QuerySet:
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None:
            reject_repeated(request, list(filterset_class.base_filters))
        return super().filter_queryset(request, queryset, view)


def reject_repeated(request: Request, names: list[str]) -> None:
    """A 400 for a single-valued query parameter given more than once."""
    repeated = {name: [REPEATED] for name in names if len(request.query_params.getlist(name)) > 1}
    if repeated:
        raise ValidationError(repeated)
