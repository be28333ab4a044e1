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


class FilterSet(filters.FilterSet):
    """The base of every filter set: relations and integer columns filter by a bounded whole
    number (``?fund=999999`` is an empty list, not "select a valid choice")."""

    FILTER_DEFAULTS = {
        **filters.FilterSet.FILTER_DEFAULTS,
        models.AutoField: {"filter_class": WholeNumberFilter, "extra": _id_filter},
        models.BigAutoField: {"filter_class": WholeNumberFilter, "extra": _id_filter},
        models.IntegerField: {"filter_class": WholeNumberFilter, "extra": _int_filter},
        models.ForeignKey: {"filter_class": WholeNumberFilter, "extra": _id_filter},
        models.OneToOneField: {"filter_class": WholeNumberFilter, "extra": _id_filter},
        models.ManyToManyField: {"filter_class": WholeNumberFilter, "extra": _id_filter},
    }


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
