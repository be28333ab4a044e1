"""A client for localstripe, as Stripe.js (the donor's browser) and the dashboard would talk
to Stripe: used by the localstripe test and by the end-to-end story."""

from __future__ import annotations

import base64
import json
import urllib.parse
import urllib.request
from typing import Any


class LocalStripe:
    def __init__(self, base_url: str, secret_key: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.authorization = "Basic " + base64.b64encode(f"{secret_key}:".encode()).decode()

    def __call__(self, method: str, path: str, data: dict[str, Any] | None = None) -> Any:
        """One call; an answer of 400 or more raises urllib's HTTPError."""
        body = urllib.parse.urlencode(data or {}).encode() if method == "POST" else None
        request = urllib.request.Request(f"{self.base_url}{path}", data=body, method=method)
        request.add_header("Authorization", self.authorization)
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (loopback)
            return json.loads(response.read() or b"{}")

    def pay_by_card(self, intent_id: str) -> None:
        """The donor pays with Stripe's test card."""
        method = self(
            "POST",
            "/v1/payment_methods",
            {
                "type": "card",
                "card[number]": "4242424242424242",
                "card[exp_month]": "12",
                "card[exp_year]": "2030",
                "card[cvc]": "123",
            },
        )
        # localstripe has no confirm(payment_method=...): attach it first, then confirm.
        self("POST", f"/v1/payment_intents/{intent_id}", {"payment_method": method["id"]})
        self("POST", f"/v1/payment_intents/{intent_id}/confirm")
