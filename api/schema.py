"""The OpenAPI schema documents every error an operation can answer, once for all views.

Every error is ``{"code", "detail"}`` (api/exceptions.py): ``fields`` is added for invalid
input, and a domain error may add figures of its own (``min_cents``, ``retryable``, ...).
Which statuses an operation can give follows from what the view is, not from a list kept
by hand:

- 400: it reads a body or query parameters (invalid input), or it changes something (a
  rule of the domain, e.g. submitting a draft that breaks the fund's rules);
- 401: it reads a token (a wrong or expired token is refused, also where anyone may come);
- 403: it needs a login or a role, or it changes something with a session (CSRF);
- 404: it names an object in its path or pages through a list (unknown or not yours, a page
  past the end), or it looks up what its input names;
- 409: it changes something (the state machine said no, or another request won);
- 413: it takes a file; 414: it takes a query (gunicorn's limit on the request line);
- 415: it reads a body (a content type it cannot read);
- 429: it is throttled (the token endpoint also after repeated failed logins);
- 503: it waits on the payment provider (``reaches_payment_provider`` on the view).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django_filters import rest_framework as django_filters
from drf_spectacular.openapi import AutoSchema as BaseAutoSchema
from drf_spectacular.plumbing import ComponentRegistry, get_manager, get_view_model
from drf_spectacular.utils import inline_serializer
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny

UNSAFE = ("POST", "PUT", "PATCH", "DELETE")

DESCRIPTIONS = {
    400: "Invalid input or a rule of the domain: `fields` names what to correct.",
    401: "The token is missing, wrong, expired or revoked.",
    403: "Not allowed for this user (a role is missing), or a session without its CSRF token.",
    404: "Unknown, not visible to this user, or a page past the end.",
    409: "The object's state does not allow this now, or another request won the race.",
    413: "The upload is too large; nothing was stored.",
    414: "The URL is too long: the web server refuses it before the API reads it (no body).",
    415: "That content type is not supported.",
    429: "Too many requests (or failed logins); `Retry-After` says when to try again.",
    503: "The payment provider is unreachable; nothing was half-done, try again later.",
}

Error = inline_serializer(
    name="Error",
    fields={
        "code": serializers.CharField(help_text="Machine-readable, e.g. `not_found`."),
        "detail": serializers.CharField(
            help_text="A sentence in the request's language (Dutch, or English with "
            "`Accept-Language: en`)."
        ),
        "fields": serializers.DictField(
            child=serializers.JSONField(),
            required=False,
            help_text="Invalid input only: the messages per field.",
        ),
        "retryable": serializers.BooleanField(
            required=False, help_text="503 only: the same request may be sent again."
        ),
    },
)


class AutoSchema(BaseAutoSchema):
    def get_operation(
        self,
        path: str,
        path_regex: str,
        path_prefix: str,
        method: str,
        registry: ComponentRegistry,
    ) -> dict[str, Any] | None:
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        responses = operation["responses"]
        for code in sorted(self.error_statuses(operation)):
            if str(code) not in responses:
                if code == 414:
                    responses[str(code)] = {"description": DESCRIPTIONS[code]}
                    continue
                response = self._get_response_for_code(Error, str(code))
                response["description"] = DESCRIPTIONS[code]
                responses[str(code)] = response
        return operation

    def error_statuses(self, operation: dict[str, Any]) -> set[int]:
        view = self.view
        parameters = operation.get("parameters", [])
        has_body = "requestBody" in operation
        in_path = any(p["in"] == "path" for p in parameters)
        in_query = any(p["in"] == "query" for p in parameters)
        public = all(isinstance(p, AllowAny) for p in view.get_permissions())
        authenticators = view.get_authenticators()
        sessions = any(isinstance(a, SessionAuthentication) for a in authenticators)
        unsafe = self.method in UNSAFE

        codes: set[int] = set()
        if has_body or in_query or unsafe:
            codes |= {400, 404}
        if in_query:
            codes.add(414)
        if authenticators:
            codes.add(401)
        if not public or (unsafe and sessions):
            codes.add(403)
        if in_path or self._is_list_view():
            codes.add(404)
        if unsafe:
            codes.add(409)
        if has_body:
            codes.add(415)
            if self._takes_files():
                codes.add(413)
        if view.get_throttles():
            codes.add(429)
        if getattr(view, "reaches_payment_provider", False):
            codes.add(503)
        return codes

    def _takes_files(self) -> bool:
        serializer = self.get_request_serializer()
        if isinstance(serializer, dict):
            serializer = next(iter(serializer.values()), None)
        if not isinstance(serializer, serializers.BaseSerializer) and not (
            isinstance(serializer, type) and issubclass(serializer, serializers.BaseSerializer)
        ):
            return False
        fields = serializer().fields if isinstance(serializer, type) else serializer.fields
        return any(
            isinstance(field, serializers.FileField)
            or isinstance(getattr(field, "child", None), serializers.FileField)
            for field in fields.values()
        )

    def _get_filter_parameters(self) -> list[dict[str, Any]]:
        """The filters' schemas with the bounds their form fields enforce."""
        parameters = super()._get_filter_parameters()
        filterset = self._filterset_class()
        if filterset is None:
            return parameters
        for parameter in parameters:
            filter_ = filterset.base_filters.get(parameter["name"])
            field_class = getattr(filter_, "field_class", None)
            if filter_ is None or field_class is None:
                continue
            if issubclass(field_class, forms.IntegerField):
                schema = parameter["schema"]
                schema["type"] = "integer"
                for bound, key in (("min_value", "minimum"), ("max_value", "maximum")):
                    if filter_.extra.get(bound) is not None:
                        schema[key] = filter_.extra[bound]
            elif isinstance(filter_, django_filters.BooleanFilter):
                parameter["schema"] = {"type": "boolean"}
        return parameters

    def _filterset_class(self) -> Any:
        for backend in self.get_filter_backends():
            if issubclass(backend, django_filters.DjangoFilterBackend):
                model = get_view_model(self.view)
                if model is None:
                    return None
                return backend().get_filterset_class(self.view, get_manager(model).none())
        return None
