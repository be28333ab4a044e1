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
from urllib.parse import urlsplit

STAFF_A = {"coordinator", "board", "treasurer"}


@dataclass(frozen=True)
class Allowed:
    pattern: str  # matched against the path after /api/v1/
    who: str | frozenset[str]  # "anyone", "public" (only if a logged-out GET answers too), roles
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
        "a submitted application is public (its payee details are not: checked below); "
        "a draft only for its applicant and the cooperative's staff",
    ),
    Allowed(
        r"applications/\d+/(checks/)?",
        frozenset(STAFF_A),
        "the staff of cooperative A (coordinator, board, treasurer) see its drafts",
    ),
    Allowed(
        r"applications/\d+/receipts/\d+/",
        frozenset(STAFF_A),
        "receipts: the applicant and the cooperative's staff",
    ),
]
# The private fields of an application: null for anyone but the applicant and the staff of
# the fund's cooperative (the full IBAN only for its treasurers).
PRIVATE_APPLICATION_FIELDS = ("payee_name", "payee_iban", "receipts")
SEES_PRIVATE = STAFF_A | {"applicant"}


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


def allowed(path: str, who: str, base: str) -> str | None:
    """Why ``who`` may read ``path``, or None."""
    relative = urlsplit(path).path.removeprefix("/api/v1/")
    for rule in ALLOWED:
        if not re.fullmatch(rule.pattern, relative):
            continue
        if rule.who == "anyone" or (isinstance(rule.who, frozenset) and who in rule.who):
            return rule.reason
        if rule.who == "public" and 200 <= fetch(base, path, None)[0] < 300:
            return rule.reason
    return None


def private_fields_leak(path: str, who: str, body: bytes) -> list[str]:
    relative = urlsplit(path).path.removeprefix("/api/v1/")
    if not re.fullmatch(r"applications/\d+/", relative) or who in SEES_PRIVATE:
        return []
    data = json.loads(body)
    return [f for f in PRIVATE_APPLICATION_FIELDS if data.get(f) not in (None, [], "")]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--tokens", type=Path, required=True)
    parser.add_argument("--hars", type=Path, required=True)
    parser.add_argument("--roles", nargs="+", required=True)
    args = parser.parse_args()
    tokens: dict[str, str] = json.loads(args.tokens.read_text())

    leaks: list[str] = []
    tried = refused = permitted = 0
    for owner in args.roles:
        har = args.hars / f"{owner}.har"
        if not har.exists():
            leaks.append(f"no HAR report for {owner}: {har}")
            continue
        urls = sorted(object_urls(har))
        print(f"{owner}: {len(urls)} object URLs reached with a 2xx")
        for path in urls:
            for other, token in tokens.items():
                if other == owner:
                    continue
                tried += 1
                status, body = fetch(args.base, path, token)
                if status in (403, 404):
                    refused += 1
                    continue
                if status >= 500:
                    leaks.append(f"{status} for {other} on {path} (reached by {owner})")
                    continue
                reason = allowed(path, other, args.base)
                if reason is None:
                    leaks.append(f"{status} for {other} on {path} (reached by {owner})")
                    continue
                permitted += 1
                exposed = private_fields_leak(path, other, body) if status == 200 else []
                if exposed:
                    leaks.append(f"{other} sees {', '.join(exposed)} of {path} ({owner}'s)")
    print(
        f"cross-user replay: {tried} requests, {refused} refused (403/404), "
        f"{permitted} allowed by the allow-list, {len(leaks)} leaks"
    )
    for leak in leaks:
        print(f"  LEAK: {leak}")
    return 1 if leaks else 0


if __name__ == "__main__":
    sys.exit(main())
