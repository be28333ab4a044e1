"""Crowdfunding top-ups through Stripe (a stub HTTP client in the gateway): created once,
booked once from signed webhook events, refunded when the plan does not go ahead."""

import json
import time
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from grants import services
from grants.models import StripeEvent, TopUp
from grants.topups import topup_refund, topups_sweep
from ledger import chart
from ledger.models import JournalLine
from payments import gateway
from tests.conftest import client_for
from tests.grants.factories import (
    advance,
    board_of,
    make_application,
    make_fund,
    resident_of,
    treasurer_of,
)
from tests.payments.stub import StubStripe, event, signed

pytestmark = pytest.mark.django_db


@pytest.fixture
def stub():
    stub = StubStripe()
    with gateway.use_http_client(stub):
        yield stub


@pytest.fixture
def fund(coop_a, rivierenwijk):
    return make_fund(coop_a, rivierenwijk)


@pytest.fixture
def application(fund):
    # Budget 500, grant 400, so a top-up of at most 100 euros fits.
    return advance(make_application(fund), "approved")


def top_up(api, application, amount_cents=5_000, **extra):
    body = {"amount_cents": amount_cents, "email": "gever@example.org", **extra}
    return api.post(f"/api/v1/applications/{application.pk}/topups/", body, format="json")


def deliver(api, evt, **signing):
    payload, header = signed(evt, **signing)
    return api.post(
        "/api/v1/stripe/webhook/",
        payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=header,
    )


def paid(stub, api, topup_id, *, fee=0, event_id=None):
    """Stripe tells us the donor paid."""
    topup = TopUp.objects.get(pk=topup_id)
    intent = stub.succeed(topup.payment_intent_id, fee=fee)
    return deliver(api, event("payment_intent.succeeded", intent, event_id=event_id))


def lines_of(application):
    return sorted(
        (line.account.code, line.side, line.amount_cents, line.entry.kind)
        for line in JournalLine.objects.filter(
            earmark=application.earmark, entry__kind__in=["crowdfunding", "refund"]
        ).select_related("account", "entry")
    )


# -- creating a top-up ------------------------------------------------------------------------


def test_a_top_up_creates_one_payment_intent_in_euros(api, stub, application):
    response = top_up(api, application, 2_500, display_name="Bakkerij Jansen", show_name=True)
    assert response.status_code == 201, response.json()
    body = response.json()
    topup = TopUp.objects.get(pk=body["topup_id"])
    assert body == {
        "topup_id": topup.pk,
        "client_secret": stub.intents[topup.payment_intent_id]["client_secret"],
        "publishable_key": "pk_test_buurtfonds",
    }
    assert topup.status == "pending"
    [request] = stub.requests
    assert (request["method"], request["path"]) == ("POST", "/v1/payment_intents")
    form = request["form"]
    assert form["amount"] == "2500" and form["currency"] == "eur"
    assert [form["payment_method_types[0]"], form["payment_method_types[1]"]] == ["ideal", "card"]
    assert form["metadata[topup_id]"] == str(topup.pk)
    assert form["metadata[application_id]"] == str(application.pk)
    assert request["headers"]["Idempotency-Key"] == topup.idempotency_key
    assert request["headers"]["Stripe-Version"] == gateway.STRIPE_API_VERSION
    assert request["headers"]["Authorization"] == "Bearer sk_test_buurtfonds"


def test_payment_method_types_come_from_the_settings(api, stub, application, settings):
    settings.STRIPE_PAYMENT_METHOD_TYPES = ["card"]
    assert top_up(api, application).status_code == 201
    form = stub.requests[0]["form"]
    assert form["payment_method_types[0]"] == "card"
    assert "payment_method_types[1]" not in form


@pytest.mark.parametrize("failure", [500, 503, 429, 401, "connection"])
def test_stripe_failing_answers_503_retryable_and_leaves_a_failed_top_up(
    api, stub, application, failure
):
    stub.fail_next(failure)
    response = top_up(api, application)
    assert response.status_code == 503
    assert response.json()["code"] == "payment_provider_unavailable"
    assert response.json()["retryable"] is True
    topup = TopUp.objects.get()
    assert topup.status == "failed" and topup.payment_intent_id is None
    # A failed attempt holds no room: the full need can be topped up again.
    assert top_up(api, application, 10_000).status_code == 201


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"amount_cents": 0}, "invalid"),
        ({"amount_cents": 99}, "topup_out_of_range"),
        ({"amount_cents": 500_001}, "topup_out_of_range"),
        ({"amount_cents": "12.5"}, "invalid"),
        ({"amount_cents": "veel"}, "invalid"),
        ({"amount_cents": 1_000, "email": "geen-adres"}, "invalid"),
        ({"amount_cents": 1_000, "email": None}, "invalid"),
        ({"amount_cents": 1_000, "display_name": "x" * 101}, "invalid"),
    ],
)
def test_bad_input_is_400_and_stripe_is_never_called(api, stub, application, payload, code):
    body = {"email": "gever@example.org", **payload}
    response = api.post(f"/api/v1/applications/{application.pk}/topups/", body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert not TopUp.objects.exists() and not stub.requests


def test_the_range_is_a_setting(api, stub, application, settings):
    settings.TOPUP_MAX_CENTS = 2_000
    response = top_up(api, application, 2_001)
    assert response.status_code == 400
    assert response.json()["max_cents"] == 2_000


@pytest.mark.parametrize("state", ["rejected", "withdrawn", "reported", "closed", "cancelled"])
def test_only_applications_in_voting_approved_or_paid_take_top_ups(api, stub, fund, state):
    if state == "withdrawn":  # after its vote opened, so it is public
        application = advance(make_application(fund), "voting")
        services.application_withdraw(application=application, acting_user=application.applicant)
    else:
        application = advance(make_application(fund), state)
    response = top_up(api, application)
    assert response.status_code == 409
    assert response.json()["code"] == "not_accepting_topups"
    assert not stub.requests


def test_drafts_are_not_found(api, stub, fund):
    assert top_up(api, make_application(fund)).status_code == 404


def test_never_above_what_the_application_lacks(api, stub, application):
    too_much = top_up(api, application, 10_001)
    assert too_much.status_code == 409
    assert too_much.json() | {"detail": ""} == {
        "code": "topup_exceeds_need",
        "detail": "",
        "lacking_cents": 10_000,
    }
    first = top_up(api, application, 6_000).json()["topup_id"]
    # Pending top-ups count: only 4,000 is left.
    assert top_up(api, application, 4_001).json()["lacking_cents"] == 4_000
    paid(stub, api, first)
    # Received ones count through the books.
    assert top_up(api, application, 4_001).json()["lacking_cents"] == 4_000
    assert top_up(api, application, 4_000).status_code == 201
    assert top_up(api, application, 100).json()["lacking_cents"] == 0


def test_a_fund_may_take_top_ups_beyond_the_need(api, stub, application):
    fund = application.fund
    fund.cap_topups_at_need = False
    fund.save()
    assert top_up(api, application, 50_000).status_code == 201


def test_creating_top_ups_is_throttled_per_address(api, stub, application):
    from rest_framework.settings import api_settings
    from rest_framework.throttling import ScopedRateThrottle

    ScopedRateThrottle.THROTTLE_RATES = {**api_settings.DEFAULT_THROTTLE_RATES, "topup": "3/hour"}
    try:
        codes = [
            top_up(api, application, 100, HTTP_X_FORWARDED_FOR=f"10.1.1.{n}").status_code
            for n in range(5)
        ]
    finally:
        ScopedRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    assert codes == [201, 201, 201, 429, 429]
    assert len(stub.requests) == 3


# -- the webhook and the books ------------------------------------------------------------------


def test_a_succeeded_payment_is_booked_once_net_of_its_fee(api, stub, application):
    topup_id = top_up(api, application, 5_000, display_name="Bakkerij Jansen", show_name=True)
    topup_id = topup_id.json()["topup_id"]
    response = paid(stub, api, topup_id, fee=29, event_id="evt_paid")
    assert response.status_code == 200
    assert response.json()["outcome"] == "succeeded"
    assert lines_of(application) == [
        (chart.PROCESSOR_CLEARING, "D", 4_971, "crowdfunding"),
        (chart.PAYMENT_FEES, "D", 29, "crowdfunding"),
        (chart.INCOME_BY_SOURCE["crowdfunding"], "C", 5_000, "crowdfunding"),
    ]
    # Delivered again (Stripe retries): nothing more.
    again = paid(stub, api, topup_id, fee=29, event_id="evt_paid")
    assert again.json()["outcome"] == "duplicate"
    # The same news in another event: still booked once.
    assert paid(stub, api, topup_id, fee=29).json()["outcome"] == "already succeeded"
    assert len(lines_of(application)) == 3
    public = api.get(f"/api/v1/applications/{application.pk}/").json()
    assert public["topped_up_cents"] == 5_000
    assert public["own_contribution_received_cents"] == 5_000
    assert public["topups"] == [{"amount_cents": 5_000, "name": "Bakkerij Jansen"}]
    assert "gever@example.org" not in json.dumps(public)


def test_a_donor_who_did_not_choose_to_be_named_is_anonymous(api, stub, application):
    topup_id = top_up(api, application, display_name="Piet", show_name=False).json()["topup_id"]
    paid(stub, api, topup_id)
    public = api.get(f"/api/v1/applications/{application.pk}/").json()
    assert public["topups"] == [{"amount_cents": 5_000, "name": "anonymous"}]
    assert "Piet" not in json.dumps(public)


def test_a_failed_or_cancelled_payment_books_nothing(api, stub, application):
    first = TopUp.objects.get(pk=top_up(api, application, 1_000).json()["topup_id"])
    intent = stub.intents[first.payment_intent_id]
    intent["last_payment_error"] = {"code": "card_declined"}
    assert deliver(api, event("payment_intent.payment_failed", intent)).status_code == 200
    first.refresh_from_db()
    assert (first.status, first.failure) == ("failed", "card_declined")
    second = TopUp.objects.get(pk=top_up(api, application, 1_000).json()["topup_id"])
    cancelled = {**stub.intents[second.payment_intent_id], "cancellation_reason": "abandoned"}
    deliver(api, event("payment_intent.canceled", cancelled))
    second.refresh_from_db()
    assert second.status == "failed"
    assert lines_of(application) == []
    # A later success on the same PaymentIntent (another method) still counts.
    assert paid(stub, api, first.pk).json()["outcome"] == "succeeded"


def test_success_arriving_before_the_top_up_s_own_commit_is_handled(api, stub, application):
    original = stub._route

    def webhook_first(method, path, form, query):
        body, status = original(method, path, form, query)
        if path == "/v1/payment_intents":
            # Stripe's event overtakes our answer: it finds the top-up by its metadata.
            stub.succeed(body["id"])
            assert deliver(api, event("payment_intent.succeeded", body)).status_code == 200
        return body, status

    stub._route = webhook_first
    response = top_up(api, application, 3_000)
    assert response.status_code == 201
    topup = TopUp.objects.get(pk=response.json()["topup_id"])
    assert topup.status == "succeeded"  # not set back to pending by the slower request
    assert topup.payment_intent_id
    assert lines_of(application)[-1] == ("8400", "C", 3_000, "crowdfunding")


@pytest.mark.parametrize(
    "tamper",
    ["body", "secret", "stale", "missing", "garbage"],
)
def test_bad_signatures_are_400_and_store_nothing(api, stub, application, tamper):
    topup_id = top_up(api, application).json()["topup_id"]
    topup = TopUp.objects.get(pk=topup_id)
    intent = stub.succeed(topup.payment_intent_id)
    evt = event("payment_intent.succeeded", intent)
    payload, header = signed(
        evt,
        secret="whsec_someone_else" if tamper == "secret" else None,
        at=int(time.time()) - 301 if tamper == "stale" else None,
    )
    if tamper == "body":
        payload = payload.replace('"amount": 5000', '"amount": 500000')
    headers = {} if tamper == "missing" else {"HTTP_STRIPE_SIGNATURE": header}
    if tamper == "garbage":
        payload, headers = b"\xff\xfe not json", {"HTTP_STRIPE_SIGNATURE": "t=1,v1=00"}
    response = api.post(
        "/api/v1/stripe/webhook/", payload, content_type="application/json", **headers
    )
    assert response.status_code == 400
    assert response.json()["code"] == "signature_invalid"
    assert not StripeEvent.objects.exists()
    topup.refresh_from_db()
    assert topup.status == "pending" and lines_of(application) == []


def test_an_event_three_days_late_but_freshly_signed_is_taken(api, stub, application):
    topup = TopUp.objects.get(pk=top_up(api, application).json()["topup_id"])
    intent = stub.succeed(topup.payment_intent_id)
    late = event("payment_intent.succeeded", intent)
    late["created"] = int(time.time()) - 3 * 24 * 3600
    assert deliver(api, late).json()["outcome"] == "succeeded"


def test_unknown_payment_intents_and_other_events_are_acknowledged(api, stub, application):
    stranger = {"id": "pi_unknown", "amount": 100, "currency": "eur", "metadata": {}}
    response = deliver(api, event("payment_intent.succeeded", stranger, event_id="evt_x"))
    assert response.status_code == 200
    assert StripeEvent.objects.get(event_id="evt_x").outcome.startswith("unknown")
    other = deliver(api, event("customer.created", {"id": "cus_1"}, event_id="evt_y"))
    assert other.status_code == 200
    assert StripeEvent.objects.get(event_id="evt_y").outcome == "ignored"
    assert lines_of(application) == []


def test_amount_or_currency_that_do_not_match_are_not_booked(api, stub, application):
    topup = TopUp.objects.get(pk=top_up(api, application, 5_000).json()["topup_id"])
    intent = dict(stub.succeed(topup.payment_intent_id), amount=4_000)
    assert (
        deliver(api, event("payment_intent.succeeded", intent))
        .json()["outcome"]
        .startswith("mismatch")
    )
    intent = dict(stub.intents[topup.payment_intent_id], currency="usd")
    assert (
        deliver(api, event("payment_intent.succeeded", intent))
        .json()["outcome"]
        .startswith("mismatch")
    )
    topup.refresh_from_db()
    assert topup.status == "pending" and lines_of(application) == []


def test_a_fee_stripe_will_not_tell_yet_makes_stripe_deliver_again(api, stub, application):
    topup = TopUp.objects.get(pk=top_up(api, application).json()["topup_id"])
    intent = stub.succeed(topup.payment_intent_id, fee=30)
    stub.fail_next(503)
    response = deliver(api, event("payment_intent.succeeded", intent, event_id="evt_fee"))
    assert response.status_code == 503
    assert not StripeEvent.objects.exists()
    retried = deliver(api, event("payment_intent.succeeded", intent, event_id="evt_fee"))
    assert retried.json()["outcome"] == "succeeded"
    topup.refresh_from_db()
    assert topup.fee_cents == 30


# -- refunds ------------------------------------------------------------------------------------


def succeeded_topup(api, stub, application, amount=5_000, **extra):
    topup_id = top_up(api, application, amount, **extra).json()["topup_id"]
    paid(stub, api, topup_id, fee=25)
    return TopUp.objects.get(pk=topup_id)


def test_a_cancelled_plan_refunds_its_top_ups_and_keeps_the_fee_as_expense(
    api, stub, application, django_capture_on_commit_callbacks
):
    topup = succeeded_topup(api, stub, application)
    with django_capture_on_commit_callbacks(execute=True):
        services.application_cancel(
            application=application, acting_user=board_of(application.fund.cooperative)
        )
    topup.refresh_from_db()
    assert topup.status == "refunded"
    refund_calls = [r for r in stub.requests if r["path"] == "/v1/refunds"]
    assert [r["method"] for r in refund_calls] == ["GET", "POST"]  # looked up, then made
    assert refund_calls[1]["form"]["amount"] == "5000"
    assert lines_of(application) == [
        ("1100", "C", 5_000, "refund"),
        ("1100", "D", 4_975, "crowdfunding"),
        ("4300", "D", 25, "crowdfunding"),
        ("8400", "C", 5_000, "crowdfunding"),
        ("8400", "D", 5_000, "refund"),
    ]
    public = api.get(f"/api/v1/applications/{application.pk}/").json()
    assert public["topped_up_cents"] == 0 and public["topups"] == []
    # Stripe's own news of the refund changes nothing more.
    charge = {
        "id": "ch_x",
        "payment_intent": topup.payment_intent_id,
        "amount": 5_000,
        "amount_refunded": 5_000,
        "refunds": {"data": [{"id": topup.refund_id}]},
    }
    assert deliver(api, event("charge.refunded", charge)).json()["outcome"] == "already refunded"
    assert len(lines_of(application)) == 5


def test_a_refund_task_run_twice_refunds_once(api, stub, fund, django_capture_on_commit_callbacks):
    application = advance(make_application(fund), "voting")
    topup = succeeded_topup(api, stub, application)
    stub.refund_status = "pending"
    stub.ignore_idempotency = True  # as localstripe does
    services.application_withdraw(application=application, acting_user=application.applicant)
    assert topup_refund(topup_id=topup.pk)
    # A worker killed after Stripe answered: the task runs again from the start.
    TopUp.objects.filter(pk=topup.pk).update(refund_id="")
    assert topup_refund(topup_id=topup.pk)
    assert len(stub.refunds) == 1
    topup.refresh_from_db()
    assert topup.status == "refund_pending"


def test_the_refund_task_handed_out_again_finishes_a_refund_a_killed_worker_left(
    api, stub, application, django_capture_on_commit_callbacks
):
    """Killed after Stripe refunded, before anything was recorded: the refund task that the
    broker hands out again finishes it (with the refund Stripe has), not only the sweep."""
    from grants.tasks import refund_topups

    topup = succeeded_topup(api, stub, application)
    with django_capture_on_commit_callbacks(execute=True):
        services.application_cancel(
            application=application, acting_user=board_of(application.fund.cooperative)
        )
    assert len(stub.refunds) == 1
    # What the killed worker left: refund pending, Stripe's refund not recorded here.
    TopUp.objects.filter(pk=topup.pk).update(status="refund_pending", refund_id="")
    assert refund_topups(application.pk) == 1
    topup.refresh_from_db()
    assert topup.status == "refunded" and topup.refund_id in stub.refunds
    assert len(stub.refunds) == 1
    assert [line for line in lines_of(application) if line[3] == "refund"] == [
        ("1100", "C", 5_000, "refund"),
        ("8400", "D", 5_000, "refund"),
    ]


def test_a_failed_refund_is_shown_to_the_treasurer_and_retried(
    api, stub, application, django_capture_on_commit_callbacks
):
    topup = succeeded_topup(api, stub, application)
    stub.refund_status = "pending"
    with django_capture_on_commit_callbacks(execute=True):
        services.application_cancel(
            application=application, acting_user=board_of(application.fund.cooperative)
        )
    topup.refresh_from_db()
    refund = stub.refunds[topup.refund_id]
    refund["status"] = "failed"
    assert deliver(api, event("refund.failed", refund)).json()["outcome"] == "refund failed"
    treasurer = client_for(treasurer_of(application.fund.cooperative))
    listed = treasurer.get(f"/api/v1/topups/?fund={application.fund_id}&status=refund_failed")
    assert [t["id"] for t in listed.json()["results"]] == [topup.pk]
    assert listed.json()["results"][0]["email"] == "gever@example.org"
    stub.refund_status = "succeeded"
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        assert topups_sweep()["refunds"] == 1
    topup.refresh_from_db()
    assert topup.status == "refunded" and topup.refund_attempts == 2
    assert len(stub.refunds) == 2
    assert ("8400", "D", 5_000, "refund") in lines_of(application)


def test_a_refund_stripe_refuses_becomes_refund_failed(
    api, stub, application, django_capture_on_commit_callbacks
):
    topup = succeeded_topup(api, stub, application)
    stub.fail_next(*[None] * 0)
    original = stub._route

    def refuse(method, path, form, query):
        if method == "POST" and path == "/v1/refunds":
            return {"error": {"message": "charge disputed", "type": "invalid_request_error"}}, 400
        return original(method, path, form, query)

    stub._route = refuse
    with django_capture_on_commit_callbacks(execute=True):
        services.application_cancel(
            application=application, acting_user=board_of(application.fund.cooperative)
        )
    topup.refresh_from_db()
    assert topup.status == "refund_failed" and "disputed" in topup.failure


def test_a_refund_waits_while_stripe_is_down(
    api, stub, application, django_capture_on_commit_callbacks
):
    topup = succeeded_topup(api, stub, application)
    stub.fail_next("connection")
    with django_capture_on_commit_callbacks(execute=True):
        services.application_cancel(
            application=application, acting_user=board_of(application.fund.cooperative)
        )
    topup.refresh_from_db()
    assert topup.status == "refund_pending" and topup.refund_id == ""
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        topups_sweep()
    topup.refresh_from_db()
    assert topup.status == "refunded"


@pytest.mark.parametrize(("fund_keeps", "donor_agreed", "refunded"), [
    (True, True, False), (True, False, True), (False, True, True),
])  # fmt: skip
def test_keeping_top_ups_needs_the_fund_and_the_donor(
    api, stub, application, django_capture_on_commit_callbacks, fund_keeps, donor_agreed, refunded
):
    fund = application.fund
    fund.keep_topups_if_ended = fund_keeps
    fund.save()
    topup = succeeded_topup(api, stub, application, keep_if_cancelled=donor_agreed)
    with django_capture_on_commit_callbacks(execute=True):
        services.application_cancel(application=application, acting_user=board_of(fund.cooperative))
    topup.refresh_from_db()
    assert (topup.status == "refunded") is refunded


def test_a_payment_confirmed_after_the_plan_was_rejected_is_refunded(
    api, stub, fund, django_capture_on_commit_callbacks
):
    application = advance(make_application(fund), "voting")
    topup = TopUp.objects.get(pk=top_up(api, application).json()["topup_id"])
    with django_capture_on_commit_callbacks(execute=True):
        services.application_decide(application=application, yes=0, no=5)
    intent = stub.succeed(topup.payment_intent_id)  # iDEAL confirms late
    with django_capture_on_commit_callbacks(execute=True):
        deliver(api, event("payment_intent.succeeded", intent))
    topup.refresh_from_db()
    assert topup.status == "refunded"


def test_the_sweep_settles_a_top_up_left_in_created(api, stub, application):
    topup = TopUp.objects.create(
        application=application,
        amount_cents=1_000,
        email="gever@example.org",
        idempotency_key="buurtfonds-topup-crashed",
    )
    assert topups_sweep()["expired"] == 0  # too young to judge
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert topups_sweep()["expired"] == 1
    topup.refresh_from_db()
    assert (topup.status, topup.failure) == ("failed", "abandoned")
    assert [r["path"] for r in stub.requests][-1].endswith("/cancel")


# -- who sees what ------------------------------------------------------------------------------


def test_only_the_cooperatives_treasurers_list_top_ups(api, stub, application, coop_b):
    succeeded_topup(api, stub, application)
    url = f"/api/v1/topups/?fund={application.fund_id}"
    assert api.get(url).status_code == 401
    for outsider in (treasurer_of(coop_b), resident_of(application.fund), board_of(coop_b)):
        assert client_for(outsider).get(url).json()["results"] == []
    mine = client_for(treasurer_of(application.fund.cooperative)).get(url).json()["results"]
    assert [t["status"] for t in mine] == ["succeeded"]
    assert client_for(treasurer_of(coop_b)).get("/api/v1/topups/?status=bogus").status_code == 400


# -- top-ups reach the project ------------------------------------------------------------------


def test_top_ups_are_paid_on_with_the_grant_and_later_ones_in_a_later_payout(
    api, stub, application
):
    treasurer = treasurer_of(application.fund.cooperative)
    succeeded_topup(api, stub, application, 5_000)  # fee 25
    url = f"/api/v1/applications/{application.pk}/"
    early = client_for(treasurer).post(url + "pay-topups/")
    assert early.status_code == 409  # the grant is not paid yet
    assert api.get(url).json()["topups_to_pay_cents"] == 4_975
    services.application_pay(application=application, acting_user=treasurer)
    body = api.get(url).json()
    assert (body["topups_paid_out_cents"], body["topups_to_pay_cents"]) == (4_975, 0)
    payouts = JournalLine.objects.filter(
        earmark=application.earmark, entry__kind="topup_payout"
    ).values_list("account__code", "side", "amount_cents")
    assert sorted(payouts) == [("1000", "C", 4_975), ("4100", "D", 4_975)]
    succeeded_topup(api, stub, application, 3_000)
    assert api.get(url).json()["topups_to_pay_cents"] == 2_975
    assert client_for(resident_of(application.fund)).post(url + "pay-topups/").status_code == 403
    paid_later = client_for(treasurer).post(url + "pay-topups/")
    assert paid_later.status_code == 200
    assert paid_later.json()["topups_paid_out_cents"] == 4_975 + 2_975
    again = client_for(treasurer).post(url + "pay-topups/")
    assert again.json()["topups_paid_out_cents"] == 4_975 + 2_975
    assert (
        JournalLine.objects.filter(
            earmark=application.earmark, entry__kind="topup_payout", side="C"
        ).count()
        == 2
    )


# -- reconciliation -------------------------------------------------------------------------------


def reconcile():
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError

    today = timezone.localdate()
    out = StringIO()
    try:
        call_command(
            "reconcile_stripe",
            "--from",
            str(today - timedelta(days=1)),
            "--to",
            str(today + timedelta(days=1)),
            stdout=out,
        )
    except CommandError as exc:
        return out.getvalue().splitlines(), exc.returncode
    return out.getvalue().splitlines(), 0


def test_reconciliation_agrees_when_stripe_and_the_books_do(
    api, stub, fund, django_capture_on_commit_callbacks
):
    kept = advance(make_application(fund), "approved")
    dropped = advance(make_application(fund), "approved")
    succeeded_topup(api, stub, kept, 5_000)
    succeeded_topup(api, stub, kept, 2_000)
    succeeded_topup(api, stub, dropped, 4_000)
    with django_capture_on_commit_callbacks(execute=True):
        services.application_cancel(application=dropped, acting_user=board_of(fund.cooperative))
    lines, code = reconcile()
    assert code == 0, lines
    assert lines[-1].startswith("Stripe and the books agree")


def test_reconciliation_lists_every_difference(api, stub, application):
    first = succeeded_topup(api, stub, application, 5_000)
    succeeded_topup(api, stub, application, 2_000)
    stub.balance[0]["fee"] = 40  # Stripe charged more than the event said
    del stub.balance[1]  # a booked top-up Stripe does not know
    stub._balance("charge", 700, 0, "ch_stranger")  # a payment nobody booked
    stub._balance("payout", -4_000, 0, "po_1")  # Stripe paid out to the bank
    lines, code = reconcile()
    assert code == 1
    assert len(lines) == 4, lines
    assert any(f"top-up {first.pk} booked 5000 (fee 25), Stripe 5000 (fee 40)" in x for x in lines)
    assert any("ch_stranger" in x and "has no top-up" in x for x in lines)
    assert any("payout" in x and "not booked" in x for x in lines)
    assert any("in the books, not among Stripe" in x for x in lines)


def test_a_failed_payment_that_succeeds_after_others_filled_the_need_goes_back(
    api, stub, application, django_capture_on_commit_callbacks
):
    """Found by an attack: a failed top-up frees its room, another fills it, then the first
    PaymentIntent is retried and succeeds: the application would be crowdfunded twice."""
    first = TopUp.objects.get(pk=top_up(api, application, 10_000).json()["topup_id"])
    intent = stub.intents[first.payment_intent_id]
    deliver(api, event("payment_intent.payment_failed", intent))
    second = top_up(api, application, 10_000).json()["topup_id"]
    paid(stub, api, second)
    with django_capture_on_commit_callbacks(execute=True):
        late = paid(stub, api, first.pk)
    assert late.json()["outcome"] == "succeeded, to be refunded"
    first.refresh_from_db()
    assert first.status == "refunded" and first.over_need
    public = api.get(f"/api/v1/applications/{application.pk}/").json()
    assert public["topped_up_cents"] == 10_000  # the need, not twice it
