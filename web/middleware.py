"""Someone registered at an information point logs in with the printed one-time password and
chooses their own before anything else."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect

from community.errors import PasswordChangeRequired as PasswordChangeRequiredError

# Where such a person may still go: choosing the password, leaving, and what pages need.
ALLOWED = ("/wachtwoord-wijzigen/", "/uitloggen/", "/static/", "/i18n/", "/toegankelijkheid/")


class PasswordChangeRequired:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and getattr(user, "password_change_required", False)
            and not request.path.startswith(ALLOWED)
        ):
            if request.path.startswith("/api/"):
                # The browser's session on the API: the same rule, as the API answers.
                error = PasswordChangeRequiredError()
                return JsonResponse({"code": error.code, "detail": str(error.message)}, status=403)
            return redirect("web:password_change")
        return self.get_response(request)
