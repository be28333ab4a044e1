"""Why the bank side said no: each rule has its own code."""

from django.utils.translation import gettext_lazy as _

from backend.errors import Conflict, DomainError, Forbidden


class NotTreasurer(Forbidden):
    code = "not_treasurer"
    message = _("Only a treasurer of this cooperative may do this.")


class StatementInvalid(DomainError):
    code = "statement_invalid"
    message = _("This file is not a bank statement we can read (CAMT.053 or MT940).")


class StatementTooLarge(DomainError):
    code = "statement_too_large"
    message = _("This file is too large for a bank statement.")


class StatementAccountUnknown(DomainError):
    code = "statement_account_unknown"
    message = _("This statement is of an account that is not your cooperative's own account.")


class LineHandled(Conflict):
    code = "bank_line_handled"
    message = _("This bank line is matched or handled already.")


class AccountNotBookable(DomainError):
    code = "account_not_bookable"
    message = _(
        "Book a bank line by hand against an income or expense account, the Stripe clearing "
        "account or the general reserve; funds and grants have their own actions."
    )


class FundNotYours(DomainError):
    code = "fund_not_yours"
    message = _("A deposit goes into a fund of the cooperative whose account received it.")


class CooperativeRequired(DomainError):
    code = "cooperative_required"
    message = _("You keep the books of several cooperatives: choose one.")
