"""Why the ledger refused a posting. Nothing of a refused entry is written."""

from django.utils.translation import gettext_lazy as _

from backend.errors import Conflict, DomainError


class LedgerError(DomainError):
    code = "ledger_invalid"
    message = _("The books refuse this entry.")


class UnbalancedEntry(LedgerError):
    code = "entry_unbalanced"
    message = _("Debits and credits of an entry must be equal.")


class TooFewLines(LedgerError):
    code = "entry_too_few_lines"
    message = _("An entry needs at least two lines.")


class InvalidAmount(LedgerError):
    code = "amount_invalid"
    message = _("Amounts are whole cents greater than zero.")


class InvalidCurrency(LedgerError):
    code = "currency_invalid"
    message = _("The books are kept in euros only.")


class UnknownAccount(LedgerError):
    code = "account_unknown"
    message = _("That account does not exist in the chart of accounts.")


class ClosedAccount(LedgerError):
    code = "account_closed"
    message = _("That account is closed for posting.")


class PeriodClosed(Conflict):
    code = "period_closed"
    message = _("That period is closed; post a correction in an open period.")


class PeriodNotEnded(Conflict):
    code = "period_not_ended"
    message = _("Only a month that has ended can be closed.")


class IdempotencyMismatch(Conflict):
    code = "idempotency_key_reused"
    message = _("This idempotency key was already used for a different entry.")


class InsufficientFunds(Conflict):
    code = "insufficient_funds"
    message = _("The fund does not hold enough money for this.")


class ProjectRequired(LedgerError):
    code = "project_required"
    message = _("You keep the books of several cooperatives: choose one with ?project=.")
