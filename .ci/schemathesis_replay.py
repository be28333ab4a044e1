"""Cross-user check after schemathesis: may one user read another's objects?

Schemathesis checks each role alone. Here every object URL (a path with an id) that a role
reached with a 2xx, as recorded in its HAR report, is fetched again (GET) with every OTHER
person's token: the other four roles of cooperative A and the five people of cooperative B
(.ci/schemathesis_seed.py). An unsafe request (a POST on ``payouts/7/confirm/``, say) counts
by its object (``payouts/7/``). Each answer must be 403 or 404, unless ALLOWED below says
why that person may see it. Exits 1 on any leak, printing each.

Usage: schemathesis_replay.py --base URL --tokens TOKENS.json --hars DIR --roles ROLE...
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Allowed:
    pattern: str  # matched against the path after /api/v1/
    who: str  # "anyone", or a rule that Replay.holds checks for the other person
    reason: str


ALLOWED = [
    Allowed(r"wijken/\d+/", "anyone", "the city's wijken are public (API.md: anyone)"),
    Allowed(r"neighbourhoods/\d+/", "anyone", "buurten are public (API.md: anyone)"),
    Allowed(r"cooperatives/\d+/", "anyone", "cooperatives and their buurten are public"),
    Allowed(r"member-organisations/\d+/", "anyone", "member organisations are public"),
    Allowed(r"funds/\d+/(coverage/)?", "anyone", "funds, their balance and coverage are public"),
    Allowed(r"funds/\d+/decisions/", "anyone", "decided applications and tallies are public"),
    Allowed(r"priorities/\d+/", "anyone", "the buurten's priorities are public"),
    Allowed(r"rounds/\d+/(result/|pabulib/)?", "anyone", "innovation rounds are public"),
    Allowed(
        r"applications/\d+/(checks/)?",
        "public",
        "a submitted application is public, to anyone logged out too (its payee details are "
        "not: checked apart); a draft is not",
    ),
    Allowed(
        r"applications/\d+/(checks/|receipts/\d+/)?",
        "own",
        "the applicant's own application (in their ?mine=true list)",
    ),
    Allowed(
        r"applications/\d+/(checks/|receipts/\d+/)?",
        "staff",
        "a role (coordinator, board, treasurer) in the cooperative of the application's fund",
    ),
    Allowed(r"payouts/\d+/(sepa/)?", "treasurer", "a treasurer of the batch's cooperative"),
    Allowed(r"topups/\d+/", "treasurer", "a treasurer of the top-up's fund's cooperative"),
    Allowed(r"bank/(lines|statements)/\d+/", "treasurer", "a treasurer of that cooperative"),
    Allowed(r"neighbourhoods/\d+/voting-codes/", "coordinator", "a coordinator of that buurt"),
]
# The private fields of an application: null for anyone but the applicant and the staff of
# the fund's cooperative.
PRIVATE_APPLICATION_FIELDS = ("payee_name", "payee_iban", "payee_check_needed", "receipts")


def object_urls(har: Path) -> set[str]:
    """The path of every 2xx GET on an object, and the object itself (the path up to its
    first id) of every 2xx answer on it."""
    urls: set[str] = set()
    for entry in json.loads(har.read_text())["log"]["entries"]:
        status = entry["response"]["status"]
        if not 200 <= status < 300:
            continue
        method, url = entry["request"]["method"], entry["request"]["url"]
        parts = urlsplit(url)
        match = re.match(r"(/api/v1/.*?/\d+/)", parts.path)
        if match is None or method == "OPTIONS":
            continue
        urls.add(match.group(1))
        if method == "GET":
            urls.add(parts.path)  # its query does not change whose object it is
    return urls


def fetch(base: str, path: str, token: str | None) -> tuple[int, bytes]:
    headers = {"Accept": "application/json", "Accept-Language": "en"}
    if token:
        headers["Authorization"] = f"Token {token}"
    request = urllib.request.Request(base + path, headers=headers)  # noqa: S310 (loopback)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


class Replay:
    def __init__(self, base: str, tokens: dict[str, str]) -> None:
        self.base, self.tokens = base, tokens
        self._me: dict[str, dict] = {}
        self._mine: dict[str, set[int]] = {}
        self._fund_cooperative: dict[int, int] = {}

    def get(self, path: str, who: str | None) -> tuple[int, bytes]:
        return fetch(self.base, path, self.tokens[who] if who else None)

    def me(self, who: str) -> dict:
        if who not in self._me:
            self._me[who] = json.loads(self.get("/api/v1/auth/me/", who)[1])
        return self._me[who]

    def roles(self, who: str, role: str | None = None) -> set[int]:
        return {
            r["cooperative_id"] for r in self.me(who)["roles"] if role is None or r["role"] == role
        }

    def mine(self, who: str) -> set[int]:
        if who not in self._mine:
            body = json.loads(self.get("/api/v1/applications/?mine=true&page_size=100", who)[1])
            self._mine[who] = {a["id"] for a in body["results"]}
        return self._mine[who]

    def submitted(self, number: int, owner: str) -> bool:
        """Whether application ``number``, as its owner sees it, was ever submitted (to a vote
        or a round): a step out of draft other than a withdrawal. Drafts, and drafts withdrawn
        before submitting, are never public."""
        status, raw = self.get(f"/api/v1/applications/{number}/", owner)
        if status != 200:
            return False
        history = json.loads(raw).get("history") or []
        return any(
            step.get("from_status") == "draft"
            and step.get("to_status") not in ("draft", "withdrawn")
            for step in history
        )

    def cooperative_of(self, relative: str, body: Any, owner: str) -> int | None:
        """The cooperative an object belongs to: from the answer the other person got, or
        for an application (and its checks) from the application as its owner sees it."""
        if isinstance(body, dict) and "cooperative" in body:
            return int(body["cooperative"])
        fund = body.get("fund") if isinstance(body, dict) else None
        if relative.startswith("applications/"):
            number = int(relative.split("/")[1])
            status, raw = self.get(f"/api/v1/applications/{number}/", owner)
            fund = json.loads(raw)["fund"] if status == 200 else fund
        if fund is None:
            return None
        if fund not in self._fund_cooperative:
            fund_body = json.loads(self.get(f"/api/v1/funds/{fund}/", None)[1])
            self._fund_cooperative[fund] = fund_body["cooperative"]
        return self._fund_cooperative[fund]

    def holds(self, rule: str, who: str, path: str, body: Any, owner: str) -> bool:
        relative = urlsplit(path).path.removeprefix("/api/v1/")
        number = int(re.findall(r"\d+", relative)[0])
        if rule == "anyone":
            return True
        if rule == "public":
            # Not the logged-out answer alone: a server showing drafts to everyone would pass.
            return self.submitted(number, owner) and 200 <= self.get(path, None)[0] < 300
        if rule == "own":
            return number in self.mine(who)
        if rule == "coordinator":
            return number in self.me(who)["coordinator_of"]
        cooperative = self.cooperative_of(relative, body, owner)
        if rule == "staff":
            return cooperative in self.roles(who)
        if rule == "treasurer":
            return cooperative in self.roles(who, "treasurer")
        raise ValueError(rule)

    def allowed(self, path: str, who: str, body: Any, owner: str) -> str | None:
        """Why ``who`` may read ``path`` (which ``owner`` reached), or None."""
        relative = urlsplit(path).path.removeprefix("/api/v1/")
        for rule in ALLOWED:
            if re.fullmatch(rule.pattern, relative) and self.holds(
                rule.who, who, path, body, owner
            ):
                return rule.reason
        return None

    def private_fields_leak(self, path: str, who: str, body: Any, owner: str) -> list[str]:
        relative = urlsplit(path).path.removeprefix("/api/v1/")
        if not re.fullmatch(r"applications/\d+/", relative):
            return []
        if any(self.holds(rule, who, path, body, owner) for rule in ("own", "staff")):
            return []
        return [f for f in PRIVATE_APPLICATION_FIELDS if body.get(f) not in (None, [], "")]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--tokens", type=Path, required=True)
    parser.add_argument("--hars", type=Path, required=True)
    parser.add_argument("--objects", type=Path, required=True)
    parser.add_argument("--roles", nargs="+", required=True)
    args = parser.parse_args()
    tokens: dict[str, str] = json.loads(args.tokens.read_text())
    replay = Replay(args.base, tokens)

    failures: list[str] = []
    reached: dict[str, set[str]] = {}
    for owner in args.roles:
        har = args.hars / f"{owner}.har"
        if not har.exists():
            failures.append(f"no HAR report for {owner}: {har}")
            continue
        reached[owner] = object_urls(har)
        print(f"{owner}: {len(reached[owner])} object URLs reached with a 2xx")
    for owner, paths in json.loads(args.objects.read_text()).items():
        for path in paths:
            status, _ = replay.get(path, owner)
            if not 200 <= status < 300:
                failures.append(f"{owner} cannot reach their own {path}: {status}")
            reached.setdefault(owner, set()).add(path)
        print(f"{owner}: {len(paths)} private objects of the seed")

    tried = refused = permitted = 0
    for owner, paths in reached.items():
        for path in sorted(paths):
            for other in tokens:
                if other == owner:
                    continue
                tried += 1
                status, raw = replay.get(path, other)
                if status in (403, 404):
                    refused += 1
                    continue
                where = f"{status} for {other} on {path} (reached by {owner})"
                if not 200 <= status < 300:
                    failures.append(f"neither refused nor allowed: {where}")
                    continue
                body = json.loads(raw) if raw.strip().startswith((b"{", b"[")) else None
                reason = replay.allowed(path, other, body, owner)
                if reason is None:
                    failures.append(f"LEAK: {where}")
                    continue
                permitted += 1
                exposed = replay.private_fields_leak(path, other, body, owner)
                if exposed:
                    failures.append(f"LEAK: {other} sees {', '.join(exposed)} of {path}")
    print(
        f"cross-user replay: {tried} requests, {refused} refused (403/404), "
        f"{permitted} allowed by the allow-list, {len(failures)} failures"
    )
    for failure in failures:
        print(f"  {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
