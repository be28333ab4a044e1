"""Casting, changing and settling votes. The server's clock decides, never a task's timing:
a ballot at or after ``vote_closes_at`` is refused, and the decision counts the ballots cast
before it, whenever it is computed (by the scheduled task, the sweep, or a reader).

Ballots are secret in the stored data, not only in the API: see :mod:`voting.seal` for what
a copy of the database, the audit trail or the logs can and cannot tell, and why the
ballot key is needed to link a voter to a choice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from backend.errors import NotFound
from backend.faults import pause_point
from backend.queue import enqueue_on_commit
from community.audit import audit_log
from community.models import MemberOrganisation, Membership, Neighbourhood, Residency, User
from community.selectors import user_has_role
from grants import services as grants
from grants.models import Application, Fund

from . import errors, seal, tasks
from .models import Choice, Participation
from .selectors import tallies

logger = logging.getLogger(__name__)
MAX_ID = 2**63 - 1  # beyond a bigint nothing exists (and SQLite would overflow)


@dataclass(frozen=True)
class CastBallot:
    receipt: str | None  # given once, for a first ballot; None when a ballot was sealed again
    created: bool


def vote_open(*, application: Application, acting_user: User) -> Application:
    """Submit an application to its Buurtfonds: the rules and reservation (grants), then the
    vote window: settling is scheduled for its close, and subscribed residents hear of it."""
    with transaction.atomic():
        application = grants.application_submit(application=application, acting_user=acting_user)
        enqueue_on_commit(tasks.settle_window, application.pk, eta=application.vote_closes_at)
        enqueue_on_commit(tasks.notify_vote_opened, application.pk)
    return application


@dataclass(frozen=True)
class VotingState:
    """What casting a ballot needs to know of an application and a voter, read in one query."""

    status: str
    submitted: bool
    vote_closes_at: datetime | None
    neighbourhood_id: int | None
    voter_is_resident: bool
    voter_is_applicant: bool

    def refusal(self, *, now: datetime) -> Exception | None:
        """Why this voter may not vote now, or None. The rules themselves are the SQL below."""
        if not self.submitted:
            return NotFound()  # a draft is as unknown here as it is to GET
        if self.status != Application.Status.VOTING:
            return errors.NotVoting(extra={"status": self.status})
        if self.vote_closes_at is None or now >= self.vote_closes_at:
            return errors.VoteClosed()
        if not self.voter_is_resident:
            return errors.NotResidentOfBuurt()
        if self.voter_is_applicant:
            return errors.IsApplicant()
        return None


# Who may vote, written once: a current resident of the fund's buurt who is not the applicant,
# the coordinator who entered a paper application, nor a representative of the applying
# organisation. Both the one-statement first vote and the transaction read it from here.
_STATE_COLUMNS = (
    # Table names from model meta; values are bound parameters.
    ""  # nosec B608
    f"""
    a.status, a.vote_opens_at IS NOT NULL AS submitted, a.vote_closes_at, f.neighbourhood_id,
    EXISTS (SELECT 1 FROM {Residency._meta.db_table} r WHERE r.user_id = %(voter)s
            AND r.neighbourhood_id = f.neighbourhood_id AND r.ended_at IS NULL) AS resident,
    (%(voter)s = a.applicant_id OR %(voter)s = COALESCE(a.entered_by_id, 0)
     OR (a.organisation_id IS NOT NULL AND EXISTS (
        SELECT 1 FROM {MemberOrganisation.representatives.through._meta.db_table} mr
         WHERE mr.memberorganisation_id = a.organisation_id AND mr.user_id = %(voter)s))
    ) AS applicant
"""
)
_STATE_FROM = (
    f" FROM {Application._meta.db_table} a JOIN {Fund._meta.db_table} f ON f.id = a.fund_id"
    f" WHERE a.id = %(application)s"
)
# PostgreSQL: a first vote in one autocommitted statement, nothing else in its transaction.
# The state is read under a share lock (settling takes the row for update, so it waits for
# ballots in flight); the participation is inserted only when the vote is open and the voter
# eligible, and not at all when the voter has one already (then the choice is sealed again).
_FIRST_VOTE_SQL = (
    # Table names from model meta; values are bound parameters.
    ""  # nosec B608
    f"""
WITH st AS (
    SELECT a.id, {_STATE_COLUMNS} {_STATE_FROM} FOR SHARE OF a
), p AS (
    INSERT INTO {Participation._meta.db_table} (application_id, voter_id, sealed, receipt_hash)
    SELECT st.id, %(voter)s, %(sealed)s, %(receipt_hash)s FROM st
     WHERE st.status = 'voting' AND %(now)s < st.vote_closes_at AND st.resident
       AND NOT st.applicant
    ON CONFLICT (application_id, voter_id) DO NOTHING
    RETURNING 1
)
SELECT st.status, st.submitted, st.vote_closes_at, st.neighbourhood_id, st.resident,
       st.applicant, (SELECT count(*) FROM p)
  FROM st
"""
)


def _state_from_row(row: tuple[Any, ...]) -> VotingState:
    status, submitted, closes_at, neighbourhood_id, resident, applicant = row[:6]
    if isinstance(closes_at, str):  # SQLite hands back naive UTC text
        closes_at = parse_datetime(closes_at)
    if closes_at is not None and timezone.is_naive(closes_at):
        closes_at = timezone.make_aware(closes_at, UTC)
    return VotingState(
        status=status,
        submitted=bool(submitted),
        vote_closes_at=closes_at,
        neighbourhood_id=neighbourhood_id,
        voter_is_resident=bool(resident),
        voter_is_applicant=bool(applicant),
    )


def _voting_state(application_id: int, voter_id: int) -> VotingState:
    """Inside the ballot's transaction, with a share lock on PostgreSQL (see above)."""
    lock = " FOR SHARE OF a" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {_STATE_COLUMNS} {_STATE_FROM}{lock}",
            {"voter": voter_id, "application": application_id},
        )
        row = cursor.fetchone()
    if row is None:
        raise NotFound()
    return _state_from_row(row)


def _open_for(application_id: int, voter_id: int) -> None:
    refusal = _voting_state(application_id, voter_id).refusal(now=timezone.now())
    if refusal is not None:
        raise refusal


def _reopen(participation: Participation) -> seal.Sealed | None:
    """The choice a participation holds now, or None when its seal does not open."""
    if participation.sealed is None:
        return None
    try:
        return seal.unseal(
            application_id=participation.application_id,
            voter_id=participation.voter_id,
            sealed=participation.sealed,
        )
    except seal.SealBroken:
        logger.error(
            "A sealed ballot on application %s does not open.", participation.application_id
        )
        return None


def _seal_again(
    participation: Participation, before: seal.Sealed | None, *, choice: str, paper: bool
) -> None:
    """Seal ``choice`` into a locked participation; "changed" sticks once the choice moved."""
    changed = before is None or before.changed or before.choice != choice
    participation.sealed = seal.seal(
        application_id=participation.application_id,
        voter_id=participation.voter_id,
        sealed=seal.Sealed(choice=choice, changed=changed, paper=paper),
    )
    participation.save(update_fields=["sealed"])


def _participation_create(
    application_id: int,
    voter: User,
    *,
    choice: str,
    receipt: str,
    paper_by: User | None = None,
    form_number: str | None = None,
) -> Participation:
    return Participation.objects.create(
        application_id=application_id,
        voter=voter,
        assisted_by=paper_by,
        form_number=form_number,
        sealed=seal.seal(
            application_id=application_id,
            voter_id=voter.pk,
            sealed=seal.Sealed(choice=choice, paper=paper_by is not None),
        ),
        receipt_hash=seal.receipt_hash(receipt),
    )


def ballot_cast(*, application_id: int, voter: User, choice: str) -> CastBallot:
    """The logged-in voter casts their ballot, or seals a new choice into the one they have.

    A first ballot returns a receipt that proves it is counted. Voting again while the
    window is open changes the choice (also over a paper ballot recorded in the voter's
    name); nobody else can change it, and no receipt is needed or accepted for it. Every
    repeated vote seals again, whether or not the choice differs, so the database cannot
    tell a change from a repeat.

    Nothing but the participation row is written in a vote's transaction: no audit event
    (its row would share the transaction), no counter. One participation per voter per
    application is a unique constraint, so parallel first votes by one person give one
    row; a parallel change waits for the row's lock, so two changes move one vote.
    """
    if choice not in Choice.values:
        raise ValueError(choice)
    if not 0 < application_id <= MAX_ID:
        raise NotFound()
    receipt = seal.new_receipt()
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        params: dict[str, Any] = {
            "application": application_id,
            "voter": voter.pk,
            "now": timezone.now(),
            "sealed": seal.seal(
                application_id=application_id, voter_id=voter.pk, sealed=seal.Sealed(choice=choice)
            ),
            "receipt_hash": seal.receipt_hash(receipt),
        }
        with connection.cursor() as cursor:
            cursor.execute(_FIRST_VOTE_SQL, params)
            row = cursor.fetchone()
        if row is None:
            raise NotFound()
        if row[6]:
            return CastBallot(receipt=receipt, created=True)
        refusal = _state_from_row(row).refusal(now=params["now"])
        if refusal is not None:
            raise refusal
        # Open and eligible but nothing inserted: the voter has a ballot; seal the new choice.
    with transaction.atomic():
        _open_for(application_id, voter.pk)
        participation = (
            Participation.objects.select_for_update()
            .filter(application_id=application_id, voter=voter)
            .first()
        )
        if participation is None:
            _participation_create(application_id, voter, choice=choice, receipt=receipt)
            return CastBallot(receipt=receipt, created=True)
        _seal_again(participation, _reopen(participation), choice=choice, paper=False)
    return CastBallot(receipt=None, created=False)


def paper_ballot_record(
    *,
    application_id: int,
    coordinator: User,
    resident_id: int,
    choice: str,
    form_number: str,
) -> CastBallot:
    """A coordinator enters a resident's paper ballot, or corrects it by its form number.

    The coordinator's role is checked before anything about the resident, so nobody else
    learns who lives where. A paper ballot never overrides a resident's own vote: when
    the resident voted (or replaced the paper ballot) themselves, it is refused. The
    resident is e-mailed that a paper ballot was recorded in their name (never the
    choice), and the audit event is written after the ballot's transaction has committed.
    """
    if choice not in Choice.values:
        raise ValueError(choice)
    form_number = form_number.strip()
    application = (
        Application.objects.select_related("fund")
        .filter(pk=application_id, vote_opens_at__isnull=False)
        .first()
        if 0 < application_id <= MAX_ID
        else None
    )
    if application is None:
        raise NotFound()  # unknown, or a draft: alike to everyone
    neighbourhood_id = application.fund.neighbourhood_id
    if neighbourhood_id is None or not user_has_role(
        user=coordinator,
        role=Membership.Role.COORDINATOR,
        neighbourhood=Neighbourhood(pk=neighbourhood_id),
    ):
        raise errors.NotCoordinator()
    resident = User.objects.filter(pk=resident_id, is_active=True).first()
    if resident is None:
        raise errors.NotResidentOfBuurt()
    receipt = seal.new_receipt()
    with transaction.atomic():
        _open_for(application_id, resident.pk)
        by_form = (
            Participation.objects.select_for_update()
            .filter(application_id=application_id, form_number=form_number)
            .first()
        )
        if by_form is not None:
            if by_form.voter_id != resident.pk:
                raise errors.FormNumberTaken()
            before = _reopen(by_form)
            if before is not None and not before.paper:
                raise errors.PaperBallotReplaced()
            _seal_again(by_form, before, choice=choice, paper=True)
            cast = CastBallot(receipt=None, created=False)
        else:
            try:
                with transaction.atomic():
                    _participation_create(
                        application_id,
                        resident,
                        choice=choice,
                        receipt=receipt,
                        paper_by=coordinator,
                        form_number=form_number,
                    )
            except IntegrityError as exc:
                raise errors.AlreadyVoted() from exc
            cast = CastBallot(receipt=receipt, created=True)
        action = "paper_ballot_recorded" if cast.created else "paper_ballot_corrected"
        audit = {"application": application_id, "resident": resident.pk, "form": form_number}
        transaction.on_commit(
            lambda: audit_log(actor=coordinator, action=action, obj=application, data=audit)
        )
        enqueue_on_commit(tasks.notify_paper_ballot, application_id, resident.pk, form_number)
    return cast


@dataclass(frozen=True)
class ReceiptCheck:
    """What a receipt shows. The choice and whether it changed: only to its own voter."""

    counted: bool
    application: int | None = None
    status: str | None = None
    vote_closed: bool | None = None
    choice: str | None = None
    changed: bool | None = None


def receipt_check(*, receipt: str, viewer: User | AnonymousUser) -> ReceiptCheck:
    """Is the ballot behind this receipt counted? Someone else's receipt, presented by a
    logged-in user, answers exactly like an unknown one; anyone not logged in learns that
    it is counted and nothing more; the voter also sees the choice."""
    participation = (
        Participation.objects.filter(receipt_hash=seal.receipt_hash(receipt)).first()
        if receipt
        else None
    )
    if participation is None or (viewer.is_authenticated and viewer.pk != participation.voter_id):
        return ReceiptCheck(counted=False)
    opened = _reopen(participation)
    if opened is None:
        return ReceiptCheck(counted=False)
    settle_on_read()
    application = Application.objects.get(pk=participation.application_id)
    closes = application.vote_closes_at
    own = viewer.is_authenticated
    return ReceiptCheck(
        counted=True,
        application=application.pk,
        status=application.status,
        vote_closed=closes is not None and timezone.now() >= closes,
        choice=opened.choice if own else None,
        changed=opened.changed if own else None,
    )


def window_settle(*, application_id: int) -> Application | None:
    """Decide a vote whose window has closed; a no-op before the close or once decided.

    The task at the deadline, the minute sweep and a reader may all call this at once:
    the row lock lets one decide and the others find it decided, and the ledger posting
    has one idempotency key, so one decision and one entry result.
    """
    with transaction.atomic():
        application = grants.application_lock(application_id)
        if application is None or not _is_due(application):
            return None  # not due, or another settler was first (it held the lock)
        _decide([application])
        # Decided and booked, not yet committed: a worker killed here leaves nothing.
        pause_point("settle.before_commit")
        return application


def _is_due(application: Application) -> bool:
    return (
        application.status == Application.Status.VOTING
        and application.vote_closes_at is not None
        and timezone.now() >= application.vote_closes_at
    )


def _decide(applications: list[Application]) -> None:
    counts = tallies([a.pk for a in applications])
    grants.applications_decide(
        decisions=[
            grants.Decision(a, yes=counts[a.pk].yes, no=counts[a.pk].no, paper=counts[a.pk].paper)
            for a in applications
        ]
    )


def settle_on_read() -> None:
    """Settling a due window is the one write a read may cause. If it cannot happen now,
    the read still answers (the window shows as closed, its decision pending) and the
    minute sweep tries again."""
    try:
        settle_due_windows()
    except Exception:
        logger.exception("Settling due vote windows on a read failed; the sweep retries.")


SWEEP_BATCH = 100


def settle_due_windows(*, limit: int | None = None) -> int:
    """Settle every window that has closed but is not decided yet. Returns how many.

    Due windows are taken in batches, each in one transaction; rows another settler
    holds are skipped (it is deciding them), so sweeps and tasks never wait on each other.
    """
    settled = 0
    while limit is None or settled < limit:
        size = SWEEP_BATCH if limit is None else min(SWEEP_BATCH, limit - settled)
        with transaction.atomic():
            due = list(
                Application.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("fund", "earmark__parent__project")
                .filter(status=Application.Status.VOTING, vote_closes_at__lte=timezone.now())
                .order_by("vote_closes_at", "pk")[:size]
            )
            if not due:
                break
            _decide(due)
        settled += len(due)
    return settled
