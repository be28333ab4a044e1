"""Writes of the grants domain. Every transition: lock the row, check guards and the actor,
change state, record the status change and audit event, post money, notify on commit."""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_CEILING, Decimal
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django_fsm import can_proceed

from backend.queue import enqueue_on_commit
from community.audit import audit_event, audit_log
from community.iban import is_valid_iban, mask_iban, normalise_iban
from community.models import (
    AuditEvent,
    Cooperative,
    MemberOrganisation,
    Membership,
    Neighbourhood,
    Residency,
    User,
)
from community.selectors import (
    is_verified_resident,
    neighbourhoods_covered,
    user_has_cooperative_role,
    user_has_role,
)
from ledger import postings
from ledger.chart import GRANT_REFUNDS_RECEIVABLE, OWN_SOURCES
from ledger.errors import InsufficientFunds
from ledger.models import Earmark, FiscalPeriod, JournalEntry, JournalLine, ProjectAdministration
from ledger.selectors import (
    earmark_repayment,
    own_income_of_earmark,
    pot_available_cents,
    topups_payable_cents,
)
from ledger.services import earmark_get_or_create, period_close, project_get_or_create

from . import errors, tasks
from .models import (
    Application,
    Fund,
    PayoutBatch,
    PayoutItem,
    Priority,
    Receipt,
    StatusChange,
)
from .selectors import books_scope, cooperative_project_ref, holds_book_role

RECEIPT_MAX_BYTES = 10 * 1024 * 1024
MIN_REQUEST_CENTS = 100  # also a constraint of the table
RECEIPT_SIGNATURES = {
    b"%PDF-": "application/pdf",
    b"\xff\xd8\xff": "image/jpeg",
    b"\x89PNG\r\n\x1a\n": "image/png",
}
# The actions a person can ask for over the API, by the transition method they trigger.
USER_ACTIONS = ("submit", "withdraw", "pay", "cancel", "report", "close")
PAID_STATES = (Application.Status.PAID, Application.Status.REPORTED, Application.Status.CLOSED)


def cooperative_project(*, cooperative: Cooperative) -> ProjectAdministration:
    """The project administration of a cooperative inside the one legal administration."""
    return project_get_or_create(
        ref=cooperative_project_ref(cooperative.pk),
        # Unique by construction: two long slugs may share their first letters, never an id.
        code=f"{cooperative.slug.upper()[:13]}-{cooperative.pk}",
        name=cooperative.name,
    )


# -- funds and priorities --------------------------------------------------------------------


def fund_create(
    *, acting_user: User, cooperative: Cooperative, name: str, kind: str, **settings: Any
) -> Fund:
    """A board member opens a fund; its money lives in an earmark of the cooperative's books."""
    if not user_has_cooperative_role(
        user=acting_user, role=Membership.Role.BOARD, cooperative=cooperative
    ):
        raise errors.NotBoard()
    neighbourhood: Neighbourhood | None = settings.get("neighbourhood")
    if kind == Fund.Kind.BUURTFONDS and (
        neighbourhood is None
        or not (
            cooperative.neighbourhoods.filter(pk=neighbourhood.pk).exists()
            or Cooperative.objects.filter(parent=cooperative, neighbourhoods=neighbourhood).exists()
        )
    ):
        raise errors.WrongFundKind(extra={"field": "neighbourhood"})
    with transaction.atomic():
        earmark = earmark_get_or_create(
            ref=f"fund:{uuid.uuid4()}",
            kind=Earmark.Kind.FUND if kind == Fund.Kind.BUURTFONDS else Earmark.Kind.INNOVATION,
            name=name,
            project=cooperative_project(cooperative=cooperative),
        )
        fund = Fund.objects.create(
            cooperative=cooperative, name=name, kind=kind, earmark=earmark, **settings
        )
        audit_log(
            actor=acting_user, action="fund_created", obj=fund, data={"name": name, "kind": kind}
        )
    return fund


def fund_deposit(
    *, fund: Fund, amount_cents: int, source: str, reference: str, acting_user: User | None
) -> JournalEntry:
    """A treasurer puts money in the pot. The bank reference makes a repeat harmless."""
    if acting_user is not None and not user_has_cooperative_role(
        user=acting_user, role=Membership.Role.TREASURER, cooperative=fund.cooperative
    ):
        raise errors.NotTreasurer()
    with transaction.atomic():
        entry = postings.post_deposit(
            pot=fund.earmark,
            amount_cents=amount_cents,
            source=source,
            idempotency_key=f"fund:{fund.pk}:deposit:{reference}",
            description=f"Storting {fund.name}: {reference}",
            actor_id=acting_user.pk if acting_user else None,
        )
        audit_log(
            actor=acting_user,
            action="fund_deposit",
            obj=fund,
            data={
                "amount_cents": amount_cents,
                "source": source,
                "reference": reference,
                "entry": entry.pk,
            },
        )
    return entry


def priority_create(
    *, neighbourhood: Neighbourhood, year: int, rank: int, title: str, acting_user: User
) -> Priority:
    if not user_has_role(user=acting_user, role=Membership.Role.BOARD, neighbourhood=neighbourhood):
        raise errors.NotBoard()
    try:
        with transaction.atomic():
            priority = Priority.objects.create(
                neighbourhood=neighbourhood, year=year, rank=rank, title=title
            )
            audit_log(
                actor=acting_user,
                action="priority_created",
                obj=priority,
                data={"rank": rank, "year": year},
            )
    except IntegrityError as exc:
        raise errors.PriorityRankTaken() from exc
    return priority


# -- applications ----------------------------------------------------------------------------


def may_apply_to_innovation(
    *, user: User, fund: Fund, organisation: MemberOrganisation | None
) -> None:
    """Verified residents of the cooperative's buurten, and its active member organisations
    through their representatives, may apply to its innovation fund."""
    cooperative = fund.cooperative
    if organisation is not None:
        if (
            organisation.active
            and organisation.cooperative_id == cooperative.pk
            and organisation.representatives.filter(pk=user.pk).exists()
        ):
            return
        raise errors.NotResident()
    if not Residency.objects.filter(
        user=user,
        ended_at__isnull=True,
        neighbourhood__in=neighbourhoods_covered(cooperative=cooperative),
    ).exists():
        raise errors.NotResident()


def _may_apply(*, user: User, fund: Fund, organisation: MemberOrganisation | None) -> str:
    """How ``user`` may apply to ``fund``: as resident, organisation or coordinator."""
    neighbourhood = fund.neighbourhood
    if neighbourhood is None:
        if user_has_cooperative_role(
            user=user, role=Membership.Role.COORDINATOR, cooperative=fund.cooperative
        ):
            # On a resident's or organisation's behalf: only this cooperative's, active.
            if organisation is not None and (
                not organisation.active or organisation.cooperative_id != fund.cooperative_id
            ):
                raise errors.NotResident()
            return "coordinator"
        may_apply_to_innovation(user=user, fund=fund, organisation=organisation)
        return "organisation" if organisation is not None else "resident"
    if organisation is not None:
        if (
            organisation.active
            and organisation.representatives.filter(pk=user.pk).exists()
            and organisation.neighbourhoods.filter(pk=neighbourhood.pk).exists()
        ):
            return "organisation"
        raise errors.NotResident()
    if is_verified_resident(user=user, neighbourhood=neighbourhood):
        return "resident"
    if user_has_role(user=user, role=Membership.Role.COORDINATOR, neighbourhood=neighbourhood):
        return "coordinator"
    raise errors.NotResident()


def application_create(
    *,
    fund: Fund,
    acting_user: User,
    title: str,
    summary: str,
    amount_requested_cents: int,
    total_budget_cents: int,
    own_contribution_cents: int = 0,
    priorities: Iterable[Priority] = (),
    payee_name: str = "",
    payee_iban: str = "",
    organisation: MemberOrganisation | None = None,
    paper_applicant_name: str = "",
) -> Application:
    """A draft application. A coordinator may enter a resident's paper application."""
    as_ = _may_apply(user=acting_user, fund=fund, organisation=organisation)
    # The fund's maximum may change before submitting, so submit checks it; the minimum is
    # a constraint of the table, so a draft below it would only crash.
    if amount_requested_cents < MIN_REQUEST_CENTS:
        raise errors.AmountOutOfRange(
            extra={
                "min_request_cents": MIN_REQUEST_CENTS,
                "max_request_cents": fund.max_request_cents,
            }
        )
    if paper_applicant_name and as_ != "coordinator":
        raise errors.NotCoordinatorForPaper()
    if as_ == "coordinator" and not paper_applicant_name:
        raise errors.PaperApplicantNameMissing()
    if payee_iban and not is_valid_iban(payee_iban):
        raise errors.InvalidIban()
    with transaction.atomic():
        application = Application(
            fund=fund,
            applicant=acting_user,
            entered_by=acting_user if as_ == "coordinator" else None,
            paper_applicant_name=paper_applicant_name,
            organisation=organisation,
            title=title,
            summary=summary,
            amount_requested_cents=amount_requested_cents,
            total_budget_cents=total_budget_cents,
            own_contribution_cents=own_contribution_cents,
            payee_name=payee_name,
            payee_iban=normalise_iban(payee_iban),
        )
        application.earmark = earmark_get_or_create(
            ref=f"application:{uuid.uuid4()}",
            kind=Earmark.Kind.APPLICATION,
            name=title[:200],
            parent=fund.earmark,
        )
        application.save()
        application.priorities.set(priorities)
        audit_log(
            actor=acting_user,
            action="application_created",
            obj=application,
            data={"fund": fund.pk, "as": as_, "amount_requested_cents": amount_requested_cents},
        )
    return application


def application_lock(application_id: int) -> Application | None:
    """The application's row, locked for update until the caller's transaction ends."""
    return (
        Application.objects.select_for_update(of=("self",))
        .select_related("fund", "earmark__parent__project")
        .filter(pk=application_id)
        .first()
    )


def _locked(application: Application) -> Application:
    locked = application_lock(application.pk)
    if locked is None:
        raise Application.DoesNotExist()
    return locked


def allowed_actions(application: Application) -> list[str]:
    available = {t.name for t in application.get_available_status_transitions()}  # type: ignore[attr-defined]
    return [action for action in USER_ACTIONS if action in available]


def _step(
    application: Application, action: str, *, actor: User | None, reason: str = ""
) -> tuple[StatusChange, AuditEvent]:
    """Apply one transition in memory and build its records (status change, audit event)."""
    _check_transition(application, action)
    from_status = application.status
    getattr(application, action)()
    change = StatusChange(
        application=application,
        from_status=from_status,
        to_status=application.status,
        actor=actor,
        reason=reason[:500],
    )
    event = audit_event(
        actor=actor,
        action=f"application_{action}",
        obj=application,
        data={"from": from_status, "to": application.status, "reason": reason[:500]},
    )
    return change, event


def _transition(
    application: Application,
    action: str,
    *,
    actor: User | None,
    reason: str = "",
    fields: Iterable[str] = (),
) -> None:
    """Apply one transition to a locked row and record it (status change and audit event)."""
    change, event = _step(application, action, actor=actor, reason=reason)
    application.save(update_fields=["status", *fields])
    change.save()
    event.save()


def _check_transition(application: Application, action: str) -> None:
    if not can_proceed(getattr(application, action)):
        raise errors.TransitionNotAllowed(
            extra={"status": application.status, "allowed_actions": allowed_actions(application)}
        )


def _is_applicant(user: User, application: Application) -> bool:
    if user.pk in (application.applicant_id, application.entered_by_id):
        return True
    org = application.organisation
    return org is not None and org.representatives.filter(pk=user.pk).exists()


def _require_applicant(user: User, application: Application) -> None:
    if not _is_applicant(user, application):
        raise errors.NotApplicant()


def _require_role(user: User, application: Application, role: str) -> None:
    if not user_has_cooperative_role(
        user=user, role=role, cooperative=application.fund.cooperative
    ):
        raise errors.NotTreasurer() if role == Membership.Role.TREASURER else errors.NotBoard()


def _post_money(
    application: Application,
    event: str,
    *,
    cause: str,
    actor: User | None,
    amount_cents: int | None = None,
    on: date | None = None,
) -> None:
    """One of the ledger's application events, keyed by this application and its cause."""
    postings.post_event(
        postings.APPLICATION_EVENTS[event],
        earmark=application.earmark,
        amount_cents=application.amount_requested_cents if amount_cents is None else amount_cents,
        idempotency_key=f"application:{application.pk}:{cause}",
        actor_id=actor.pk if actor is not None else None,
        on=on,
    )


@dataclass(frozen=True)
class Check:
    """One submit rule applied to an application: the code submit refuses it with, whether
    it passes, and the figures it compared."""

    rule: str
    passed: bool
    figures: dict[str, Any]


RULE_ERRORS: dict[str, type[errors.DomainError]] = {
    "amount_out_of_range": errors.AmountOutOfRange,
    "budget_too_small": errors.BudgetTooSmall,
    "own_contribution_too_small": errors.OwnContributionTooSmall,
    "priority_other_neighbourhood": errors.PriorityElsewhere,
    "too_many_open": errors.TooManyOpen,
    "insufficient_funds": InsufficientFunds,
}


def own_contribution_needed_cents(*, fund: Fund, total_budget_cents: int) -> int:
    """The least own contribution the fund asks: its share of the whole budget, rounded up
    to the cent (a contribution of that many cents or more passes)."""
    needed = Decimal(total_budget_cents) * fund.own_contribution_percent / 100
    return int(needed.to_integral_value(rounding=ROUND_CEILING))


def submission_checks(application: Application, *, fund: Fund | None = None) -> list[Check]:
    """Every rule submit checks, each with pass or fail and its figures, so a draft can be
    corrected at once (not one refusal at a time). The money rules (open applications per
    applicant, what the pot holds) are Buurtfonds rules; submit checks them again under the
    fund's lock."""
    fund = fund or application.fund
    amount = application.amount_requested_cents
    own, total = application.own_contribution_cents, application.total_budget_cents
    needed = own_contribution_needed_cents(fund=fund, total_budget_cents=total)
    elsewhere = sorted(
        application.priorities.exclude(neighbourhood=fund.neighbourhood).values_list(
            "pk", flat=True
        )
        if application.pk
        else []
    )
    checks = [
        Check(
            "amount_out_of_range",
            MIN_REQUEST_CENTS <= amount <= fund.max_request_cents,
            {
                "amount_requested_cents": amount,
                "min_request_cents": MIN_REQUEST_CENTS,
                "max_request_cents": fund.max_request_cents,
            },
        ),
        Check(
            "budget_too_small",
            total >= amount + own,
            {"total_budget_cents": total, "needed_cents": amount + own},
        ),
        Check(
            "own_contribution_too_small",
            own >= needed,
            {
                "own_contribution_cents": own,
                "needed_cents": needed,
                "own_contribution_percent": str(fund.own_contribution_percent),
            },
        ),
        Check("priority_other_neighbourhood", not elsewhere, {"priorities_elsewhere": elsewhere}),
    ]
    if fund.kind == Fund.Kind.BUURTFONDS:
        open_now = _open_per_applicant(application, fund)
        available = pot_available_cents(fund.earmark)
        checks += [
            Check(
                "too_many_open",
                open_now < fund.max_open_per_applicant,
                {"open_now": open_now, "max_open_per_applicant": fund.max_open_per_applicant},
            ),
            Check(
                "insufficient_funds",
                amount <= available,
                {"available_cents": available, "amount_requested_cents": amount},
            ),
        ]
    return checks


def _check_submission_rules(application: Application) -> None:
    if application.fund.kind != Fund.Kind.BUURTFONDS:
        raise errors.WrongFundKind()
    for check in submission_checks(application):
        # The money rules are checked under the fund's lock (and by the reservation).
        if check.rule in ("too_many_open", "insufficient_funds"):
            continue
        if not check.passed:
            raise RULE_ERRORS[check.rule](extra=check.figures)


OPEN_STATUSES = (Application.Status.VOTING, Application.Status.APPROVED)


def _open_per_applicant(application: Application, fund: Fund) -> int:
    """How many applications of the same applicant are open in the fund (voting, or approved
    and unpaid). A paper application counts for the resident it is for (by name), not for
    the coordinator who entered it."""
    if application.organisation_id is not None:
        same = Q(organisation_id=application.organisation_id)
    elif application.entered_by_id is not None:
        same = Q(
            entered_by__isnull=False,
            organisation__isnull=True,
            paper_applicant_name__iexact=application.paper_applicant_name.strip(),
        )
    else:
        same = Q(
            applicant_id=application.applicant_id,
            entered_by__isnull=True,
            organisation__isnull=True,
        )
    return (
        Application.objects.filter(same, fund=fund, status__in=OPEN_STATUSES)
        .exclude(pk=application.pk)
        .count()
    )


def _check_open_per_applicant(application: Application, fund: Fund) -> None:
    """One resident or organisation cannot hold the pot: at most ``max_open_per_applicant``
    applications open at once."""
    if _open_per_applicant(application, fund) >= fund.max_open_per_applicant:
        raise errors.TooManyOpen(extra={"max_open_per_applicant": fund.max_open_per_applicant})


def application_submit(*, application: Application, acting_user: User) -> Application:
    """Check the rules, reserve the amount in the pot, and open the neighbours' vote.

    Callers go through :func:`voting.services.vote_open`, which also schedules the
    window's settling and tells the residents; this is its grants half."""
    with transaction.atomic():
        application = _locked(application)
        _require_applicant(acting_user, application)
        _check_transition(application, "submit")
        if application.entered_by_id is None:
            _may_apply(
                user=acting_user, fund=application.fund, organisation=application.organisation
            )
        _check_submission_rules(application)
        # Submits to one fund queue here, so the count below cannot race with another.
        fund = Fund.objects.select_for_update().get(pk=application.fund_id)
        _check_open_per_applicant(application, fund)
        postings.post_reservation(
            application=application.earmark,
            amount_cents=application.amount_requested_cents,
            idempotency_key=f"application:{application.pk}:submit",
            actor_id=acting_user.pk,
        )
        now = timezone.now()
        application.vote_opens_at = now
        application.vote_closes_at = now + timedelta(minutes=fund.vote_window_minutes)
        application.quorum = fund.quorum
        application.approval_ratio = fund.approval_ratio
        application.show_live_tally = fund.show_live_tally
        _transition(
            application,
            "submit",
            actor=acting_user,
            fields=[
                "vote_opens_at",
                "vote_closes_at",
                "quorum",
                "approval_ratio",
                "show_live_tally",
            ],
        )
    return application


def decision_is_approval(*, yes: int, no: int, quorum: int, approval_ratio: Decimal) -> bool:
    """A majority: at least ``quorum`` ballots, more yes than no (a tie rejects), and a yes
    share of at least ``approval_ratio`` (which a fund keeps between 0.5 and 1)."""
    total = yes + no
    return total >= max(quorum, 1) and yes > no and Decimal(yes) >= approval_ratio * total


@dataclass(frozen=True)
class Decision:
    """The counts a closed vote is decided on; ``paper`` of them were paper ballots."""

    application: Application
    yes: int
    no: int
    paper: int = 0


def application_decide(
    *, application: Application, yes: int, no: int, paper: int = 0, locked: bool = False
) -> Application:
    """Settle a vote with its counts: approved (commitment) or rejected (release).

    Called by the system when the window has closed; a second call finds the
    application no longer in ``voting`` and is refused, so one decision results.
    ``locked``: the caller already holds the row (from :func:`application_lock`).
    """
    with transaction.atomic():
        if not locked:
            application = _locked(application)
        applications_decide(decisions=[Decision(application, yes=yes, no=no, paper=paper)])
    return application


def applications_decide(*, decisions: Sequence[Decision]) -> None:
    """Decide several votes at once, each as :func:`application_decide` would, with their
    records written together. The caller holds the rows' locks in its transaction."""
    now = timezone.now()
    changes: list[StatusChange] = []
    events: list[AuditEvent] = []
    for decision in decisions:
        application, yes, no = decision.application, decision.yes, decision.no
        _check_transition(application, "approve")
        assert application.quorum is not None and application.approval_ratio is not None
        approved = decision_is_approval(
            yes=yes, no=no, quorum=application.quorum, approval_ratio=application.approval_ratio
        )
        # Dated at the window's close, in the books too: a window closing at 23:59 on
        # 31 December is decided in that year, however late it is settled.
        closed_at = application.vote_closes_at or now
        _post_money(
            application,
            "commitment" if approved else "release",
            cause="decide",
            actor=None,
            on=timezone.localdate(closed_at),
        )
        application.yes_votes, application.no_votes = yes, no
        application.paper_votes, application.decided_at = decision.paper, closed_at
        change, event = _step(
            application,
            "approve" if approved else "reject",
            actor=None,
            reason=f"{yes} voor, {no} tegen",
        )
        changes.append(change)
        events.append(event)
        _notify_on_commit(application.pk, awaiting_payment=approved)
    Application.objects.bulk_update(
        [decision.application for decision in decisions],
        ["status", "yes_votes", "no_votes", "paper_votes", "decided_at"],
    )
    StatusChange.objects.bulk_create(changes)
    AuditEvent.objects.bulk_create(events)


def _notify_on_commit(application_id: int, *, awaiting_payment: bool) -> None:
    enqueue_on_commit(tasks.notify_decision, application_id)
    if awaiting_payment:
        enqueue_on_commit(tasks.notify_awaiting_payment, application_id)
    else:
        # Rejected: the plan does not go ahead, so its top-ups go back to their donors.
        enqueue_on_commit(tasks.refund_topups, application_id)


def application_withdraw(
    *, application: Application, acting_user: User, reason: str = ""
) -> Application:
    """The applicant takes the application back; a reservation goes back to the pot."""
    with transaction.atomic():
        application = _locked(application)
        _require_applicant(acting_user, application)
        _check_transition(application, "withdraw")
        if application.status == Application.Status.VOTING:
            _post_money(application, "release", cause="withdraw", actor=acting_user)
        _transition(application, "withdraw", actor=acting_user, reason=reason)
        enqueue_on_commit(tasks.refund_topups, application.pk)
    return application


DRAFT_FIELDS = (
    "title",
    "summary",
    "amount_requested_cents",
    "total_budget_cents",
    "own_contribution_cents",
)


def application_update(
    *,
    application: Application,
    acting_user: User,
    priorities: Iterable[Priority] | None = None,
    **fields: Any,
) -> Application:
    """The applicant corrects a draft (the payee has its own action, audited and mailed).
    Only a draft: what neighbours vote on never changes."""
    unknown = set(fields) - set(DRAFT_FIELDS)
    if unknown:
        raise ValueError(f"not a draft field: {sorted(unknown)}")
    amount = fields.get("amount_requested_cents")
    if amount is not None and amount < MIN_REQUEST_CENTS:
        raise errors.AmountOutOfRange(extra={"min_request_cents": MIN_REQUEST_CENTS})
    with transaction.atomic():
        application = _locked(application)
        _require_applicant(acting_user, application)
        if application.status != Application.Status.DRAFT:
            raise errors.TransitionNotAllowed(
                extra={"status": application.status, "allowed_actions": []}
            )
        for name, value in fields.items():
            setattr(application, name, value)
        application.save(update_fields=list(fields))
        if priorities is not None:
            application.priorities.set(priorities)
        audit_log(
            actor=acting_user,
            action="application_draft_edited",
            obj=application,
            data={"fields": sorted([*fields, *(["priorities"] if priorities is not None else [])])},
        )
    return application


def application_delete(*, application: Application, acting_user: User) -> None:
    """The applicant deletes a draft that was never submitted (nothing of it is public and
    no money moved); its empty earmark stays in the books' dimensions."""
    with transaction.atomic():
        application = _locked(application)
        _require_applicant(acting_user, application)
        if application.status != Application.Status.DRAFT or application.history.exists():
            raise errors.TransitionNotAllowed(
                extra={"status": application.status, "allowed_actions": []}
            )
        audit_log(
            actor=acting_user,
            action="application_draft_deleted",
            obj=application,
            data={"title": application.title[:200]},
        )
        application.delete()


# Who may ask for each action (the state machine says when).
ACTION_ROLES = {
    "submit": "applicant",
    "withdraw": "applicant",
    "report": "applicant",
    "pay": Membership.Role.TREASURER,
    "cancel": Membership.Role.BOARD,
    "close": Membership.Role.BOARD,
}


def actions_for(
    application: Application,
    *,
    is_applicant: bool,
    roles: Iterable[str],
) -> list[str]:
    """The actions of :func:`allowed_actions` this caller may take: the applicant's own,
    and those of the roles they hold in the application's cooperative."""
    mine = {"applicant"} if is_applicant else set()
    mine |= set(roles)
    return [a for a in allowed_actions(application) if ACTION_ROLES[a] in mine]


def is_applicant(user: User, application: Application) -> bool:
    return user.is_authenticated and _is_applicant(user, application)


PAYEE_LOCKED = (
    Application.Status.PAID,
    Application.Status.REPORTED,
    Application.Status.CLOSED,
    Application.Status.CANCELLED,
    Application.Status.WITHDRAWN,
    Application.Status.REJECTED,
    Application.Status.NOT_ALLOCATED,
)


def application_payee_change(
    *,
    application: Application,
    acting_user: User,
    payee_name: str | None = None,
    payee_iban: str | None = None,
) -> Application:
    """The applicant (or the coordinator who entered it) adds or corrects the payee until
    the money is paid; a part left out (None) stays as it is. Each change is audited (the
    IBAN masked) and mailed to the applicant and whoever entered it: a changed IBAN is the
    classic fraud."""
    if payee_iban is not None:
        payee_iban = normalise_iban(payee_iban)
        if payee_iban and not is_valid_iban(payee_iban):
            raise errors.InvalidIban()
    with transaction.atomic():
        application = _locked(application)
        _require_applicant(acting_user, application)
        payee_name = application.payee_name if payee_name is None else payee_name.strip()
        payee_iban = application.payee_iban if payee_iban is None else payee_iban
        if application.status in PAYEE_LOCKED:
            raise errors.PayeeLocked(extra={"status": application.status})
        exported = _open_payout(application, exported=True)
        if exported is not None:
            raise errors.PayeeLocked(extra={"status": application.status, "batch": exported})
        before = (application.payee_name, application.payee_iban)
        if before == (payee_name, payee_iban):
            return application
        application.payee_name, application.payee_iban = payee_name, payee_iban
        application.payee_check_needed = False
        application.save(update_fields=["payee_name", "payee_iban", "payee_check_needed"])
        change = {
            "name_before": before[0],
            "name_after": payee_name,
            "account_before": mask_iban(before[1]) if before[1] else "",
            "account_after": mask_iban(payee_iban) if payee_iban else "",
        }
        audit_log(
            actor=acting_user, action="application_payee_changed", obj=application, data=change
        )
        enqueue_on_commit(tasks.notify_payee_changed, application.pk, change)
    return application


def _open_payout(application: Application, *, exported: bool = False) -> int | None:
    """The open payout batch the application is in (only an exported one if asked)."""
    items = PayoutItem.objects.filter(application=application, open=True)
    if exported:
        items = items.exclude(batch__status=PayoutBatch.Status.DRAFT)
    return items.values_list("batch_id", flat=True).first()


def application_pay(*, application: Application, acting_user: User) -> Application:
    """The treasurer pays an approved grant to the payee (checked IBAN), one-off: not while
    it is in an open payout batch (it would be paid twice)."""
    with transaction.atomic():
        application = _locked(application)
        _require_role(acting_user, application, Membership.Role.TREASURER)
        _check_transition(application, "pay")
        batch = _open_payout(application)
        if batch is not None:
            raise errors.InPayoutBatch(extra={"application": application.pk, "batch": batch})
        if not application.payee_name or not is_valid_iban(application.payee_iban):
            raise errors.PayeeMissing()
        _post_money(application, "payout", cause="pay", actor=acting_user)
        _transition(application, "pay", actor=acting_user)
        _topups_payout(application, actor=acting_user)
    return application


def _topups_payout(application: Application, *, actor: User) -> int:
    """Pay the project the top-ups received (net of fees) that it has not had yet. Under the
    application's lock; keyed by what was paid before, so it pays each euro once."""
    received, paid = topups_payable_cents(application.earmark)
    due = received - paid
    if due <= 0:
        return 0
    _post_money(
        application,
        "topup_payout",
        cause=f"topups-paid:{paid}",
        actor=actor,
        amount_cents=due,
    )
    audit_log(
        actor=actor,
        action="application_topups_paid",
        obj=application,
        data={"amount_cents": due, "paid_before_cents": paid},
    )
    return due


def application_topups_pay(*, application: Application, acting_user: User) -> int:
    """The treasurer pays top-ups that arrived after the grant was paid (a later transfer to
    the same payee). Returns the amount paid (0 when nothing is due)."""
    with transaction.atomic():
        application = _locked(application)
        _require_role(acting_user, application, Membership.Role.TREASURER)
        if application.status not in PAID_STATES:
            raise errors.TransitionNotAllowed(
                extra={
                    "status": application.status,
                    "allowed_actions": allowed_actions(application),
                }
            )
        if not application.payee_name or not is_valid_iban(application.payee_iban):
            raise errors.PayeeMissing()
        return _topups_payout(application, actor=acting_user)


def application_cancel(
    *, application: Application, acting_user: User, reason: str = ""
) -> Application:
    """The board cancels an approved grant before payout; the money goes back to the pot."""
    with transaction.atomic():
        application = _locked(application)
        _require_role(acting_user, application, Membership.Role.BOARD)
        _check_transition(application, "cancel")
        exported = _open_payout(application, exported=True)
        if exported is not None:
            # The transfer may be at the bank already: the treasurer cancels the batch first.
            raise errors.InPayoutBatch(extra={"application": application.pk, "batch": exported})
        PayoutItem.objects.filter(application=application, open=True).update(
            open=False, status=PayoutItem.Status.CANCELLED
        )
        _post_money(application, "cancellation", cause="cancel", actor=acting_user)
        _transition(application, "cancel", actor=acting_user, reason=reason)
        enqueue_on_commit(tasks.notify_decision, application.pk)
        enqueue_on_commit(tasks.refund_topups, application.pk)
    return application


def receipt_content_type(upload: UploadedFile) -> str:
    """What the file is, read from its first bytes (never from its name or claimed type)."""
    if upload.size is None or upload.size > RECEIPT_MAX_BYTES:
        raise errors.ReceiptInvalid(extra={"file": upload.name})
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    for signature, content_type in RECEIPT_SIGNATURES.items():
        if head.startswith(signature):
            return content_type
    raise errors.ReceiptInvalid(extra={"file": upload.name})


REPORT_MAX_BYTES = 25 * 1024 * 1024  # a report's whole upload: summary and receipts


def report_upload_check(
    *, application: Application, acting_user: User, content_length: int | str
) -> None:
    """Whether a report upload may be read at all: only the applicant's, and not too large.
    Called before the request body is parsed, so nobody else can make the server read
    (and store in temporary files) megabytes it will refuse."""
    _require_applicant(acting_user, application)
    try:
        size = int(content_length)
    except (TypeError, ValueError):
        size = 0
    if size > REPORT_MAX_BYTES:
        raise errors.UploadTooLarge(extra={"max_bytes": REPORT_MAX_BYTES})


def application_report(
    *,
    application: Application,
    acting_user: User,
    summary: str,
    spent_cents: int,
    receipts: Iterable[UploadedFile] = (),
) -> Application:
    """The applicant reports what was done and spent; unspent money flows back to the pot."""
    receipts = list(receipts)
    types = [receipt_content_type(upload) for upload in receipts]  # before anything is written
    with transaction.atomic():
        application = _locked(application)
        _require_applicant(acting_user, application)
        _check_transition(application, "report")
        if not 0 <= spent_cents <= application.amount_requested_cents:
            raise errors.SpentOutOfRange(extra={"max_cents": application.amount_requested_cents})
        for upload, content_type in zip(receipts, types, strict=True):
            Receipt.objects.create(
                application=application,
                file=upload,
                content_type=content_type,
                original_name=(upload.name or "bon")[:200],
                size=upload.size or 0,
            )
        application.report_summary = summary
        application.spent_cents = spent_cents
        if application.unspent_cents > 0:
            # Owed, not yet back: the pot rises only when the treasurer books its arrival.
            _post_money(
                application,
                "unspent_claim",
                cause="report",
                actor=acting_user,
                amount_cents=application.unspent_cents,
            )
            enqueue_on_commit(tasks.notify_repayment_due, application.pk)
        _transition(
            application, "report", actor=acting_user, fields=["report_summary", "spent_cents"]
        )
    return application


def application_return_book(
    *,
    application: Application,
    acting_user: User,
    amount_cents: int,
    reference: str,
    on: date | None = None,
) -> tuple[Application, bool]:
    """The treasurer books owed money that has arrived on the bank; only now is it back in
    the pot. Idempotent by the bank's reference: booking the same reference and amount again
    changes nothing (answers False); the same reference with another amount is refused."""
    reference = reference.strip()
    with transaction.atomic():
        application = _locked(application)
        _require_role(acting_user, application, Membership.Role.TREASURER)
        # One bank transfer is one return, in the whole cooperative, however its reference
        # is typed (case, width, invisible characters).
        key = f"return:{application.fund.cooperative_id}:{bank_reference_key(reference)}"
        booked = JournalEntry.objects.filter(idempotency_key=key).first()
        if booked is not None:
            amount = _booked_return_cents(booked)
            same_application = booked.lines.filter(earmark=application.earmark).exists()
            if amount != amount_cents or not same_application:
                raise errors.ReturnReferenceReused(extra={"amount_cents": amount})
            return application, False
        owed = earmark_repayment(application.earmark).owed_cents
        if owed <= 0:
            raise errors.NothingOwed()
        if amount_cents > owed:
            raise errors.ReturnExceedsOwed(extra={"owed_cents": owed})
        postings.post_event(
            postings.APPLICATION_EVENTS["unspent_return"],
            earmark=application.earmark,
            amount_cents=amount_cents,
            idempotency_key=key,
            actor_id=acting_user.pk,
            on=on,
        )
        audit_log(
            actor=acting_user,
            action="application_return_booked",
            obj=application,
            data={"amount_cents": amount_cents, "reference": reference, "owed_cents": owed},
        )
    return application, True


OWN_CONTRIBUTION_SOURCES = tuple(sorted(OWN_SOURCES - {"crowdfunding"}))
OWN_CONTRIBUTION_STATES = (
    Application.Status.VOTING,
    Application.Status.APPROVED,
    Application.Status.SUBMITTED,
    Application.Status.ALLOCATED,
    Application.Status.PAID,
    Application.Status.REPORTED,
    Application.Status.CLOSED,
)


def application_own_contribution_book(
    *,
    application: Application,
    acting_user: User | None,
    amount_cents: int,
    reference: str,
    source: str,
    on: date | None = None,
) -> tuple[Application, bool]:
    """The treasurer books the applicant's promised own contribution as it arrives on the
    bank: own income of the application's project (the 5% report counts money received).
    Idempotent by the bank's reference across the cooperative, as returns are; never more
    than was promised. ``acting_user`` None: matched from a bank statement by the system."""
    reference = reference.strip()
    if source not in OWN_CONTRIBUTION_SOURCES:
        raise errors.OwnSourceInvalid(extra={"field": "source"})
    with transaction.atomic():
        application = _locked(application)
        if acting_user is not None:
            _require_role(acting_user, application, Membership.Role.TREASURER)
        key = f"own:{application.fund.cooperative_id}:{bank_reference_key(reference)}"
        booked = JournalEntry.objects.filter(idempotency_key=key).first()
        if booked is not None:
            same = booked.lines.filter(
                earmark=application.earmark, side=JournalLine.Side.CREDIT, amount_cents=amount_cents
            ).exists()
            if not same:
                raise errors.BankReferenceReused()
            return application, False
        if application.status not in OWN_CONTRIBUTION_STATES:
            raise errors.OwnContributionNotExpected(extra={"status": application.status})
        received = sum(
            cents
            for src, cents in own_income_of_earmark(application.earmark).items()
            if src != "crowdfunding"
        )
        remaining = application.own_contribution_cents - received
        if amount_cents > remaining:
            raise errors.OwnContributionExceeds(extra={"remaining_cents": max(remaining, 0)})
        entry = postings.post_income(
            source=source,
            amount_cents=amount_cents,
            idempotency_key=key,
            description=f"Eigen bijdrage {application.title}: {reference}"[:500],
            project_earmark=application.earmark,
            actor_id=acting_user.pk if acting_user else None,
            on=on,
        )
        audit_log(
            actor=acting_user,
            action="application_own_contribution_booked",
            obj=application,
            data={
                "amount_cents": amount_cents,
                "source": source,
                "reference": reference,
                "entry": entry.pk,
            },
        )
    return application, True


def bank_reference_key(reference: str) -> str:
    """A bank reference as a key: compatibility forms folded (NFKC), invisible format
    characters dropped, case folded, white space squeezed."""
    text = unicodedata.normalize("NFKC", reference)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return " ".join(text.casefold().split())[:150]


def _booked_return_cents(entry: JournalEntry) -> int:
    return sum(
        line.amount_cents
        for line in entry.lines.all()
        if line.side == line.Side.CREDIT and line.account.code == GRANT_REFUNDS_RECEIVABLE
    )


def application_write_off(
    *, application: Application, acting_user: User, reason: str
) -> Application:
    """A board member writes off owed money that will not come: booked as a loss (the pot
    never had it back, so it does not change), with the reason in the audit trail."""
    with transaction.atomic():
        application = _locked(application)
        _require_role(acting_user, application, Membership.Role.BOARD)
        owed = earmark_repayment(application.earmark).owed_cents
        if owed <= 0:
            raise errors.NothingOwed()
        _post_money(
            application, "write_off", cause="write-off", actor=acting_user, amount_cents=owed
        )
        audit_log(
            actor=acting_user,
            action="application_written_off",
            obj=application,
            data={"amount_cents": owed, "reason": reason[:500]},
        )
    return application


def application_close(
    *, application: Application, acting_user: User, evaluation: str, note: str = ""
) -> Application:
    """The board evaluates the experiment; successful ones are flagged for follow-up."""
    with transaction.atomic():
        application = _locked(application)
        _require_role(acting_user, application, Membership.Role.BOARD)
        _check_transition(application, "close")
        owed = earmark_repayment(application.earmark).owed_cents
        if owed > 0:
            raise errors.MoneyOwed(extra={"owed_cents": owed})
        application.evaluation = evaluation
        application.evaluation_note = note
        application.follow_up = evaluation == Application.Evaluation.SUCCESSFUL
        _transition(
            application,
            "close",
            actor=acting_user,
            reason=evaluation,
            fields=["evaluation", "evaluation_note", "follow_up"],
        )
    return application


# -- the books -------------------------------------------------------------------------------


def books_period_close(*, year: int, month: int, acting_user: User) -> FiscalPeriod:
    """The city cooperative's treasurer closes a month that has ended, once every vote
    window that closed in it is settled (its decision is dated in that month)."""
    if books_scope(user=acting_user, roles=(Membership.Role.TREASURER,)) is not None or not (
        holds_book_role(user=acting_user, roles=(Membership.Role.TREASURER,))
    ):
        raise errors.NotCityTreasurer()
    zone = timezone.get_current_timezone()
    start = datetime.combine(date(year, month, 1), time.min, tzinfo=zone)
    end = datetime.combine(date(year + month // 12, month % 12 + 1, 1), time.min, tzinfo=zone)
    unsettled = Application.objects.filter(
        status=Application.Status.VOTING, vote_closes_at__gte=start, vote_closes_at__lt=end
    ).count()
    if unsettled:
        raise errors.WindowsUnsettled(extra={"unsettled": unsettled})
    with transaction.atomic():
        period = period_close(year=year, month=month, actor_id=acting_user.pk)
        audit_log(
            actor=acting_user,
            action="ledger_period_closed",
            obj=period,
            data={"year": year, "month": month},
        )
    return period
