"""Top-ups: money anyone adds to an application through Stripe, booked once, refunded when
the plan does not go ahead.

The one synchronous Stripe call is creating a top-up's PaymentIntent (its client secret
goes back in the response); it runs between two short transactions, never inside one.
Everything else comes from Stripe's webhook events (each stored once and processed in one
transaction) or from Celery tasks and their sweep.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from backend.faults import pause_point
from backend.queue import enqueue_on_commit
from community.audit import audit_log
from ledger import chart, postings
from ledger.models import JournalEntry
from ledger.selectors import own_income_of_earmark
from payments import gateway

from . import errors, tasks
from .models import Application, StripeEvent, TopUp

log = logging.getLogger(__name__)

ACCEPTING = (Application.Status.VOTING, Application.Status.APPROVED, Application.Status.PAID)
ENDED = (Application.Status.REJECTED, Application.Status.WITHDRAWN, Application.Status.CANCELLED)
OPEN = (TopUp.Status.CREATED, TopUp.Status.PENDING)
MAX_REFUND_ATTEMPTS = 5


def topup_lacking_cents(application: Application) -> int:
    """What the application still lacks: its total budget minus the grant, the own
    contributions received (from the books) and the top-ups still being paid."""
    received = sum(own_income_of_earmark(application.earmark).values())
    pending = (
        TopUp.objects.filter(application=application, status__in=OPEN).aggregate(
            total=Sum("amount_cents")
        )["total"]
        or 0
    )
    lacking = (
        application.total_budget_cents - application.amount_requested_cents - received - pending
    )
    return max(0, lacking)


def topup_create(
    *,
    application_id: int,
    amount_cents: int,
    email: str,
    display_name: str = "",
    show_name: bool = False,
    keep_if_cancelled: bool = False,
) -> tuple[TopUp, gateway.PaymentIntent]:
    """Anyone adds money to an application: a top-up row (its idempotency key stored
    first), then one PaymentIntent at Stripe, outside any transaction. When Stripe fails the
    top-up is marked failed and :class:`~grants.errors.PaymentProviderUnavailable` says to
    try again; nothing is half-created."""
    if not settings.TOPUP_MIN_CENTS <= amount_cents <= settings.TOPUP_MAX_CENTS:
        raise errors.TopUpOutOfRange(
            extra={"min_cents": settings.TOPUP_MIN_CENTS, "max_cents": settings.TOPUP_MAX_CENTS}
        )
    with transaction.atomic():
        # The application's row lock: parallel top-ups cannot both fit the same need.
        application = (
            Application.objects.select_for_update(of=("self",))
            .select_related("fund", "earmark")
            .get(pk=application_id)
        )
        if application.status not in ACCEPTING:
            raise errors.NotAcceptingTopUps(extra={"status": application.status})
        if application.fund.cap_topups_at_need:
            lacking = topup_lacking_cents(application)
            if amount_cents > lacking:
                raise errors.TopUpExceedsNeed(extra={"lacking_cents": lacking})
        topup = TopUp.objects.create(
            application=application,
            amount_cents=amount_cents,
            email=email,
            display_name=display_name.strip(),
            show_name=show_name,
            keep_if_cancelled=keep_if_cancelled,
            idempotency_key=f"buurtfonds-topup-{uuid.uuid4()}",
        )
        audit_log(
            actor=None,
            action="topup_created",
            obj=topup,
            data={"application": application.pk, "amount_cents": amount_cents},
        )
    try:
        intent = gateway.payment_intent_create(
            amount_cents=amount_cents,
            metadata={"topup_id": str(topup.pk), "application_id": str(application.pk)},
            idempotency_key=topup.idempotency_key,
        )
    except gateway.GatewayError as exc:
        log.warning("top-up %s: Stripe failed: %s", topup.pk, exc)
        _fail(topup.pk, "stripe_unavailable")
        raise errors.PaymentProviderUnavailable() from exc
    with transaction.atomic():
        topup = _locked(topup.pk)
        # The webhook may have been faster than this commit: never step back from it.
        if not topup.payment_intent_id:
            topup.payment_intent_id = intent.id
        if topup.status == TopUp.Status.CREATED:
            topup.open()
        topup.save(update_fields=["payment_intent_id", "status", "updated_at"])
    return topup, intent


def _locked(topup_id: int) -> TopUp:
    return TopUp.objects.select_for_update().select_related("application__fund").get(pk=topup_id)


def _fail(topup_id: int, reason: str) -> None:
    with transaction.atomic():
        topup = _locked(topup_id)
        if topup.status in OPEN:
            topup.fail()
            topup.failure = reason[:200]
            topup.save(update_fields=["status", "failure", "updated_at"])
            audit_log(actor=None, action="topup_failed", obj=topup, data={"reason": reason[:200]})


# -- Stripe's webhook ------------------------------------------------------------------------


def stripe_event_record(event: dict[str, Any]) -> str:
    """Take one verified Stripe event into account, once: the event row (its id unique) and
    all it changes commit together. Returns what it did. Raises
    :class:`payments.gateway.GatewayUnavailable` when a fee must be looked up and Stripe does
    not answer (nothing stored: Stripe delivers the event again)."""
    event_id = str(event["id"])
    kind = str(event.get("type") or "")
    obj = (event.get("data") or {}).get("object") or {}
    if StripeEvent.objects.filter(event_id=event_id).exists():
        return "duplicate"
    fee = None
    charge = _charge_of(obj) if kind == "payment_intent.succeeded" else ""
    if charge:
        try:
            fee = gateway.charge_fee_cents(charge)
        except gateway.GatewayRefused as exc:
            # Booked without a fee; the reconciliation with Stripe shows the difference.
            log.warning("Stripe event %s: no fee for charge %s: %s", event_id, charge, exc)
    created = event.get("created")
    with transaction.atomic():
        stored, new = StripeEvent.objects.get_or_create(
            event_id=event_id,
            defaults={
                "type": kind[:100],
                "object_id": str(obj.get("id") or "")[:255],
                "created": (
                    datetime.fromtimestamp(int(created), tz=UTC)
                    if isinstance(created, int)
                    else None
                ),
            },
        )
        if not new:
            return "duplicate"
        handler = _HANDLERS.get(kind)
        outcome = handler(obj, fee) if handler else "ignored"
        stored.outcome = outcome[:200]
        stored.save(update_fields=["outcome"])
    if outcome.startswith("unknown") or outcome.startswith("mismatch"):
        log.warning("Stripe event %s (%s): %s", event_id, kind, outcome)
    return outcome


def _charge_of(intent: dict[str, Any]) -> str:
    """A PaymentIntent's charge: ``latest_charge``, or (older API versions, which
    localstripe speaks) the first of its ``charges``."""
    charge = intent.get("latest_charge")
    if not charge:
        charges = (intent.get("charges") or {}).get("data") or [{}]
        charge = charges[0].get("id") if isinstance(charges[0], dict) else None
    if isinstance(charge, dict):
        charge = charge.get("id")
    return str(charge or "")[:255]


def _topup_of_intent(obj: dict[str, Any]) -> TopUp | None:
    """The top-up a PaymentIntent names in its metadata (set before any event can exist),
    else the one holding its id; locked."""
    metadata = obj.get("metadata") or {}
    topup_id = str(metadata.get("topup_id") or "")
    intent_id = str(obj.get("id") or "")
    query = TopUp.objects.select_for_update().select_related("application__fund")
    if topup_id.isdigit():
        topup = query.filter(pk=int(topup_id)).first()
        if topup is not None and topup.payment_intent_id in (None, intent_id):
            return topup
    return query.filter(payment_intent_id=intent_id).first() if intent_id else None


def _intent_succeeded(obj: dict[str, Any], fee: int | None) -> str:
    topup = _topup_of_intent(obj)
    if topup is None:
        return f"unknown payment intent {obj.get('id')}"
    if int(obj.get("amount") or 0) != topup.amount_cents or obj.get("currency") != "eur":
        return f"mismatch: {obj.get('amount')} {obj.get('currency')} for top-up {topup.pk}"
    if topup.status not in (*OPEN, TopUp.Status.FAILED):
        return "already succeeded"
    # The application's lock, as topup_create takes it: a payment that failed freed its
    # room, so when it succeeds after all it must still fit.
    application = (
        Application.objects.select_for_update(of=("self",))
        .select_related("fund", "earmark")
        .get(pk=topup.application_id)
    )
    if topup.status == TopUp.Status.FAILED and application.fund.cap_topups_at_need:
        topup.over_need = topup.amount_cents > topup_lacking_cents(application)
    topup.payment_intent_id = topup.payment_intent_id or str(obj["id"])
    topup.charge_id = _charge_of(obj)
    topup.fee_cents = min(fee or 0, topup.amount_cents)
    topup.succeed()
    topup.save(
        update_fields=[
            "payment_intent_id", "charge_id", "fee_cents", "over_need", "status", "updated_at"
        ]
    )  # fmt: skip
    postings.post_crowdfunding(
        earmark=application.earmark,
        amount_cents=topup.amount_cents,
        fee_cents=topup.fee_cents,
        idempotency_key=f"topup:{topup.pk}:succeeded",
        description=f"Crowdfunding {application.earmark.name}",
    )
    audit_log(
        actor=None,
        action="topup_succeeded",
        obj=topup,
        data={"amount_cents": topup.amount_cents, "fee_cents": topup.fee_cents},
    )
    if application.status in ENDED or topup.over_need:
        # iDEAL can confirm after the plan was decided against, or a failed payment succeed
        # when others filled the need meanwhile: it goes back the same way.
        enqueue_on_commit(tasks.refund_topup, topup.pk)
        return "succeeded, to be refunded"
    return "succeeded"


def _intent_failed(obj: dict[str, Any], fee: int | None) -> str:
    topup = _topup_of_intent(obj)
    if topup is None:
        return f"unknown payment intent {obj.get('id')}"
    if topup.status not in OPEN:
        return f"ignored in {topup.status}"
    error = obj.get("last_payment_error") or {}
    topup.failure = str(error.get("code") or obj.get("cancellation_reason") or "failed")[:200]
    topup.payment_intent_id = topup.payment_intent_id or str(obj["id"])
    topup.fail()
    topup.save(update_fields=["failure", "payment_intent_id", "status", "updated_at"])
    audit_log(actor=None, action="topup_failed", obj=topup, data={"reason": topup.failure})
    return "failed"


def _refund_outcome(intent_id: str, refund_id: str, status: str, amount: int) -> str:
    topup = (
        TopUp.objects.select_for_update()
        .select_related("application__earmark")
        .filter(payment_intent_id=intent_id)
        .first()
    )
    if topup is None:
        return f"unknown payment intent {intent_id}"
    if status == "succeeded":
        if amount != topup.amount_cents:
            return f"mismatch: refund of {amount} for top-up {topup.pk}"
        return _mark_refunded(topup, refund_id)
    if status in ("failed", "canceled") and topup.status == TopUp.Status.REFUND_PENDING:
        topup.refund_fail()
        topup.failure = f"refund {status}"
        topup.save(update_fields=["status", "failure", "updated_at"])
        audit_log(actor=None, action="topup_refund_failed", obj=topup, data={"refund": refund_id})
        return "refund failed"
    return f"refund {status}"


def _mark_refunded(topup: TopUp, refund_id: str) -> str:
    if topup.status == TopUp.Status.REFUNDED:
        return "already refunded"
    if topup.status not in (
        TopUp.Status.SUCCEEDED,
        TopUp.Status.REFUND_PENDING,
        TopUp.Status.REFUND_FAILED,
    ):
        return f"ignored in {topup.status}"
    if topup.status == TopUp.Status.SUCCEEDED:
        topup.refund()  # refunded at Stripe directly (the dashboard)
    topup.refunded()
    topup.refund_id = topup.refund_id or refund_id
    topup.save(update_fields=["status", "refund_id", "updated_at"])
    application = topup.application
    # The income goes back; Stripe keeps its fee, which stays an expense.
    postings.post_event(
        postings.PROCESSOR_EVENTS["refund"],
        earmark=application.earmark,
        amount_cents=topup.amount_cents,
        idempotency_key=f"topup:{topup.pk}:refund",
        description=f"Terugbetaling crowdfunding {application.earmark.name}",
    )
    audit_log(actor=None, action="topup_refunded", obj=topup, data={"refund": refund_id})
    return "refunded"


def _charge_refunded(obj: dict[str, Any], fee: int | None) -> str:
    if int(obj.get("amount_refunded") or 0) < int(obj.get("amount") or 0):
        return "partial refund ignored"
    refunds = ((obj.get("refunds") or {}).get("data")) or [{}]
    return _refund_outcome(
        str(obj.get("payment_intent") or ""),
        str(refunds[0].get("id") or ""),
        "succeeded",
        int(obj.get("amount_refunded") or 0),
    )


def _refund_changed(obj: dict[str, Any], fee: int | None) -> str:
    return _refund_outcome(
        str(obj.get("payment_intent") or ""),
        str(obj.get("id") or ""),
        str(obj.get("status") or ""),
        int(obj.get("amount") or 0),
    )


def _refund_failed(obj: dict[str, Any], fee: int | None) -> str:
    return _refund_outcome(
        str(obj.get("payment_intent") or ""), str(obj.get("id") or ""), "failed", 0
    )


_HANDLERS = {
    "payment_intent.succeeded": _intent_succeeded,
    "payment_intent.payment_failed": _intent_failed,
    "payment_intent.canceled": _intent_failed,
    "charge.refunded": _charge_refunded,
    "refund.updated": _refund_changed,
    "refund.failed": _refund_failed,
}


# -- refunds when a plan does not go ahead ---------------------------------------------------


def _kept(topup: TopUp) -> bool:
    """The fund keeps top-ups of ended plans, and this donor agreed when paying."""
    return topup.application.fund.keep_topups_if_ended and topup.keep_if_cancelled


def topups_refund(*, application_id: int) -> int:
    """Refund every succeeded top-up of an application that does not go ahead (unless kept
    with the donor's consent). Idempotent; returns how many refunds it started or finished.

    A refund that a killed worker left pending with no refund recorded is taken up again
    (:func:`topup_refund` looks at Stripe before creating one), so the task handed out again
    after the crash finishes it instead of leaving it to the sweep."""
    application = Application.objects.get(pk=application_id)
    if application.status not in ENDED:
        return 0
    ids = list(
        TopUp.objects.filter(application_id=application_id)
        .filter(
            Q(status=TopUp.Status.SUCCEEDED) | Q(status=TopUp.Status.REFUND_PENDING, refund_id="")
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return sum(1 for pk in ids if topup_refund(topup_id=pk))


def topup_refund(*, topup_id: int) -> bool:
    """Refund one top-up at Stripe. The status moves to refund_pending first (committed);
    then, outside any transaction, the PaymentIntent's existing refunds are looked up and one
    is created only if none is under way, so a task run twice refunds once. Stripe's answer
    (or a later webhook event) decides refunded or refund_failed; an unreachable Stripe
    leaves it pending for the sweep."""
    with transaction.atomic():
        topup = _locked(topup_id)
        retry = topup.status == TopUp.Status.REFUND_PENDING and not topup.refund_id
        if not retry:
            if topup.status not in (TopUp.Status.SUCCEEDED, TopUp.Status.REFUND_FAILED):
                return False
            ended = topup.application.status in ENDED and not _kept(topup)
            if not (ended or topup.over_need):
                return False
            topup.refund()
        topup.refund_attempts += 1
        topup.save(update_fields=["status", "refund_attempts", "updated_at"])
        if not retry:
            audit_log(actor=None, action="topup_refund_requested", obj=topup)
    assert topup.payment_intent_id
    try:
        under_way = [
            r
            for r in gateway.refunds_for(topup.payment_intent_id)
            if r.status not in ("failed", "canceled")
        ]
        refund = under_way[0] if under_way else None
        if refund is None:
            refund = gateway.refund_create(
                payment_intent_id=topup.payment_intent_id,
                amount_cents=topup.amount_cents,
                idempotency_key=f"{topup.idempotency_key}-refund-{topup.refund_attempts}",
                metadata={"topup_id": str(topup.pk)},
            )
        # Refunded at Stripe, nothing of it recorded here yet.
        pause_point("refund.after_stripe")
    except gateway.GatewayUnavailable as exc:
        log.warning("refund of top-up %s waits for Stripe: %s", topup.pk, exc)
        return True
    except gateway.GatewayRefused as exc:
        with transaction.atomic():
            topup = _locked(topup_id)
            if topup.status == TopUp.Status.REFUND_PENDING:
                topup.refund_fail()
                topup.failure = str(exc)[:200]
                topup.save(update_fields=["status", "failure", "updated_at"])
                audit_log(actor=None, action="topup_refund_failed", obj=topup)
        return True
    with transaction.atomic():
        topup = (
            TopUp.objects.select_for_update()
            .select_related("application__earmark")
            .get(pk=topup_id)
        )
        topup.refund_id = refund.id
        topup.save(update_fields=["refund_id", "updated_at"])
        if refund.status in ("succeeded", "failed", "canceled"):
            _refund_outcome(topup.payment_intent_id or "", refund.id, refund.status, refund.amount)
        # Refunded at Stripe and booked, not yet committed.
        pause_point("refund.before_commit")
    return True


def topups_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """What a lost task or a crashed request left behind: top-ups still in created (their
    PaymentIntent is fetched again with the same key and cancelled, or left to its webhook
    when it succeeded), refunds never started or failed (retried up to 5 times, an hour
    apart), and succeeded top-ups of plans that ended."""
    now = now or timezone.now()
    done = {"expired": 0, "refunds": 0}
    stale = TopUp.objects.filter(
        status=TopUp.Status.CREATED, created_at__lt=now - timedelta(minutes=15)
    )
    for topup in stale:
        try:
            intent = gateway.payment_intent_create(
                amount_cents=topup.amount_cents,
                metadata={"topup_id": str(topup.pk), "application_id": str(topup.application_id)},
                idempotency_key=topup.idempotency_key,
            )
            if intent.status not in ("succeeded", "processing", "canceled"):
                gateway.payment_intent_cancel(intent.id)
        except gateway.GatewayError as exc:
            log.warning("sweep: top-up %s still unknown at Stripe: %s", topup.pk, exc)
            continue
        if intent.status in ("succeeded", "processing"):
            with transaction.atomic():
                locked = _locked(topup.pk)
                if locked.status == TopUp.Status.CREATED:
                    locked.payment_intent_id = locked.payment_intent_id or intent.id
                    locked.open()
                    locked.save(update_fields=["payment_intent_id", "status", "updated_at"])
            continue
        _fail(topup.pk, "abandoned")
        done["expired"] += 1
    retry = TopUp.objects.filter(
        Q(
            status=TopUp.Status.REFUND_PENDING,
            refund_id="",
            updated_at__lt=now - timedelta(minutes=5),
        )
        | Q(
            status=TopUp.Status.REFUND_FAILED,
            refund_attempts__lt=MAX_REFUND_ATTEMPTS,
            updated_at__lt=now - timedelta(hours=1),
        )
        | Q(status=TopUp.Status.SUCCEEDED, application__status__in=ENDED)
        | Q(status=TopUp.Status.SUCCEEDED, over_need=True)
    )
    for pk in sorted({t.pk for t in retry}):
        if topup_refund(topup_id=pk):
            done["refunds"] += 1
    return done


# -- reconciliation --------------------------------------------------------------------------


def _booked(key: str, account: str) -> int | None:
    """What an entry booked on one account (None: no such entry)."""
    entry = JournalEntry.objects.filter(idempotency_key=key).first()
    if entry is None:
        return None
    return sum(line.amount_cents for line in entry.lines.all() if line.account.code == account)


def stripe_reconcile(*, start: date, end: date) -> list[str]:
    """Stripe's balance transactions created in [start, end) beside the books: every charge
    and refund must match a top-up's entry to the cent (amount and fee), and every top-up
    entry of those days must be at Stripe. Returns the differences, one sentence each."""
    zone = timezone.get_current_timezone()
    start_at = datetime.combine(start, time.min, tzinfo=zone)
    end_at = datetime.combine(end, time.min, tzinfo=zone)
    transactions = gateway.balance_transactions(
        created_from=int(start_at.timestamp()), created_to=int(end_at.timestamp())
    )
    income = chart.INCOME_BY_SOURCE["crowdfunding"]
    differences: list[str] = []
    seen: set[str] = set()
    for t in transactions:
        if t.type in ("charge", "payment"):
            topup = TopUp.objects.filter(charge_id=t.source).first() if t.source else None
            if topup is None:
                differences.append(f"{t.id}: charge {t.source} of {t.amount} has no top-up")
                continue
            key = f"topup:{topup.pk}:succeeded"
            seen.add(key)
            amount, fee = _booked(key, income), _booked(key, chart.PAYMENT_FEES)
            if amount is None:
                differences.append(f"{t.id}: top-up {topup.pk} paid {t.amount}, not in the books")
            elif amount != t.amount or (fee or 0) != t.fee:
                differences.append(
                    f"{t.id}: top-up {topup.pk} booked {amount} (fee {fee or 0}), "
                    f"Stripe {t.amount} (fee {t.fee})"
                )
        elif t.type in ("refund", "payment_refund"):
            topup = TopUp.objects.filter(refund_id=t.source).first() if t.source else None
            if topup is None:
                differences.append(f"{t.id}: refund {t.source} of {-t.amount} has no top-up")
                continue
            key = f"topup:{topup.pk}:refund"
            seen.add(key)
            amount = _booked(key, income)
            if amount != -t.amount:
                differences.append(
                    f"{t.id}: refund of top-up {topup.pk} booked {amount}, Stripe {-t.amount}"
                )
        else:
            differences.append(f"{t.id}: {t.type} of {t.amount} is not booked by buurtfonds")
    for key in (
        JournalEntry.objects.filter(
            kind__in=[JournalEntry.Kind.CROWDFUNDING, JournalEntry.Kind.REFUND],
            date__gte=start,
            date__lt=end,
            idempotency_key__startswith="topup:",
        )
        .exclude(idempotency_key__in=seen)
        .values_list("idempotency_key", flat=True)
    ):
        differences.append(f"{key}: in the books, not among Stripe's balance transactions")
    return differences
