"""The only code that talks to Stripe.

Every call goes through :func:`client`: ``stripe.StripeClient`` (its ``v1`` namespace) with
the pinned API version, the base URL from ``STRIPE_API_BASE`` (real Stripe, or a local
stand-in such as localstripe) and an HTTP client tests may inject with
:func:`use_http_client`. Callers never hold a database transaction open across a call.

Errors come out as two kinds: :class:`GatewayUnavailable` (network, Stripe's 5xx, rate
limits, our own bad key: try again later) and :class:`GatewayRefused` (Stripe said no to
this request). Results are small dataclasses with only the fields we use.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import stripe
from django.conf import settings

# The API version every call is made with (the SDK is pinned in pyproject.toml).
STRIPE_API_VERSION = "2026-10-28.endive"
WEBHOOK_TOLERANCE_SECONDS = 300

_http_client: stripe.HTTPClient | None = None


class GatewayError(Exception):
    """Stripe could not do what we asked."""


class GatewayUnavailable(GatewayError):
    """Stripe could not be reached or failed on its side: retry later."""


class GatewayRefused(GatewayError):
    """Stripe refused the request itself."""


class SignatureInvalid(Exception):
    """A webhook body whose signature is missing, wrong or too old."""


@dataclass(frozen=True)
class PaymentIntent:
    id: str
    client_secret: str
    status: str
    amount: int
    currency: str
    latest_charge: str | None
    metadata: dict[str, str]


@dataclass(frozen=True)
class Refund:
    id: str
    status: str
    amount: int


@dataclass(frozen=True)
class BalanceTransaction:
    id: str
    type: str
    amount: int
    fee: int
    net: int
    currency: str
    source: str | None
    created: int


@contextmanager
def use_http_client(http_client: stripe.HTTPClient | None) -> Iterator[None]:
    """Send every call of this block through ``http_client`` (tests)."""
    global _http_client
    previous, _http_client = _http_client, http_client
    try:
        yield
    finally:
        _http_client = previous


def client() -> stripe.StripeClient:
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY or "sk_test_not_configured",
        stripe_version=STRIPE_API_VERSION,
        base_addresses={"api": settings.STRIPE_API_BASE},
        http_client=_http_client,
        max_network_retries=settings.STRIPE_MAX_NETWORK_RETRIES,
    )


@contextmanager
def _mapped_errors() -> Iterator[None]:
    try:
        yield
    except (stripe.APIConnectionError, stripe.RateLimitError, stripe.AuthenticationError) as exc:
        raise GatewayUnavailable(str(exc)) from exc
    except stripe.StripeError as exc:
        status = exc.http_status or 0
        if status >= 500 or status == 0:
            raise GatewayUnavailable(str(exc)) from exc
        raise GatewayRefused(str(exc)) from exc


def _plain(obj: Any) -> dict[str, Any]:
    """A Stripe object as plain data (recursively), read with ``[]`` and ``.get``."""
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)


def _intent(obj: Any) -> PaymentIntent:
    obj = _plain(obj)
    charge = obj.get("latest_charge")
    return PaymentIntent(
        id=obj["id"],
        client_secret=obj.get("client_secret") or "",
        status=obj["status"],
        amount=int(obj["amount"]),
        currency=str(obj["currency"]).lower(),
        latest_charge=charge if isinstance(charge, str) or charge is None else charge["id"],
        metadata=dict(obj.get("metadata") or {}),
    )


def payment_intent_create(
    *,
    amount_cents: int,
    metadata: dict[str, str],
    idempotency_key: str,
) -> PaymentIntent:
    """One PaymentIntent in euros, with the payment method types of the settings. The same
    idempotency key gives the same PaymentIntent back (within Stripe's 24 hours)."""
    params: dict[str, Any] = {
        "amount": amount_cents,
        "currency": "eur",
        "payment_method_types": list(settings.STRIPE_PAYMENT_METHOD_TYPES),
        "metadata": metadata,
    }
    with _mapped_errors():
        obj = client().v1.payment_intents.create(
            params=params,  # type: ignore[arg-type]
            options={"idempotency_key": idempotency_key},
        )
    return _intent(obj)


def payment_intent_retrieve(payment_intent_id: str) -> PaymentIntent:
    with _mapped_errors():
        return _intent(client().v1.payment_intents.retrieve(payment_intent_id))


def payment_intent_cancel(payment_intent_id: str) -> PaymentIntent:
    with _mapped_errors():
        return _intent(client().v1.payment_intents.cancel(payment_intent_id))


def charge_fee_cents(charge_id: str) -> int:
    """Stripe's fee on a charge, from its balance transaction (0 while Stripe has none)."""
    with _mapped_errors():
        charge = client().v1.charges.retrieve(charge_id, params={"expand": ["balance_transaction"]})
    transaction = _plain(charge).get("balance_transaction")
    if not isinstance(transaction, dict):
        return 0
    return int(transaction.get("fee") or 0)


def refunds_for(payment_intent_id: str) -> list[Refund]:
    """The refunds a PaymentIntent already has: looked up before making one, so a task run
    twice refunds once even where idempotency keys are ignored (localstripe)."""
    with _mapped_errors():
        page = client().v1.refunds.list(params={"payment_intent": payment_intent_id, "limit": 100})
    return [_refund(r) for r in page.data]


def _refund(obj: Any) -> Refund:
    obj = _plain(obj)
    return Refund(id=obj["id"], status=obj["status"], amount=int(obj["amount"]))


def refund_create(
    *, payment_intent_id: str, amount_cents: int, idempotency_key: str, metadata: dict[str, str]
) -> Refund:
    with _mapped_errors():
        obj = client().v1.refunds.create(
            params={
                "payment_intent": payment_intent_id,
                "amount": amount_cents,
                "metadata": metadata,
            },
            options={"idempotency_key": idempotency_key},
        )
    return _refund(obj)


def balance_transactions(*, created_from: int, created_to: int) -> list[BalanceTransaction]:
    """Stripe's balance transactions created in [created_from, created_to) (Unix times)."""
    found: list[BalanceTransaction] = []
    params: dict[str, Any] = {
        "created": {"gte": created_from, "lt": created_to},
        "limit": 100,
    }
    with _mapped_errors():
        while True:
            page = client().v1.balance_transactions.list(params=params)  # type: ignore[arg-type]
            for t in map(_plain, page.data):
                source = t.get("source")
                found.append(
                    BalanceTransaction(
                        id=t["id"],
                        type=t["type"],
                        amount=int(t["amount"]),
                        fee=int(t["fee"]),
                        net=int(t["net"]),
                        currency=str(t["currency"]).lower(),
                        source=source
                        if isinstance(source, str) or source is None
                        else source["id"],
                        created=int(t["created"]),
                    )
                )
            if not page.has_more or not page.data:
                return found
            params["starting_after"] = page.data[-1]["id"]


def event_verify(payload: bytes, signature_header: str | None) -> dict[str, Any]:
    """A webhook event, after the real library checked its ``Stripe-Signature`` against
    ``STRIPE_WEBHOOK_SECRET`` (at most 300 seconds old). Raises :class:`SignatureInvalid`."""
    try:
        text = payload.decode("utf-8")
        stripe.WebhookSignature.verify_header(
            text, signature_header, settings.STRIPE_WEBHOOK_SECRET, WEBHOOK_TOLERANCE_SECONDS
        )
        event = json.loads(text)
    except (UnicodeDecodeError, ValueError, stripe.SignatureVerificationError) as exc:
        raise SignatureInvalid(str(exc)) from exc
    if not isinstance(event, dict) or not isinstance(event.get("id"), str):
        raise SignatureInvalid("not an event")
    return event
