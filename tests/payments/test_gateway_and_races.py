"""The Stripe gateway's requests and errors; parallel deliveries and top-ups on PostgreSQL."""

import pytest
from rest_framework.test import APIClient

from grants.models import StripeEvent, TopUp
from ledger.models import JournalEntry
from payments import gateway
from tests.concurrency import run_in_parallel
from tests.grants.factories import advance, make_application, make_fund
from tests.payments.stub import StubStripe, event, signed


@pytest.fixture
def stub():
    stub = StubStripe()
    with gateway.use_http_client(stub):
        yield stub


def create(**overrides):
    params = {
        "amount_cents": 1_000,
        "metadata": {"topup_id": "1"},
        "idempotency_key": "k-1",
    }
    return gateway.payment_intent_create(**{**params, **overrides})


@pytest.mark.parametrize(
    ("failure", "error"),
    [
        (500, gateway.GatewayUnavailable),
        (502, gateway.GatewayUnavailable),
        (429, gateway.GatewayUnavailable),
        (401, gateway.GatewayUnavailable),
        ("connection", gateway.GatewayUnavailable),
        (400, gateway.GatewayRefused),
        (402, gateway.GatewayRefused),
        (404, gateway.GatewayRefused),
    ],
)
def test_errors_map_to_retry_later_or_refused(stub, failure, error):
    stub.fail_next(failure)
    with pytest.raises(error):
        create()


def test_the_base_url_comes_from_the_settings(settings, stub):
    settings.STRIPE_API_BASE = "http://127.0.0.1:8420"
    intent = create()
    assert intent.id.startswith("pi_") and intent.currency == "eur"
    # The stub refuses any URL outside STRIPE_API_BASE, so reaching it proves the base.
    assert stub.requests[0]["path"] == "/v1/payment_intents"


def test_the_same_idempotency_key_gives_the_same_payment_intent(stub):
    assert create().id == create().id
    assert create(idempotency_key="k-2").id != create().id


def test_existing_refunds_are_listed_by_payment_intent(stub):
    intent = create()
    gateway.refund_create(
        payment_intent_id=intent.id, amount_cents=1_000, idempotency_key="r", metadata={}
    )
    [refund] = gateway.refunds_for(intent.id)
    assert (refund.amount, refund.status) == (1_000, "succeeded")
    assert stub.requests[-1]["query"]["payment_intent"] == intent.id


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_event_delivered_ten_times_in_parallel_is_booked_once(stub, coop_a, rivierenwijk):
    application = advance(make_application(make_fund(coop_a, rivierenwijk)), "approved")
    created = APIClient().post(
        f"/api/v1/applications/{application.pk}/topups/",
        {"amount_cents": 5_000, "email": "gever@example.org"},
        format="json",
    )
    topup = TopUp.objects.get(pk=created.json()["topup_id"])
    payload, header = signed(
        event("payment_intent.succeeded", stub.succeed(topup.payment_intent_id), event_id="evt_p")
    )

    def deliver():
        return (
            APIClient()
            .post(
                "/api/v1/stripe/webhook/",
                payload,
                content_type="application/json",
                HTTP_STRIPE_SIGNATURE=header,
            )
            .status_code
        )

    assert run_in_parallel([deliver] * 10) == [200] * 10
    assert StripeEvent.objects.filter(event_id="evt_p").count() == 1
    assert JournalEntry.objects.filter(kind="crowdfunding").count() == 1
    topup.refresh_from_db()
    assert topup.status == "succeeded"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_top_ups_never_overshoot_what_is_lacking(stub, coop_a, rivierenwijk):
    application = advance(make_application(make_fund(coop_a, rivierenwijk)), "approved")

    def give():
        return (
            APIClient()
            .post(
                f"/api/v1/applications/{application.pk}/topups/",
                {"amount_cents": 3_000, "email": "gever@example.org"},
                format="json",
            )
            .status_code
        )

    codes = run_in_parallel([give] * 8)
    assert sorted(codes) == [201] * 3 + [409] * 5  # 3 x 30 of the 100 euros lacking
    assert sum(t.amount_cents for t in TopUp.objects.filter(status="pending")) == 9_000


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_success_arriving_before_the_top_ups_own_commit_on_postgresql(stub, coop_a, rivierenwijk):
    """Real commits: the top-up row is committed before Stripe is called, the event comes in
    while our request still waits for Stripe's answer, and the slower request does not set
    the top-up back to pending. Stripe is never called inside a transaction (the stub checks)."""
    application = advance(make_application(make_fund(coop_a, rivierenwijk)), "approved")
    original = stub._route

    def event_first(method, path, form, query):
        body, status = original(method, path, form, query)
        if path == "/v1/payment_intents":
            payload, header = signed(event("payment_intent.succeeded", stub.succeed(body["id"])))
            response = APIClient().post(
                "/api/v1/stripe/webhook/",
                payload,
                content_type="application/json",
                HTTP_STRIPE_SIGNATURE=header,
            )
            assert response.json()["outcome"] == "succeeded"
        return body, status

    stub._route = event_first
    created = APIClient().post(
        f"/api/v1/applications/{application.pk}/topups/",
        {"amount_cents": 3_000, "email": "gever@example.org"},
        format="json",
    )
    assert created.status_code == 201
    topup = TopUp.objects.get(pk=created.json()["topup_id"])
    assert topup.status == "succeeded" and topup.payment_intent_id
    assert JournalEntry.objects.filter(kind="crowdfunding").count() == 1
