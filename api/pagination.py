from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import pagination
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

from .filters import REPEATED


class PageNumberPagination(pagination.PageNumberPagination):
    """``?page=`` and ``?page_size=`` (at most 100), with ``count``, ``next``, ``previous``.

    Both are whole numbers from 1, given once: anything else is a 400 with the field named
    (DRF alone would quietly use the default size for ``page_size=-395``). A page past the
    end is a 404."""

    page_size_query_param = "page_size"
    max_page_size = 100
    max_page = 10**9

    def _whole(self, request: Request, name: str, maximum: int) -> int | None:
        values = request.query_params.getlist(name)
        if not values:
            return None
        if len(values) > 1:
            raise ValidationError({name: [REPEATED]})
        text = values[0].strip()
        number = int(text) if text.isascii() and text.isdigit() and len(text) < 19 else 0
        if not 1 <= number <= maximum:
            message = _("A whole number from 1 to %(maximum)d.") % {"maximum": maximum}
            raise ValidationError({name: [message]})
        return number

    def get_page_size(self, request: Request) -> int:
        size = self._whole(request, self.page_size_query_param, self.max_page_size)
        return size if size is not None else self.page_size  # type: ignore[return-value]

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> Any:
        self._whole(request, self.page_query_param, self.max_page)
        return super().paginate_queryset(queryset, request, view)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            parameter["schema"]["maximum"] = (
                self.max_page_size
                if parameter["name"] == self.page_size_query_param
                else self.max_page
            )
        return parameters
