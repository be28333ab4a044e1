"""Casting, changing and settling votes. The server's clock decides, never a task's timing:
a ballot at or after ``vote_closes_at`` is refused, and the decision counts the ballots cast
before it, whenever it is computed (by the scheduled task, the sweep, or a reader)."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from backend.errors import NotFound
from community.audit import audit_log
from community.models import MemberOrganisation, Membership, Neighbourhood, Residency, User
from community.selectors import user_has_role
from grants import services as grants
from grants.models import Application, Fund

from . import errors, tasks
from .models import Ballot, Choice, Participation
from .selectors import tallies


def hash_receipt(receipt: str) -> str:
    return hashlib.sha256(receipt.strip().encode()).hexdigest()


@dataclass(frozen=True)
class CastBallot:
    receipt: str | None  # given once, to the voter; None when a choice was changed
    choice: str
    created: bool


def vote_open(*, application: Application, acting_user: User) -> Application:
    """Submit an application to its Buurtfonds: the rules and reservation (grants), then the
    vote window: settling is scheduled for its close, and subscribed residents hear of it."""
    with transaction.atomic():
        application = grants.application_submit(application=application, acting_user=acting_user)
        pk, closes_at = application.pk, application.vote_closes_at
        transaction.on_commit(lambda: tasks.settle_window.apply_async(args=[pk], eta=closes_at))
        transaction.on_commit(lambda: tasks.notify_vote_opened.delay(pk))
    return application


@dataclass(frozen=True)
class VotingState:
    """What casting a ballot needs to know of an application, read in one locked query."""

    status: str
    vote_closes_at: datetime | None
    applicant_id: int
    entered_by_id: int | None
    organisation_id: int | None
    neighbourhood_id: int | None
    voter_is_resident: bool


_STATE_SQL = (
    f"SELECT a.status, a.vote_closes_at, a.applicant_id, a.entered_by_id, a.organisation_id,"
    f" f.neighbourhood_id, EXISTS (SELECT 1 FROM {Residency._meta.db_table} r"
    f"   WHERE r.user_id = %s AND r.neighbourhood_id = f.neighbourhood_id AND r.ended_at IS NULL)"
    f" FROM {Application._meta.db_table} a"
    f" JOIN {Fund._meta.db_table} f ON f.id = a.fund_id WHERE a.id = %s"
)
# PostgreSQL: a plain first vote in one statement (one round trip, atomic on its own).
# The state is read under a share lock; the participation is inserted only when the
# vote is open and the voter eligible, and the ballot only when the participation was.
# When nothing was inserted, the state tells Python which rule said no.
_FIRST_VOTE_SQL = f"""
WITH st AS (
    SELECT a.id, a.status, a.vote_closes_at, a.applicant_id, a.entered_by_id, a.organisation_id,
           f.neighbourhood_id,
           EXISTS (SELECT 1 FROM {Residency._meta.db_table} r WHERE r.user_id = %(voter)s
                   AND r.neighbourhood_id = f.neighbourhood_id AND r.ended_at IS NULL) AS resident,
           (a.organisation_id IS NOT NULL AND EXISTS (
               SELECT 1 FROM {MemberOrganisation.representatives.through._meta.db_table} mr
                WHERE mr.memberorganisation_id = a.organisation_id AND mr.user_id = %(voter)s
           )) AS representative
      FROM {Application._meta.db_table} a JOIN {Fund._meta.db_table} f ON f.id = a.fund_id
     WHERE a.id = %(application)s
       FOR SHARE OF a
), p AS (
    INSERT INTO {Participation._meta.db_table} (application_id, voter_id, assisted_by_id)
    SELECT st.id, %(voter)s, NULL FROM st
     WHERE st.status = 'voting' AND %(now)s < st.vote_closes_at AND st.resident
       AND NOT st.representative AND %(voter)s <> st.applicant_id
       AND %(voter)s <> COALESCE(st.entered_by_id, 0)
    RETURNING application_id
), b AS (
    INSERT INTO {Ballot._meta.db_table} (id, application_id, choice, receipt_hash)
    SELECT %(ballot)s, p.application_id, %(choice)s, %(receipt_hash)s FROM p
    RETURNING 1
)
SELECT st.status, st.vote_closes_at, st.applicant_id, st.entered_by_id, st.organisation_id,
       st.neighbourhood_id, st.resident, st.representative, (SELECT count(*) FROM b)
  FROM st
"""


def _voting_state(application_id: int, voter: User) -> VotingState:
    """Inside the ballot's transaction, with a share lock on PostgreSQL: settling takes the
    row for update, so it waits for ballots in flight, and a ballot that comes after it
    finds the clock past the close."""
    lock = " FOR SHARE OF a" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute(_STATE_SQL + lock, [voter.pk, application_id])
        row = cursor.fetchone()
    if row is None:
        raise NotFound()
    status, closes_at, applicant_id, entered_by_id, organisation_id, neighbourhood_id, resident = (
        row
    )
    if isinstance(closes_at, str):  # SQLite hands back naive UTC text
        closes_at = parse_datetime(closes_at)
    if closes_at is not None and timezone.is_naive(closes_at):
        closes_at = timezone.make_aware(closes_at, UTC)
    return VotingState(
        status=status,
        vote_closes_at=closes_at,
        applicant_id=applicant_id,
        entered_by_id=entered_by_id,
        organisation_id=organisation_id,
        neighbourhood_id=neighbourhood_id,
        voter_is_resident=bool(resident),
    )


def _check_open(state: VotingState) -> None:
    if state.status != Application.Status.VOTING:
        raise errors.NotVoting(extra={"status": state.status})
    if state.vote_closes_at is None or timezone.now() >= state.vote_closes_at:
        raise errors.VoteClosed()


def _check_eligible(state: VotingState, voter: User) -> None:
    if (
        state.neighbourhood_id is None
        or not Residency.objects.filter(
            user=voter, neighbourhood_id=state.neighbourhood_id, ended_at__isnull=True
        ).exists()
    ):
        raise errors.NotResidentOfBuurt()
    if voter.pk in (state.applicant_id, state.entered_by_id) or (
        state.organisation_id is not None
        and MemberOrganisation.objects.filter(
            pk=state.organisation_id, representatives=voter
        ).exists()
    ):
        raise errors.IsApplicant()


def ballot_cast(
    *,
    application_id: int,
    voter: User,
    choice: str,
    receipt: str | None = None,
    assisted_by: User | None = None,
) -> CastBallot:
    """Cast a first ballot (returns its receipt), or change one with its receipt.

    One participation per voter per application is a unique constraint, so parallel
    first votes by one person give one ballot and ``already_voted`` for the rest. A
    plain vote writes no audit event: its participation row is the record, and an
    event with a time beside it would only help to link voters to ballots.
    """
    if choice not in Choice.values:
        raise ValueError(choice)
    new_receipt = None if receipt else secrets.token_urlsafe(18)
    if new_receipt and assisted_by is None and connection.vendor == "postgresql":
        return _first_vote_in_one_statement(application_id, voter, choice, new_receipt)
    try:
        with transaction.atomic():
            state = _voting_state(application_id, voter)
            _check_open(state)
            _check_eligible(state, voter)
            if assisted_by is not None and not (
                state.neighbourhood_id is not None
                and user_has_role(
                    user=assisted_by,
                    role=Membership.Role.COORDINATOR,
                    neighbourhood=Neighbourhood(pk=state.neighbourhood_id),
                )
            ):
                raise errors.NotCoordinator()
            if receipt:
                changed = Ballot.objects.filter(
                    application_id=application_id, receipt_hash=hash_receipt(receipt)
                ).update(choice=choice)
                if (
                    not changed
                    or not Participation.objects.filter(
                        application_id=application_id, voter=voter
                    ).exists()
                ):
                    raise errors.ReceiptUnknown()
                audit_log(
                    actor=assisted_by or voter,
                    action="vote_changed",
                    data={"application": application_id},
                )
                return CastBallot(receipt=None, choice=choice, created=False)
            Participation.objects.create(
                application_id=application_id, voter=voter, assisted_by=assisted_by
            )
            assert new_receipt is not None
            Ballot.objects.create(
                application_id=application_id, choice=choice, receipt_hash=hash_receipt(new_receipt)
            )
            if assisted_by is not None:
                audit_log(
                    actor=assisted_by,
                    action="vote_cast_assisted",
                    data={"application": application_id},
                )
    except IntegrityError as exc:
        raise errors.AlreadyVoted() from exc
    return CastBallot(receipt=new_receipt, choice=choice, created=True)


def _first_vote_in_one_statement(
    application_id: int, voter: User, choice: str, receipt: str
) -> CastBallot:
    params: dict[str, Any] = {
        "application": application_id,
        "voter": voter.pk,
        "now": timezone.now(),
        "ballot": uuid.uuid4().hex,
        "choice": choice,
        "receipt_hash": hash_receipt(receipt),
    }
    block = transaction.atomic() if connection.in_atomic_block else nullcontext()
    try:
        with block, connection.cursor() as cursor:
            cursor.execute(_FIRST_VOTE_SQL, params)
            row = cursor.fetchone()
    except IntegrityError as exc:
        raise errors.AlreadyVoted() from exc
    if row is None:
        raise NotFound()
    (status, closes_at, applicant_id, entered_by_id, organisation_id, neighbourhood_id,
     resident, representative, inserted) = row  # fmt: skip
    if not inserted:
        state = VotingState(
            status=status,
            vote_closes_at=closes_at,
            applicant_id=applicant_id,
            entered_by_id=entered_by_id,
            organisation_id=organisation_id,
            neighbourhood_id=neighbourhood_id,
            voter_is_resident=bool(resident),
        )
        _check_open(state)
        _check_eligible(state, voter)
        raise errors.IsApplicant()  # the only rule left: the voter represents the applicant
    return CastBallot(receipt=receipt, choice=choice, created=True)


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
        decisions=[(a, counts[a.pk].yes, counts[a.pk].no) for a in applications]
    )


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
