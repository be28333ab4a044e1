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


class RoundDatesInvalid(DomainError):
    code = "round_dates_invalid"
    message = _(
        "The round's dates do not fit: applications close in the future, a ballot window opens before it closes."
    )


class PotBelowMinimum(Conflict):
    code = "pot_below_minimum"
    message = _("The innovation pot holds less than 5 percent of this year's subsidy income.")


class RoundBudgetTooLarge(Conflict):
    code = "round_budget_too_large"
    message = _("The round's budget is more than the innovation pot holds.")


class RoundExists(Conflict):
    code = "round_exists"
    message = _("This fund already has a round for that year.")


class RoundNotOpen(Conflict):
    code = "round_not_open"
    message = _("This fund has no round open for applications.")


class RoundNotAssessing(Conflict):
    code = "round_not_assessing"
    message = _(
        "Applications are assessed once the round's applications are in, until it is decided."
    )


class Recused(Forbidden):
    code = "recused"
    message = _("You declared a link to this application: you cannot assess it or decide on it.")


class AlreadyAssessed(Conflict):
    code = "already_assessed"
    message = _("You assessed this application already.")


class ScoreOutOfRange(DomainError):
    code = "score_out_of_range"
    message = _("Each criterion is scored from 1 to 5.")


class InterestNeedsLink(DomainError):
    code = "interest_needs_link"
    message = _("Name the member organisation or the application you are linked to.")


class NoMemberBallots(Conflict):
    code = "no_member_ballots"
    message = _("Member organisations do not vote in this round.")


class BallotWindowClosed(Conflict):
    code = "ballot_window_closed"
    message = _("The member ballot is not open now.")


class NotVotingMember(Forbidden):
    code = "not_voting_member"
    message = _("Only voting member organisations (stemleden) of this cooperative cast ballots.")


class NotRepresentative(Forbidden):
    code = "not_representative"
    message = _("Only a representative of the organisation may cast its ballot.")


class NotInRound(DomainError):
    code = "not_in_round"
    message = _("A ballot approves only applications submitted to this round.")


class UnknownRule(DomainError):
    code = "unknown_rule"
    message = _("There is no allocation rule by that name.")


class AssessmentsMissing(Conflict):
    code = "assessments_missing"
    message = _("Some applications do not have the assessments the round needs yet.")


class RuleNeedsBallots(DomainError):
    code = "rule_needs_ballots"
    message = _("This rule counts member ballots, and this round has none.")


class BallotStillOpen(Conflict):
    code = "ballot_still_open"
    message = _("The member ballot is still open.")


class NoProposal(Conflict):
    code = "no_proposal"
    message = _("Ask for an allocation first (allocate), then finalize it.")


class TopPrioritiesUncovered(Conflict):
    code = "top_priorities_uncovered"
    message = _(
        "The allocation leaves top priorities uncovered: change it, or give the reason to "
        "accept it (it is published)."
    )


class RoundNotDecided(Conflict):
    code = "round_not_decided"
    message = _("The round is not decided yet.")


class PabulibInvalid(DomainError):
    code = "pabulib_invalid"
    message = _("The file is not a valid pabulib file.")


class PabulibTooLong(DomainError):
    code = "pabulib_too_long"
    message = _(
        "This election takes too long to replay here; use manage.py pabulib_select instead."
    )


class ProposalOutdated(Conflict):
    code = "proposal_outdated"
    message = _(
        "Assessments, ballots or applications changed since the allocation was proposed: "
        "allocate again."
    )


class PayeeLocked(Conflict):
    code = "payee_locked"
    message = _(
        "The payee cannot change any more: the transfer is on its way or paid, or the plan ended."
    )


class NotCityTreasurer(Forbidden):
    code = "not_city_treasurer"
    message = _("Only a treasurer of the city cooperative may close a period of the books.")


class PayoutBatchEmpty(DomainError):
    code = "payout_batch_empty"
    message = _("Choose at least one application, and each one once.")


class PayoutMixedCooperatives(DomainError):
    code = "payout_mixed_cooperatives"
    message = _("A payout batch pays from one cooperative's account: choose its applications only.")


class ExecutionDateInvalid(DomainError):
    code = "execution_date_invalid"
    message = _("The execution date must be today or a day within the coming year.")


class NotPayable(Conflict):
    code = "not_payable"
    message = _("This application cannot be paid now: it is not approved, or it is paid already.")


class InPayoutBatch(Conflict):
    code = "in_payout_batch"
    message = _("This application is already in an open payout batch.")


class CooperativeBankMissing(Conflict):
    code = "cooperative_bank_missing"
    message = _("The cooperative's own IBAN and account holder must be set before paying.")


class PayoutBatchState(Conflict):
    code = "payout_batch_state"
    message = _("This payout batch cannot do that in its current state.")


class PayoutItemsSettled(Conflict):
    code = "payout_items_settled"
    message = _("Some transfers of this batch are settled already; it cannot be cancelled.")


class OwnSourceInvalid(DomainError):
    code = "own_source_invalid"
    message = _(
        "Choose where the money came from: participants, sponsoring, donations, "
        "membership fees or other."
    )


class OwnContributionExceeds(Conflict):
    code = "own_contribution_exceeds"
    message = _("This is more than the own contribution the application promised.")


class OwnContributionNotExpected(Conflict):
    code = "own_contribution_not_expected"
    message = _("This application is not going ahead: no own contribution can be booked for it.")


class BankReferenceReused(Conflict):
    code = "bank_reference_reused"
    message = _("Money with this bank reference was booked before, with another amount or purpose.")


class SepaFileInvalid(Conflict):
    code = "sepa_file_invalid"
    message = _(
        "The SEPA file would not pass the bank's schema; check the cooperative's and the "
        "payees' names and account numbers."
    )
