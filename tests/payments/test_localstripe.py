"""End to end against localstripe, a stateful stand-in for Stripe (a separate process, never
imported): a top-up is created through our API, paid as Stripe.js would, its webhook event is
signed and delivered by localstripe to our live server and booked; then the plan is cancelled
and the top-up refunded at localstripe and in the books.

CI starts localstripe on loopback inside a private network namespace and sets
LOCALSTRIPE_URL; elsewhere these tests are skipped.
"""

import os

import pytest
from rest_framework.test import APIClient

from grants import services
from grants.models import StripeEvent, TopUp
from ledger.models import JournalLine
from tests.grants.factories import advance, board_of, make_application, make_fund
from tests.payments.localstripe import LocalStripe
from tests.waiting import wait_for

pytestmark = [pytest.mark.localstripe, pytest.mark.django_db(transaction=True)]
LOCALSTRIPE = os.environ.get("LOCALSTRIPE_URL", "http://127.0.0.1:8420")


localstripe = LocalStripe(LOCALSTRIPE, "sk_test_buurtfonds")
pay_by_card = localstripe.pay_by_card


@pytest.fixture
def stripe_here(settings, live_server):
    settings.STRIPE_API_BASE = LOCALSTRIPE
    settings.STRIPE_PAYMENT_METHOD_TYPES = ["card"]  # localstripe takes cards only
    localstripe(
        "POST",
        "/_config/webhooks/buurtfonds",
        {
            "url": f"{live_server.url}/api/v1/stripe/webhook/",
            "secret": settings.STRIPE_WEBHOOK_SECRET,
        },
    )
    return live_server


def test_a_top_up_is_paid_booked_and_refunded(stripe_here, coop_a, rivierenwijk):
    application = advance(make_application(make_fund(coop_a, rivierenwijk)), "approved")
    created = APIClient().post(
        f"/api/v1/applications/{application.pk}/topups/",
        {"amount_cents": 2_500, "email": "gever@example.org", "display_name": "Buurvrouw"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    topup = TopUp.objects.get(pk=created.json()["topup_id"])
    assert created.json()["client_secret"].startswith(topup.payment_intent_id)
    assert localstripe("GET", f"/v1/payment_intents/{topup.payment_intent_id}")["metadata"] == {
        "topup_id": str(topup.pk),
        "application_id": str(application.pk),
    }

    pay_by_card(topup.payment_intent_id)
    wait_for(lambda: TopUp.objects.get(pk=topup.pk).status == "succeeded", "the webhook", 15)
    event = StripeEvent.objects.get(type="payment_intent.succeeded")
    assert event.outcome == "succeeded"
    booked = JournalLine.objects.filter(earmark=application.earmark, entry__kind="crowdfunding")
    assert sorted(booked.values_list("account__code", "side", "amount_cents")) == [
        ("1100", "D", 2_500),
        ("8400", "C", 2_500),
    ]
    assert (
        APIClient().get(f"/api/v1/applications/{application.pk}/").json()["topped_up_cents"]
        == 2_500
    )

    services.application_cancel(application=application, acting_user=board_of(coop_a))
    topup.refresh_from_db()
    assert topup.status == "refunded"
    refunds = localstripe("GET", f"/v1/refunds?payment_intent={topup.payment_intent_id}")
    assert [r["amount"] for r in refunds["data"]] == [2_500]
    refunded = JournalLine.objects.filter(earmark=application.earmark, entry__kind="refund")
    assert sorted(refunded.values_list("account__code", "side", "amount_cents")) == [
        ("1100", "C", 2_500),
        ("8400", "D", 2_500),
    ]
    # Run again (a worker killed and restarted): localstripe ignores idempotency keys, and
    # still only one refund exists.
    TopUp.objects.filter(pk=topup.pk).update(status="refund_pending", refund_id="")
    from grants.topups import topup_refund

    topup_refund(topup_id=topup.pk)
    refunds = localstripe("GET", f"/v1/refunds?payment_intent={topup.payment_intent_id}")
    assert len(refunds["data"]) == 1
