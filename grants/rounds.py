"""Innovation rounds: applications come in, board members assess them (never where they
declared a link), voting member organisations may cast approval ballots, a rule proposes
an allocation and the board finalizes it.

A round's money must be there: its budget is at most the innovation pot's available money,
and the pot holds at least 5% of the subsidy income the cooperative booked in the round's
year (the board may reserve more).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from backend.queue import enqueue_on_commit
from community.audit import audit_log
from community.models import Cooperative, MemberOrganisation, Membership, User
from community.selectors import neighbourhoods_covered, user_has_cooperative_role
from ledger import chart, postings
from ledger.selectors import pot_available_cents, trial_balance

from . import allocation, errors, pabulib, tasks
from .coverage import Coverage, coverage, top_priorities
from .models import (
    CRITERIA,
    Application,
    Assessment,
    Fund,
    InterestDeclaration,
    MemberBallot,
    Round,
)
from .services import (
    _check_transition,
    _locked,
    _post_money,
    _require_applicant,
    _transition,
    cooperative_project,
    may_apply_to_innovation,
)

MIN_POT_SHARE = Decimal("0.05")


@dataclass(frozen=True)
class PotFigures:
    """What the API shows beside a round: the pot's money and the 5% it must hold."""

    available_cents: int
    subsidy_cents: int
    minimum_cents: int


def pot_figures(*, fund: Fund, year: int) -> PotFigures:
    cooperative = fund.cooperative
    rows = trial_balance(year=year, project=cooperative_project(cooperative=cooperative))
    subsidy = sum(
        r.credit_cents - r.debit_cents for r in rows if r.code == chart.INCOME_BY_SOURCE["subsidy"]
    )
    minimum = int((Decimal(subsidy) * MIN_POT_SHARE).to_integral_value(rounding="ROUND_CEILING"))
    return PotFigures(
        available_cents=pot_available_cents(fund.earmark),
        subsidy_cents=subsidy,
        minimum_cents=minimum,
    )


def _require_board(user: User, cooperative: Cooperative) -> None:
    if not user_has_cooperative_role(
        user=user, role=Membership.Role.BOARD, cooperative=cooperative
    ):
        raise errors.NotBoard()


def round_create(
    *,
    acting_user: User,
    fund: Fund,
    year: int,
    submission_closes_at: datetime,
    budget_cents: int,
    member_ballots: bool = False,
    ballot_opens_at: datetime | None = None,
    ballot_closes_at: datetime | None = None,
    min_assessments: int = 2,
    weights: dict[str, Decimal] | None = None,
) -> Round:
    """A board member opens the year's round on an innovation fund."""
    _require_board(acting_user, fund.cooperative)
    if fund.kind != Fund.Kind.INNOVATION:
        raise errors.WrongFundKind(extra={"field": "fund"})
    if submission_closes_at <= timezone.now():
        raise errors.RoundDatesInvalid(extra={"field": "submission_closes_at"})
    if timezone.localtime(submission_closes_at).year != year:
        # The 5 percent and the top priorities are those of the round's year: no picking
        # a year without subsidy or priorities booked.
        raise errors.RoundDatesInvalid(extra={"field": "year"})
    if member_ballots and not (
        ballot_opens_at and ballot_closes_at and ballot_opens_at < ballot_closes_at
    ):
        raise errors.RoundDatesInvalid(extra={"field": "ballot_closes_at"})
    with transaction.atomic():
        Fund.objects.select_for_update().get(pk=fund.pk)
        figures = pot_figures(fund=fund, year=year)
        if figures.available_cents < figures.minimum_cents:
            raise errors.PotBelowMinimum(extra=figures.__dict__)
        if budget_cents > figures.available_cents:
            raise errors.RoundBudgetTooLarge(extra=figures.__dict__)
        try:
            with transaction.atomic():
                round_ = Round.objects.create(
                    fund=fund,
                    year=year,
                    submission_closes_at=submission_closes_at,
                    budget_cents=budget_cents,
                    member_ballots=member_ballots,
                    ballot_opens_at=ballot_opens_at if member_ballots else None,
                    ballot_closes_at=ballot_closes_at if member_ballots else None,
                    min_assessments=min_assessments,
                    **{f"weight_{c}": w for c, w in (weights or {}).items() if c in CRITERIA},
                )
        except IntegrityError as exc:
            raise errors.RoundExists() from exc
        round_.open()
        round_.save(update_fields=["status"])
        audit_log(
            actor=acting_user,
            action="round_opened",
            obj=round_,
            data={"year": year, "budget_cents": budget_cents, "member_ballots": member_ballots},
        )
    return round_


def _submissions_closed(round_: Round) -> bool:
    return timezone.now() >= round_.submission_closes_at


def _round_locked(round_id: int) -> Round:
    """The round's row, locked; past its submission deadline an open round is assessing."""
    round_ = Round.objects.select_for_update().select_related("fund").get(pk=round_id)
    if round_.status == Round.Status.OPEN and _submissions_closed(round_):
        round_.assess()
        round_.save(update_fields=["status"])
    return round_


def application_enter(*, application: Application, acting_user: User) -> Application:
    """Submit a draft to its innovation fund's open round."""
    with transaction.atomic():
        application = _locked(application)
        _require_applicant(acting_user, application)
        _check_transition(application, "enter")
        fund = application.fund
        if fund.kind != Fund.Kind.INNOVATION:
            raise errors.WrongFundKind()
        round_ = (
            Round.objects.select_for_update()
            .filter(fund=fund, status=Round.Status.OPEN, submission_closes_at__gt=timezone.now())
            .first()
        )
        if round_ is None:
            raise errors.RoundNotOpen()
        if application.entered_by_id is None:
            may_apply_to_innovation(
                user=acting_user, fund=fund, organisation=application.organisation
            )
        elif application.organisation is not None:
            # A coordinator enters it for the organisation: one of this cooperative's, active.
            organisation = application.organisation
            if not organisation.active or organisation.cooperative_id != fund.cooperative_id:
                raise errors.NotResident()
        if application.amount_requested_cents > round_.budget_cents:
            raise errors.AmountOutOfRange(extra={"max_cents": round_.budget_cents})
        application.round = round_
        _transition(application, "enter", actor=acting_user, fields=["round"])
    return application


# -- conflicts of interest and assessments ---------------------------------------------------


def recused(*, user: User, application: Application) -> bool:
    """Whether ``user`` has a link to the application: they applied or represent its
    organisation, or declared a link to it or to its organisation."""
    if user.pk in (application.applicant_id, application.entered_by_id):
        return True
    links = Q(application=application)
    if application.organisation_id is not None:
        if application.organisation.representatives.filter(pk=user.pk).exists():  # type: ignore[union-attr]
            return True
        links |= Q(organisation_id=application.organisation_id)
    return InterestDeclaration.objects.filter(links, board_member=user).exists()


def interest_declare(
    *,
    acting_user: User,
    note: str,
    organisation: MemberOrganisation | None = None,
    application: Application | None = None,
) -> InterestDeclaration:
    """A board member declares a link to a member organisation or to an application."""
    cooperatives = {
        c.pk: c
        for c in (
            organisation.cooperative if organisation is not None else None,
            application.fund.cooperative if application is not None else None,
        )
        if c is not None
    }
    if not cooperatives:
        raise errors.InterestNeedsLink()
    if len(cooperatives) > 1:
        raise errors.InterestNeedsLink(extra={"reason": "two cooperatives"})
    _require_board(acting_user, next(iter(cooperatives.values())))
    declaration = InterestDeclaration.objects.create(
        board_member=acting_user, organisation=organisation, application=application, note=note
    )
    audit_log(
        actor=acting_user,
        action="interest_declared",
        obj=declaration,
        data={
            "organisation": organisation.pk if organisation else None,
            "application": application.pk if application else None,
            "note": note[:500],
        },
    )
    return declaration


def assessment_create(
    *, application: Application, acting_user: User, comment: str = "", **scores: int
) -> Assessment:
    """A board member without a link to the application scores it on the four criteria,
    once, after the round's applications are in."""
    if set(scores) != set(CRITERIA) or not all(1 <= int(v) <= 5 for v in scores.values()):
        raise errors.ScoreOutOfRange()
    with transaction.atomic():
        application = _locked(application)
        _require_board(acting_user, application.fund.cooperative)
        if application.status != Application.Status.SUBMITTED or application.round_id is None:
            raise errors.TransitionNotAllowed(extra={"status": application.status})
        round_ = _round_locked(application.round_id)
        if round_.status != Round.Status.ASSESSING:
            raise errors.RoundNotAssessing(extra={"status": round_.status})
        if recused(user=acting_user, application=application):
            raise errors.Recused()
        try:
            with transaction.atomic():
                assessment = Assessment.objects.create(
                    application=application, assessor=acting_user, comment=comment, **scores
                )
        except IntegrityError as exc:
            raise errors.AlreadyAssessed() from exc
        audit_log(actor=acting_user, action="application_assessed", obj=application, data=scores)
    return assessment


# -- member ballots ----------------------------------------------------------------------------


def member_ballot_cast(
    *,
    round_: Round,
    organisation: MemberOrganisation,
    approvals: Iterable[Application],
    acting_user: User,
) -> tuple[MemberBallot, bool]:
    """A voting member organisation's approval ballot, cast by its representative within
    the window; casting again replaces it. Returns the ballot and whether it is new."""
    approvals = list(approvals)
    with transaction.atomic():
        round_ = _round_locked(round_.pk)
        if not round_.member_ballots:
            raise errors.NoMemberBallots()
        now = timezone.now()
        assert round_.ballot_opens_at and round_.ballot_closes_at
        if not round_.ballot_opens_at <= now < round_.ballot_closes_at or round_.status not in (
            Round.Status.OPEN,
            Round.Status.ASSESSING,
        ):
            raise errors.BallotWindowClosed(
                extra={"opens_at": round_.ballot_opens_at, "closes_at": round_.ballot_closes_at}
            )
        if not (
            organisation.active
            and organisation.member_kind == MemberOrganisation.MemberKind.VOTING
            and organisation.cooperative_id == round_.fund.cooperative_id
        ):
            raise errors.NotVotingMember()
        if not organisation.representatives.filter(pk=acting_user.pk).exists():
            raise errors.NotRepresentative()
        foreign = [
            a.pk
            for a in approvals
            if a.round_id != round_.pk or a.status != Application.Status.SUBMITTED
        ]
        if foreign:
            raise errors.NotInRound(extra={"applications": foreign})
        ballot, created = MemberBallot.objects.update_or_create(
            round=round_, organisation=organisation, defaults={"cast_by": acting_user}
        )
        ballot.approvals.set(approvals)
        audit_log(
            actor=acting_user,
            action="member_ballot_cast" if created else "member_ballot_replaced",
            obj=ballot,
            data={"approve": sorted(a.pk for a in approvals)},
        )
    return ballot, created


def ballots_of(round_: Round) -> list[frozenset[str]]:
    """The round's approval ballots, whole (Equal Shares needs them so)."""
    return [
        frozenset(str(pk) for pk in ballot.approvals.values_list("pk", flat=True))
        for ballot in round_.ballots.all()
    ]


def scores_of(round_: Round) -> dict[int, dict[str, Any]]:
    """Per application: how many assessed it, the mean per criterion and the weighted mean."""
    weights = round_.weights()
    total_weight = sum(weights.values()) or Decimal(1)
    result: dict[int, dict[str, Any]] = {}
    for application in round_.applications.filter(
        status__in=[
            Application.Status.SUBMITTED,
            Application.Status.ALLOCATED,
            Application.Status.NOT_ALLOCATED,
        ]
    ).prefetch_related("assessments"):
        assessments = list(application.assessments.all())
        means = {
            c: (
                Decimal(sum(getattr(a, c) for a in assessments)) / len(assessments)
                if assessments
                else Decimal(0)
            )
            for c in CRITERIA
        }
        weighted = sum(means[c] * weights[c] for c in CRITERIA) / total_weight
        result[application.pk] = {
            "assessments": len(assessments),
            "means": {c: means[c].quantize(Decimal("0.01")) for c in CRITERIA},
            "weighted": weighted.quantize(Decimal("0.001")),
        }
    return result


# -- allocation, finalizing, the public result -----------------------------------------------

RULE_NAMES = ("board_score", "greedy", "equal_shares", "equal_shares_greedy")


def _in_round(round_: Round) -> list[Application]:
    return list(
        round_.applications.filter(status=Application.Status.SUBMITTED)
        .prefetch_related("priorities")
        .order_by("pk")
    )


def round_top_priorities(round_: Round) -> list[Any]:
    """The top priorities of every buurt the round's cooperative covers, for its year."""
    buurten = neighbourhoods_covered(cooperative=round_.fund.cooperative)
    return top_priorities(
        neighbourhood_ids=buurten.values_list("pk", flat=True),
        year=round_.year,
        top=round_.fund.top_priorities,
    )


def round_coverage(round_: Round, selected: Iterable[int]) -> Coverage:
    chosen = set(selected)
    allocation = {
        a: a.amount_requested_cents
        for a in round_.applications.filter(pk__in=chosen).prefetch_related("priorities")
    }
    return coverage(allocation=allocation, top=round_top_priorities(round_), fund=round_.fund)


def _inputs_fingerprint(round_: Round) -> str:
    """What a proposal was computed from: the applications in the round, every assessment
    and every ballot. Finalizing a proposal whose inputs changed is refused."""
    import hashlib
    import json

    parts = {
        "applications": sorted(
            round_.applications.filter(status=Application.Status.SUBMITTED).values_list(
                "pk", "amount_requested_cents"
            )
        ),
        "assessments": sorted(
            Assessment.objects.filter(application__round=round_).values_list("pk", *CRITERIA)
        ),
        "ballots": sorted(
            (b.pk, b.cast_at.isoformat(), sorted(b.approvals.values_list("pk", flat=True)))
            for b in round_.ballots.all()
        ),
        "weights": [str(w) for w in round_.weights().values()],
        "budget": round_.budget_cents,
    }
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()


def round_allocate(*, round_: Round, rule: str, acting_user: User) -> dict[str, Any]:
    """A board member asks a rule for a proposal: the selected applications and their
    coverage of the top priorities. Nothing is final until :func:`round_finalize`.

    The rule runs outside any transaction (Equal Shares may take seconds on a large round):
    its inputs are read and checked under the round's lock, and the proposal is stored only
    if they are still the same afterwards."""
    if rule not in RULE_NAMES:
        raise errors.UnknownRule(extra={"rules": list(RULE_NAMES)})
    with transaction.atomic():
        round_ = _round_locked(round_.pk)
        _require_board(acting_user, round_.fund.cooperative)
        if round_.status != Round.Status.ASSESSING:
            raise errors.RoundNotAssessing(extra={"status": round_.status})
        applications = _in_round(round_)
        if any(recused(user=acting_user, application=a) for a in applications):
            raise errors.Recused()
        scores = scores_of(round_)
        short = [a.pk for a in applications if scores[a.pk]["assessments"] < round_.min_assessments]
        if short:
            raise errors.AssessmentsMissing(
                extra={"applications": short, "min_assessments": round_.min_assessments}
            )
        if rule != "board_score":
            if not round_.member_ballots:
                raise errors.RuleNeedsBallots()
            assert round_.ballot_closes_at is not None
            if timezone.now() < round_.ballot_closes_at:
                raise errors.BallotStillOpen(extra={"closes_at": round_.ballot_closes_at})
        costs = {str(a.pk): a.amount_requested_cents for a in applications}
        ballots = ballots_of(round_) if rule != "board_score" else []
        inputs = _inputs_fingerprint(round_)
    if rule == "board_score":
        chosen = allocation.board_score(
            round_.budget_cents, costs, {str(pk): s["weighted"] for pk, s in scores.items()}
        )
    else:
        # One euro (100 cents) is the step by which Equal Shares raises every budget.
        chosen = allocation.RULES[rule](round_.budget_cents, costs, ballots, unit=100)
    selected = sorted(int(pk) for pk in chosen)
    proposal = {
        "rule": rule,
        "inputs": inputs,
        "selected": selected,
        "total_cents": sum(costs[str(pk)] for pk in selected),
        "proposed_by": acting_user.pk,
        "proposed_at": timezone.now().isoformat(),
    }
    with transaction.atomic():
        round_ = _round_locked(round_.pk)
        if round_.status != Round.Status.ASSESSING or _inputs_fingerprint(round_) != inputs:
            raise errors.ProposalOutdated()
        round_.proposal = proposal
        round_.save(update_fields=["proposal"])
        audit_log(actor=acting_user, action="round_allocation_proposed", obj=round_, data=proposal)
    return {**proposal, "coverage": round_coverage(round_, selected)}


def round_finalize(*, round_: Round, acting_user: User, override_reason: str = "") -> Round:
    """Fix the proposed allocation: refused while a top priority is not covered, unless the
    board records why (published). The selected amounts are committed from the innovation
    pot, every application is allocated or not, and its applicant hears of it."""
    override_reason = override_reason.strip()
    with transaction.atomic():
        round_ = _round_locked(round_.pk)
        _require_board(acting_user, round_.fund.cooperative)
        if round_.status != Round.Status.ASSESSING:
            raise errors.RoundNotAssessing(extra={"status": round_.status})
        if not round_.proposal:
            raise errors.NoProposal()
        applications = _in_round(round_)
        if any(recused(user=acting_user, application=a) for a in applications):
            raise errors.Recused()
        selected = set(round_.proposal["selected"])
        if round_.proposal.get("inputs") != _inputs_fingerprint(round_):
            # An assessment, a ballot or an application changed since: propose again.
            raise errors.ProposalOutdated()
        covered = round_coverage(round_, selected)
        if covered.uncovered and not override_reason:
            raise errors.TopPrioritiesUncovered(extra={"uncovered": covered.uncovered})
        now = timezone.now()
        for application in applications:
            application = _locked(application)
            if application.pk in selected:
                postings.post_reservation(
                    application=application.earmark,
                    amount_cents=application.amount_requested_cents,
                    idempotency_key=f"application:{application.pk}:allocate-reserve",
                    actor_id=acting_user.pk,
                )
                _post_money(application, "commitment", cause="allocate", actor=acting_user)
            application.decided_at = now
            _transition(
                application,
                "allocate" if application.pk in selected else "not_allocate",
                actor=acting_user,
                reason=round_.proposal["rule"],
                fields=["decided_at"],
            )
            enqueue_on_commit(tasks.notify_decision, application.pk)
        round_.decide()
        round_.decided_by = acting_user
        round_.decided_at = now
        round_.override_reason = override_reason if covered.uncovered else ""
        round_.save(update_fields=["status", "decided_by", "decided_at", "override_reason"])
        audit_log(
            actor=acting_user,
            action="round_decided",
            obj=round_,
            data={
                "rule": round_.proposal["rule"],
                "selected": sorted(selected),
                "uncovered": covered.uncovered,
                "override_reason": round_.override_reason,
            },
        )
    return round_


def round_result(round_: Round) -> dict[str, Any]:
    """What everyone may see of a decided round: the selection, the aggregated scores, the
    member organisations' ballots and their totals, the coverage, who decided, the
    recusals and any override reason."""
    decided = round_.status in (Round.Status.DECIDED, Round.Status.CLOSED)
    applications = list(
        round_.applications.filter(
            status__in=[
                Application.Status.SUBMITTED,
                Application.Status.ALLOCATED,
                Application.Status.NOT_ALLOCATED,
                Application.Status.PAID,
                Application.Status.REPORTED,
                Application.Status.CLOSED,
                Application.Status.CANCELLED,
            ]
        ).order_by("pk")
    )
    selected = sorted(round_.proposal["selected"]) if decided and round_.proposal else []
    scores = scores_of(round_)
    ballots = list(round_.ballots.select_related("organisation").prefetch_related("approvals"))
    totals: dict[int, int] = {a.pk: 0 for a in applications}
    for ballot in ballots:
        for pk in ballot.approvals.values_list("pk", flat=True):
            totals[pk] = totals.get(pk, 0) + 1
    ids = [a.pk for a in applications]
    recusals = InterestDeclaration.objects.filter(
        Q(application_id__in=ids)
        | Q(organisation_id__in=[a.organisation_id for a in applications if a.organisation_id])
    ).select_related("board_member")
    return {
        "round": round_.pk,
        "status": round_.status,
        "budget_cents": round_.budget_cents,
        "rule": round_.proposal["rule"] if decided and round_.proposal else None,
        "selected": selected,
        "allocated_cents": sum(a.amount_requested_cents for a in applications if a.pk in selected),
        "applications": [
            {
                "id": a.pk,
                "title": a.title,
                "amount_cents": a.amount_requested_cents,
                "selected": a.pk in selected,
                "assessments": scores.get(a.pk, {}).get("assessments", 0) if decided else None,
                "scores": scores.get(a.pk, {}).get("means") if decided else None,
                "weighted_score": scores.get(a.pk, {}).get("weighted") if decided else None,
                "approvals": totals.get(a.pk, 0) if decided else None,
            }
            for a in applications
        ],
        "ballots": [
            {
                "organisation": b.organisation.name,
                "approve": sorted(b.approvals.values_list("pk", flat=True)),
            }
            for b in ballots
        ]
        if decided
        else [],
        "coverage": round_coverage(round_, selected) if decided else None,
        "decided_by": round_.decided_by.get_username() if round_.decided_by else None,
        "decided_at": round_.decided_at,
        "recusals": sorted(
            {
                (d.board_member.get_username(), d.application_id or 0, d.organisation_id or 0)
                for d in recusals
            }
        )
        if decided
        else [],
        "override_reason": round_.override_reason,
    }


def _euros(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}" if cents % 100 else str(cents // 100)


def round_pabulib(round_: Round) -> str:
    """A decided round as a pabulib ``.pb`` file, so anyone can check the allocation with
    public tools: the budget and the applications' amounts in euros, the member
    organisations' ballots as voters, and the selection."""
    if round_.status not in (Round.Status.DECIDED, Round.Status.CLOSED) or not round_.proposal:
        raise errors.RoundNotDecided()
    result = round_result(round_)
    ballots = result["ballots"]
    election = pabulib.Election()
    election.meta = {
        "description": f"{round_.fund.name} {round_.year}",
        "country": "Netherlands",
        "unit": round_.fund.cooperative.name,
        "instance": str(round_.year),
        "num_projects": str(len(result["applications"])),
        "num_votes": str(len(ballots)),
        "budget": _euros(round_.budget_cents),
        "vote_type": "approval",
        "rule": str(result["rule"]),
        "currency": "EUR",
    }
    election.project_columns = ["project_id", "cost", "votes", "name", "selected"]
    election.projects = {
        str(a["id"]): {
            "project_id": str(a["id"]),
            "cost": _euros(a["amount_cents"]),
            "votes": str(a["approvals"] or 0),
            "name": a["title"],
            "selected": "1" if a["selected"] else "0",
        }
        for a in result["applications"]
    }
    election.vote_columns = ["voter_id", "vote"]
    election.votes = [
        {"voter_id": str(n), "vote": ",".join(str(pk) for pk in b["approve"])}
        for n, b in enumerate(ballots, start=1)
    ]
    return pabulib.dump(election)


PABULIB_MAX_BYTES = 5 * 1024 * 1024
# Warszawa 2026 (61,668 ballots) takes about 9 s; a request never computes much longer.
PABULIB_SECONDS = 20.0


def pabulib_select(*, text: str, rule: str) -> dict[str, Any]:
    """Replay a pabulib election with one of our approval rules (anyone may check an
    allocation, ours or a city's). Raises :class:`~grants.pabulib.PabulibError` naming the
    line of a malformed file."""
    if rule not in allocation.RULES:
        raise errors.UnknownRule(extra={"rules": sorted(allocation.RULES)})
    election = pabulib.parse(text)
    budget, costs, unit = election.money()
    ballots = election.ballots()
    try:
        if rule == "greedy":
            selected = allocation.greedy(budget, costs, ballots, unit=unit)
        elif rule == "equal_shares":
            selected = allocation.equal_shares(
                budget, costs, ballots, unit=unit, seconds=PABULIB_SECONDS
            )
        else:
            selected = allocation.equal_shares_greedy(
                budget, costs, ballots, unit=unit, seconds=PABULIB_SECONDS
            )
    except allocation.TooLong:
        raise errors.PabulibTooLong(extra={"seconds": PABULIB_SECONDS}) from None
    return {
        "rule": rule,
        "selected": sorted(selected),
        "projects": len(costs),
        "voters": len(election.votes),
        "budget": election.meta.get("budget", ""),
    }


def round_close(*, round_: Round, acting_user: User) -> Round:
    """The board closes a decided round: its result stays published, nothing more changes."""
    with transaction.atomic():
        round_ = _round_locked(round_.pk)
        _require_board(acting_user, round_.fund.cooperative)
        if round_.status != Round.Status.DECIDED:
            raise errors.RoundNotDecided(extra={"status": round_.status})
        round_.close()
        round_.save(update_fields=["status"])
        audit_log(actor=acting_user, action="round_closed", obj=round_)
    return round_
