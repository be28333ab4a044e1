"""With the broker down, votes and submissions still work (the queueing error is logged, the
request never fails), and closed windows are settled by a command that needs no broker."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from backend.celery import app
from grants import services
from grants.models import Application, TopUp
from payments import gateway
from tests.conftest import client_for
from tests.grants.factories import advance, make_application, make_fund, resident_of
from tests.payments.stub import StubStripe, event, signed

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker_down():
    before = {key: app.conf[key] for key in ("task_always_eager", "broker_url")}
    app.conf.update(task_always_eager=False, broker_url="redis://127.0.0.1:9/0")  # nobody there
    yield
    app.conf.update(before)
    app._pool = None  # the producer pool built for the dead broker goes with it


def test_votes_count_and_windows_settle_without_a_broker(
    coop_a, rivierenwijk, broker_down, caplog, django_capture_on_commit_callbacks, time_machine
):
    fund = make_fund(coop_a, rivierenwijk, vote_window_minutes=60, quorum=1)
    draft = make_application(fund)
    with caplog.at_level(logging.ERROR, logger="backend.queue"):
        with django_capture_on_commit_callbacks(execute=True):
            submitted = client_for(draft.applicant).post(f"/api/v1/applications/{draft.pk}/submit/")
        with django_capture_on_commit_callbacks(execute=True):
            voted = client_for(resident_of(fund)).post(
                f"/api/v1/applications/{draft.pk}/vote/", {"choice": "yes"}, format="json"
            )
    assert (submitted.status_code, voted.status_code) == (200, 201)
    assert any("could not queue" in r.getMessage() for r in caplog.records)

    time_machine.move_to(timezone.now() + timedelta(hours=2))
    call_command("settle_windows")
    assert Application.objects.get(pk=draft.pk).status == "approved"


def test_top_ups_work_and_are_refunded_without_a_broker(
    coop_a, rivierenwijk, broker_down, caplog, django_capture_on_commit_callbacks, time_machine
):
    """A donor tops up and pays while Redis is down; the plan is rejected, the refund cannot
    be queued, and `sweep_topups` (no broker) gives the money back, once."""
    fund = make_fund(coop_a, rivierenwijk)
    application = advance(make_application(fund), "voting")
    stub = StubStripe()
    with gateway.use_http_client(stub), caplog.at_level(logging.ERROR, logger="backend.queue"):
        anonymous = APIClient()
        created = anonymous.post(
            f"/api/v1/applications/{application.pk}/topups/",
            {"amount_cents": 2_500, "email": "gever@example.org"},
            format="json",
        )
        assert created.status_code == 201, created.json()
        topup = TopUp.objects.get(pk=created.json()["topup_id"])
        payload, header = signed(
            event("payment_intent.succeeded", stub.succeed(topup.payment_intent_id))
        )
        with django_capture_on_commit_callbacks(execute=True):
            webhook = anonymous.post(
                "/api/v1/stripe/webhook/",
                payload,
                content_type="application/json",
                HTTP_STRIPE_SIGNATURE=header,
            )
        assert webhook.status_code == 200
        assert TopUp.objects.get(pk=topup.pk).status == "succeeded"

        with django_capture_on_commit_callbacks(execute=True):
            services.application_decide(
                application=Application.objects.get(pk=application.pk), yes=0, no=3
            )
        assert any("could not queue" in r.getMessage() for r in caplog.records)
        assert TopUp.objects.get(pk=topup.pk).status == "succeeded"  # nothing refunded yet

        time_machine.move_to(timezone.now() + timedelta(minutes=10))
        call_command("sweep_topups")
        call_command("sweep_topups")  # a second run (cron overlapping) refunds nothing more

    assert TopUp.objects.get(pk=topup.pk).status in ("refund_pending", "refunded")
    refunds = [r for r in stub.requests if (r["method"], r["path"]) == ("POST", "/v1/refunds")]
    assert len(refunds) == 1 and refunds[0]["form"]["amount"] == "2500"
