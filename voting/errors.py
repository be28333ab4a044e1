from django.utils.translation import gettext_lazy as _

from backend.errors import Conflict, Forbidden


class NotResidentOfBuurt(Forbidden):
    code = "not_resident"
    message = _("Only verified residents of this neighbourhood may vote on it.")


class IsApplicant(Forbidden):
    code = "is_applicant"
    message = _("You applied for this yourself, so you cannot vote on it.")


class NotCoordinator(Forbidden):
    code = "not_coordinator"
    message = _("Only a coordinator of this neighbourhood may record a paper ballot.")


class NotVoting(Conflict):
    code = "not_voting"
    message = _("This application is not open for voting.")


class VoteClosed(Conflict):
    code = "vote_closed"
    message = _("The vote has closed.")


class AlreadyVoted(Conflict):
    code = "already_voted"
    message = _(
        "This resident has already voted. A paper ballot can only be corrected by its form number."
    )


class FormNumberTaken(Conflict):
    code = "form_number_taken"
    message = _("This form number belongs to another resident's paper ballot.")


class PaperBallotReplaced(Conflict):
    code = "paper_ballot_replaced"
    message = _("The resident has voted themselves since; their own vote stands.")
