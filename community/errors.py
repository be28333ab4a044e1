"""Errors of the community domain, each with its own machine-readable code."""

from django.utils.translation import gettext_lazy as _

from backend.errors import DomainError, Forbidden


class ResidenceCodeInvalid(DomainError):
    code = "residence_code_invalid"
    message = _("This residence code is not known. Check the letter and try again.")


class ResidenceCodeUsed(DomainError):
    code = "residence_code_used"
    message = _("This residence code has already been used.")


class ResidenceCodeExpired(DomainError):
    code = "residence_code_expired"
    message = _(
        "This residence code has expired. Ask your neighbourhood coordinator for a new one."
    )


class NotCoordinator(Forbidden):
    code = "not_coordinator"
    message = _("Only a coordinator of this neighbourhood may do this.")


class UsernameTaken(DomainError):
    code = "username_taken"
    message = _("A user with that username already exists.")


class InvalidCredentials(DomainError):
    code = "invalid_credentials"
    message = _("That username and password do not match.")


class NotResident(DomainError):
    code = "not_resident"
    message = _("You are not a verified resident yet: redeem the code from your letter first.")


class NotStructureAdmin(Forbidden):
    code = "not_structure_admin"
    message = _(
        "Only a board member of the city cooperative may change cooperatives, roles and "
        "representatives."
    )


class PasswordChangeRequired(Forbidden):
    code = "password_change_required"
    message = _(
        "Choose your own password first: log in on the website with the password from your sheet."
    )
