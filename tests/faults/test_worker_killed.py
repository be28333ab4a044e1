"""kill -9 the Celery worker in the middle of a task, start a new one: the task is handed out
again (acks_late, a short visibility timeout) and the work is done exactly once.

Each test arms one pause point (backend/faults.py), waits until the worker holds still there,
kills it with SIGKILL together with its pool, and starts a fresh worker:
- inside the transaction, before its commit: nothing may be left of the first attempt;
- after the commit, before the acknowledgement: the second run must change nothing;
- (refunds) after Stripe refunded, before anything was recorded: no second refund.
"""

from __future__ import annotations

import base64
import json
import re
import time
import urllib.parse
import urllib.request
from datetime import timedelta

import pytest
from django.utils import timezone

from grants import services
from grants.models import Application, StatusChange, TopUp
from grants.topups import stripe_event_record, topup_create
from ledger.models import JournalEntry
from tests.faults.conftest import VISIBILITY_TIMEOUT, Faults, Worker
from tests.grants.factories import advance, board_of, make_application, make_fund, resident_of
from tests.waiting import wait_for
from voting.services import ballot_cast
from voting.tasks import settle_window

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]


def _succeeded(worker: Worker, task: str) -> bool:
    return re.search(rf"Task {re.escape(task)}\[[^\]]+\] succeeded", worker.text()) is not None


def _kill_and_restart(faults: Faults, point: str, task: str, figures, label: str) -> Worker:
    faults.wait_reached(point)
    killed_at = time.monotonic()
    faults.workers[-1].kill9()
    faults.disarm(point)  # the next worker runs through
    second = faults.worker("second")
    wait_for(lambda: _succeeded(second, task), f"{task} handed out again and run", 120)
    figures(
        f"{label}: worker killed at {point}; the new worker finished {task} "
        f"{time.monotonic() - killed_at:.1f}s later (visibility timeout {VISIBILITY_TIMEOUT}s)"
    )
    return second


@pytest.mark.parametrize("point", ["settle.before_commit", "settle.after_commit"])
def test_a_vote_is_decided_and_booked_once_when_its_worker_is_killed(
    point, faults, figures, coop_a, rivierenwijk
):
    fund = make_fund(coop_a, rivierenwijk, quorum=3)
    application = advance(make_application(fund), "voting")
    for choice in ("yes", "yes", "yes", "no"):
        ballot_cast(application_id=application.pk, voter=resident_of(fund), choice=choice)
    # The window has closed; its settling task is due.
    Application.objects.filter(pk=application.pk).update(
        vote_closes_at=timezone.now() - timedelta(minutes=1)
    )
    faults.arm(point)
    faults.worker("first")
    with faults.via_broker():
        settle_window.delay(application.pk)

    faults.wait_reached(point)
    application.refresh_from_db()
    # Held inside the transaction, the decision is not visible yet; after the commit it is.
    assert application.status == ("voting" if point == "settle.before_commit" else "approved")
    _kill_and_restart(faults, point, "voting.tasks.settle_window", figures, "vote settling")

    application.refresh_from_db()
    assert (application.status, application.yes_votes, application.no_votes) == ("approved", 3, 1)
    assert StatusChange.objects.filter(application=application, to_status="approved").count() == 1
    decided = JournalEntry.objects.filter(idempotency_key=f"application:{application.pk}:decide")
    assert decided.count() == 1


def _localstripe(base: str, method: str, path: str, data: dict | None = None) -> dict:
    body = urllib.parse.urlencode(data or {}).encode() if method == "POST" else None
    request = urllib.request.Request(f"{base}{path}", data=body, method=method)
    key = base64.b64encode(b"sk_test_buurtfonds:").decode()
    request.add_header("Authorization", f"Basic {key}")
    with urllib.request.urlopen(request, timeout=10) as response:  # nosec B310
        return json.loads(response.read() or b"{}")


def _paid_topup(base: str, application: Application) -> TopUp:
    """A top-up created through our gateway, paid by card at localstripe, its success event
    taken into account as the webhook would."""
    topup, _ = topup_create(application_id=application.pk, amount_cents=2_500, email="g@x.nl")
    method = _localstripe(
        base,
        "POST",
        "/v1/payment_methods",
        {"type": "card", "card[number]": "4242424242424242", "card[exp_month]": "12",
         "card[exp_year]": "2030", "card[cvc]": "123"},
    )  # fmt: skip
    intent_path = f"/v1/payment_intents/{topup.payment_intent_id}"
    _localstripe(base, "POST", intent_path, {"payment_method": method["id"]})
    intent = _localstripe(base, "POST", f"{intent_path}/confirm")
    event = {"id": f"evt_faults_{topup.pk}", "type": "payment_intent.succeeded"}
    assert stripe_event_record({**event, "data": {"object": intent}}) == "succeeded"
    topup.refresh_from_db()
    return topup


@pytest.mark.parametrize(
    "point", ["refund.after_stripe", "refund.before_commit", "refund.after_commit"]
)
def test_a_top_up_is_refunded_once_when_its_worker_is_killed(
    point, faults, figures, settings, localstripe_url, coop_a, rivierenwijk
):
    settings.STRIPE_API_BASE = localstripe_url
    settings.STRIPE_PAYMENT_METHOD_TYPES = ["card"]  # localstripe takes cards only
    application = advance(make_application(make_fund(coop_a, rivierenwijk)), "approved")
    topup = _paid_topup(localstripe_url, application)
    assert topup.status == "succeeded"

    faults.arm(point)
    faults.worker("first")
    with faults.via_broker():
        # The plan does not go ahead: its top-ups go back, by a task (grants.tasks).
        services.application_cancel(application=application, acting_user=board_of(coop_a))

    faults.wait_reached(point)
    _kill_and_restart(faults, point, "grants.tasks.refund_topups", figures, "top-up refund")

    topup.refresh_from_db()
    at_stripe = _localstripe(
        localstripe_url, "GET", f"/v1/refunds?payment_intent={topup.payment_intent_id}"
    )
    assert [(r["id"], r["amount"]) for r in at_stripe["data"]] == [(topup.refund_id, 2_500)]
    assert topup.status == "refunded"
    assert JournalEntry.objects.filter(idempotency_key=f"topup:{topup.pk}:refund").count() == 1
