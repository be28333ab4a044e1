"""Casting, changing and settling votes. The server's clock decides, never a task's timing:
a ballot at or after ``vote_closes_at`` is refused, and the decision counts the ballots cast
before it, whenever it is computed (by the scheduled task, the sweep, or a reader)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from community.audit import audit_log
from community.models import Membership, User
from community.selectors import is_verified_resident, user_has_role
from grants import services as grants
from grants.errors import TransitionNotAllowed
from grants.models import Application

from . import errors, tasks
from .models import Ballot, Choice, Participation
from .selectors import tally


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


def _check_open(application: Application) -> None:
    if application.status != Application.Status.VOTING:
        raise errors.NotVoting(extra={"status": application.status})
    assert application.vote_closes_at is not None
    if timezone.now() >= application.vote_closes_at:
        raise errors.VoteClosed(extra={"vote_closes_at": application.vote_closes_at.isoformat()})


def _check_open_locked(application: Application) -> None:
    """The same check inside the ballot's transaction, holding a share lock on the
    application: settling takes the row for update, so it waits for ballots in flight,
    and a ballot that comes after it finds the clock past the close."""
    table = Application._meta.db_table
    lock = " FOR SHARE" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT status, vote_closes_at FROM {table} WHERE id = %s{lock}", [application.pk]
        )
        status, closes_at = cursor.fetchone()
    if status != Application.Status.VOTING:
        raise errors.NotVoting(extra={"status": status})
    if isinstance(closes_at, str):  # SQLite hands back naive UTC text
        closes_at = parse_datetime(closes_at)
    if closes_at is not None and timezone.is_naive(closes_at):
        closes_at = timezone.make_aware(closes_at, UTC)
    if closes_at is None or timezone.now() >= closes_at:
        raise errors.VoteClosed()


def _check_eligible(application: Application, voter: User) -> None:
    neighbourhood = application.fund.neighbourhood
    if neighbourhood is None or not is_verified_resident(user=voter, neighbourhood=neighbourhood):
        raise errors.NotResidentOfBuurt()
    org = application.organisation
    if voter.pk in (application.applicant_id, application.entered_by_id) or (
        org is not None and org.representatives.filter(pk=voter.pk).exists()
    ):
        raise errors.IsApplicant()


def ballot_cast(
    *,
    application: Application,
    voter: User,
    choice: str,
    receipt: str | None = None,
    assisted_by: User | None = None,
) -> CastBallot:
    """Cast a first ballot (returns its receipt), or change one with its receipt.

    One participation per voter per application is a unique constraint, so parallel
    first votes by one person give one ballot and ``already_voted`` for the rest.
    """
    if choice not in Choice.values:
        raise ValueError(choice)
    application = Application.objects.select_related("fund", "organisation").get(pk=application.pk)
    _check_open(application)
    _check_eligible(application, voter)
    if assisted_by is not None and not user_has_role(
        user=assisted_by,
        role=Membership.Role.COORDINATOR,
        neighbourhood=application.fund.neighbourhood,
    ):
        raise errors.NotCoordinator()

    if receipt:
        with transaction.atomic():
            changed = Ballot.objects.filter(
                application=application, receipt_hash=hash_receipt(receipt)
            ).update(choice=choice)
            if (
                not changed
                or not Participation.objects.filter(application=application, voter=voter).exists()
            ):
                raise errors.ReceiptUnknown()
            _check_open(application)  # the clock again, inside the transaction
            audit_log(actor=assisted_by or voter, action="vote_changed", obj=application)
        return CastBallot(receipt=None, choice=choice, created=False)

    new_receipt = secrets.token_urlsafe(18)
    try:
        with transaction.atomic():
            _check_open_locked(application)
            Participation.objects.create(
                application=application, voter=voter, assisted_by=assisted_by
            )
            Ballot.objects.create(
                application=application, choice=choice, receipt_hash=hash_receipt(new_receipt)
            )
            audit_log(
                actor=assisted_by or voter,
                action="vote_cast_assisted" if assisted_by else "vote_cast",
                obj=application,
            )
    except IntegrityError as exc:
        raise errors.AlreadyVoted() from exc
    return CastBallot(receipt=new_receipt, choice=choice, created=True)


def window_settle(*, application_id: int) -> Application | None:
    """Decide a vote whose window has closed; a no-op before the close or once decided.

    The task at the deadline, the minute sweep and a reader may all call this at once:
    grants' decision locks the row and accepts only one, and its ledger posting has one
    idempotency key, so one decision and one entry result.
    """
    with transaction.atomic():
        application = Application.objects.select_for_update().filter(pk=application_id).first()
        if (
            application is None
            or application.status != Application.Status.VOTING
            or application.vote_closes_at is None
            or timezone.now() < application.vote_closes_at
        ):
            return None  # not due, or another settler was first (it held the lock)
        counts = tally(application)
        try:
            return grants.application_decide(application=application, yes=counts.yes, no=counts.no)
        except TransitionNotAllowed:
            return None


def settle_due_windows(*, limit: int | None = None) -> int:
    """Settle every window that has closed but is not decided yet. Returns how many."""
    due = Application.objects.filter(
        status=Application.Status.VOTING, vote_closes_at__lte=timezone.now()
    ).order_by("vote_closes_at")
    ids = list(
        due.values_list("pk", flat=True)[:limit] if limit else due.values_list("pk", flat=True)
    )
    return sum(1 for pk in ids if window_settle(application_id=pk) is not None)
