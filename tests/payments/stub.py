"""A stand-in for Stripe's HTTP API, injected into the gateway as its HTTP client.

It keeps PaymentIntents and refunds in memory, records every request (method, path, form
fields, headers) and honours idempotency keys like Stripe does. ``fail_next`` makes the next
call fail with a status or a connection error.
"""

from __future__ import annotations

import itertools
import json
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import stripe
from django.conf import settings
from django.db import connection


class StubStripe(stripe.HTTPClient):
    name = "stub"

    def __init__(self) -> None:
        super().__init__()
        # Stripe is never called inside a transaction: the test's own atomic blocks (a test
        # without real transactions runs in one) are the most a call may find open.
        self.atomic_depth = len(connection.atomic_blocks)
        self.requests: list[dict[str, Any]] = []
        self.intents: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        self.fees: dict[str, int] = {}  # charge id -> fee
        self.by_key: dict[str, tuple[str, int, dict[str, str]]] = {}
        self.fail: list[int | str] = []  # status codes, or "connection"
        self.refund_status = "succeeded"
        self.balance: list[dict[str, Any]] = []  # balance transactions, oldest first
        self.ignore_idempotency = False
        self._ids = itertools.count(1)

    def fail_next(self, *failures: int | str) -> None:
        self.fail.extend(failures)

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        assert len(connection.atomic_blocks) <= self.atomic_depth, "Stripe called in a transaction"
        parts = urlsplit(url)
        assert url.startswith(settings.STRIPE_API_BASE), url
        form = {k: v[-1] for k, v in parse_qs(post_data or "").items()}
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        record = {
            "method": method.upper(),
            "path": parts.path,
            "form": form,
            "query": query,
            "headers": dict(headers or {}),
        }
        self.requests.append(record)
        if self.fail:
            failure = self.fail.pop(0)
            if failure == "connection":
                raise stripe.APIConnectionError("stub: no route to Stripe")
            return (
                json.dumps({"error": {"message": "stub failure", "type": "api_error"}}),
                int(failure),
                {},
            )
        key = (headers or {}).get("Idempotency-Key")
        if key and key in self.by_key and not self.ignore_idempotency:
            return self.by_key[key]
        body, status = self._route(record["method"], parts.path, form, query)
        response = (json.dumps(body), status, {"request-id": f"req_{next(self._ids)}"})
        if key:
            self.by_key[key] = response
        return response

    def _route(self, method, path, form, query):
        n = next(self._ids)
        if method == "POST" and path == "/v1/payment_intents":
            intent = {
                "id": f"pi_{n}",
                "object": "payment_intent",
                "client_secret": f"pi_{n}_secret_{n}",
                "status": "requires_payment_method",
                "amount": int(form["amount"]),
                "currency": form["currency"],
                "latest_charge": None,
                "metadata": {
                    k[len("metadata[") : -1]: v
                    for k, v in form.items()
                    if k.startswith("metadata[")
                },
            }
            self.intents[intent["id"]] = intent
            return intent, 200
        if method == "GET" and path.startswith("/v1/payment_intents/"):
            return self.intents[path.rsplit("/", 1)[1]], 200
        if method == "POST" and path.endswith("/cancel"):
            intent = self.intents[path.split("/")[3]]
            intent["status"] = "canceled"
            return intent, 200
        if method == "GET" and path.startswith("/v1/charges/"):
            charge = path.rsplit("/", 1)[1]
            fee = self.fees.get(charge, 0)
            return {
                "id": charge,
                "object": "charge",
                "balance_transaction": {
                    "id": f"txn_{charge}",
                    "object": "balance_transaction",
                    "fee": fee,
                },
            }, 200
        if method == "GET" and path == "/v1/refunds":
            data = [
                r for r in self.refunds.values() if r["payment_intent"] == query["payment_intent"]
            ]
            return {"object": "list", "data": data, "has_more": False, "url": "/v1/refunds"}, 200
        if method == "POST" and path == "/v1/refunds":
            refund = {
                "id": f"re_{n}",
                "object": "refund",
                "status": self.refund_status,
                "amount": int(form["amount"]),
                "payment_intent": form["payment_intent"],
            }
            self.refunds[refund["id"]] = refund
            if refund["status"] == "succeeded":
                self._balance("refund", -refund["amount"], 0, refund["id"])
            return refund, 200
        if method == "GET" and path == "/v1/balance_transactions":
            low, high = int(query["created[gte]"]), int(query["created[lt]"])
            found = [t for t in self.balance if low <= t["created"] < high]
            if "starting_after" in query:
                ids = [t["id"] for t in found]
                found = found[ids.index(query["starting_after"]) + 1 :]
            limit = int(query.get("limit", 10))
            return {
                "object": "list",
                "data": found[:limit],
                "has_more": len(found) > limit,
                "url": "/v1/balance_transactions",
            }, 200
        return {
            "error": {"message": f"stub has no {method} {path}", "type": "invalid_request_error"}
        }, 404

    def succeed(self, intent_id: str, *, fee: int = 0) -> dict[str, Any]:
        """The donor paid: the PaymentIntent succeeds with a charge carrying ``fee``."""
        intent = self.intents[intent_id]
        charge = f"ch_{intent_id}"
        self.fees[charge] = fee
        intent.update(status="succeeded", latest_charge=charge)
        self._balance("charge", intent["amount"], fee, charge)
        return intent

    def _balance(self, kind: str, amount: int, fee: int, source: str) -> None:
        self.balance.append(
            {
                "id": f"txn_{len(self.balance) + 1}",
                "object": "balance_transaction",
                "type": kind,
                "amount": amount,
                "fee": fee,
                "net": amount - fee,
                "currency": "eur",
                "source": source,
                "created": int(time.time()),
            }
        )


def signed(event: dict[str, Any], *, secret: str | None = None, at: int | None = None):
    """The body and the Stripe-Signature header Stripe would send, made by the library."""
    payload = json.dumps(event)
    header = stripe.WebhookSignature.generate_signature_header(
        payload, secret or settings.STRIPE_WEBHOOK_SECRET, timestamp=at or int(time.time())
    )
    return payload, header


_events = itertools.count(1)


def event(kind: str, obj: dict[str, Any], *, event_id: str | None = None) -> dict[str, Any]:
    return {
        "id": event_id or f"evt_{next(_events)}",
        "object": "event",
        "type": kind,
        "created": int(time.time()),
        "data": {"object": obj},
    }
