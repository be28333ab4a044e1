"""Why the grants domain said no: each rule has its own code."""

from django.utils.translation import gettext_lazy as _

from backend.errors import Conflict, DomainError, Forbidden, Unavailable


class TransitionNotAllowed(Conflict):
    code = "transition_not_allowed"
    message = _("This application cannot do that in its current state.")


class NotApplicant(Forbidden):
    code = "not_applicant"
    message = _("Only the applicant may do this.")


class NotResident(Forbidden):
    code = "not_resident"
    message = _("Only verified residents of this neighbourhood (or its coordinators) may apply.")


class NotBoard(Forbidden):
    code = "not_board"
    message = _("Only a board member of this cooperative may do this.")


class NotTreasurer(Forbidden):
    code = "not_treasurer"
    message = _("Only a treasurer of this cooperative may do this.")


class AmountOutOfRange(DomainError):
    code = "amount_out_of_range"
    message = _("The amount must be at least 1 euro and at most the fund's maximum.")


class BudgetTooSmall(DomainError):
    code = "budget_too_small"
    message = _("The total budget must be at least the amount requested plus the own contribution.")


class OwnContributionTooSmall(DomainError):
    code = "own_contribution_too_small"
    message = _("The own contribution is below the share of the budget this fund requires.")


class PriorityElsewhere(DomainError):
    code = "priority_other_neighbourhood"
    message = _("A priority must belong to the fund's own neighbourhood.")


class WrongFundKind(DomainError):
    code = "wrong_fund_kind"
    message = _("This is not possible for this kind of fund.")


class PayeeMissing(DomainError):
    code = "payee_missing"
    message = _("A payee name and a valid IBAN are needed before payout.")


class InvalidIban(DomainError):
    code = "iban_invalid"
    message = _("This IBAN is not valid (check the digits).")


class SpentOutOfRange(DomainError):
    code = "spent_out_of_range"
    message = _("The amount spent must be between 0 and the amount paid.")


class ReceiptInvalid(DomainError):
    code = "receipt_invalid"
    message = _("Receipts must be PDF, JPEG or PNG files of at most 10 MB.")


class PriorityRankTaken(Conflict):
    code = "priority_rank_taken"
    message = _("That neighbourhood already has a priority with this rank for this year.")


class NotCoordinatorForPaper(Forbidden):
    code = "not_coordinator"
    message = _("Only a coordinator may enter a paper application for a resident.")


class PaperApplicantNameMissing(DomainError):
    code = "paper_applicant_name_missing"
    message = _("Name the resident this paper application is for.")


class ProjectNotYours(Forbidden):
    code = "project_not_yours"
    message = _("These are the books of another cooperative.")


class UploadTooLarge(DomainError):
    status_code = 413
    code = "upload_too_large"
    message = _("The upload is too large: a report and its receipts may be 25 MB together.")


class WindowsUnsettled(Conflict):
    code = "windows_unsettled"
    message = _("Vote windows that closed in this month are not settled yet; try again shortly.")


class TooManyOpen(Conflict):
    code = "too_many_open"
    message = _(
        "You already have as many applications open in this fund as it allows; wait for "
        "their decision or payment."
    )


class NothingOwed(Conflict):
    code = "nothing_owed"
    message = _("This application owes no money back.")


class ReturnExceedsOwed(Conflict):
    code = "return_exceeds_owed"
    message = _("This is more than the application still owes.")


class ReturnReferenceReused(Conflict):
    code = "return_reference_reused"
    message = _("A return with this bank reference was booked before, with another amount.")


class MoneyOwed(Conflict):
    code = "money_owed"
    message = _("Unspent money is still owed: book its return or write it off before closing.")


class TopUpOutOfRange(DomainError):
    code = "topup_out_of_range"
    message = _("A top-up must be a whole number of cents between the minimum and the maximum.")


class NotAcceptingTopUps(Conflict):
    code = "not_accepting_topups"
    message = _("This application takes top-ups only while it is in voting, approved or paid.")


class TopUpExceedsNeed(Conflict):
    code = "topup_exceeds_need"
    message = _("This is more than the application still lacks.")


class PaymentProviderUnavailable(Unavailable):
    code = "payment_provider_unavailable"
    message = _("The payment provider cannot be reached. Nothing was charged; please try again.")


class SignatureRejected(DomainError):
    code = "signature_invalid"
    message = _("The Stripe signature is missing, wrong or too old.")
