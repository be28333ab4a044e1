"""Load test: a city-wide voting day replayed against a deployment (issue 14).

Three steps, each a subcommand (docs/load.md has a whole session, server included):

    # 1. The city, written into the target database through our services (run it with the
    #    deployment's own settings and DATABASE_URL, e.g. on the app server's host):
    .venv/bin/python benchmarks/load.py setup --manifest /tmp/city.json
    # 2. HTTP load against the deployment's base URL (this needs no database, only the manifest):
    .venv/bin/python benchmarks/load.py run --manifest /tmp/city.json \
        --base-url http://127.0.0.1:8000 --concurrency 32 --duration 60 --json /tmp/load.json
    # 3. What the server acknowledged against what the database holds:
    .venv/bin/python benchmarks/load.py verify --manifest /tmp/city.json --results /tmp/load.json

setup: --buurten buurten (the ones the migrations load, then extra ones), in each a
buurtcoöperatie under one city cooperative, a Buurtfonds with money, --applications
applications in voting (each by its own resident) and --residents verified residents with an
API token (the applicants among them); one coordinator of every buurt, with a token. A few
windows (--closing, spread over the buurten) close --close-in seconds after setup ends, so
settling runs while neighbours vote. The manifest (tokens, ids: a secret, written 0600) says
what run needs.

run: --concurrency workers, each with its own keep-alive HTTP/1.1 connection (asyncio, no
dependency), each request a kind drawn by --mix weights, for --duration seconds or --requests
requests. Kinds (what a resident, a neighbour, a donor does on the day):
  vote            a resident's first vote on an open application of their buurt (201)
  change          a resident who voted votes again with the other choice (200)
  race            a double click: the same first vote twice at once on two connections
                  (one 201 and one 200; two 201s would hand out a receipt that counts nothing)
  paper-double    a coordinator enters a paper ballot for a resident who voted online
                  (refused, 409 already_voted: a double vote)
  outsider        a resident votes in another buurt (refused, 403 not_resident)
  page-home, page-buurt, page-application   anonymous HTML pages
  api-applications, api-fund, api-decisions anonymous API reads (lists, a fund's balance)
  topup           a donor tops up an application (201; the server calls Stripe, or
                  localstripe, through payments' gateway)
  health          GET /api/v1/health/ (not in the default mix): a baseline of the server
                  and the machine, e.g. --mix health=1, to tell how noisy the figures are
An answer is ok, an expected refusal (listed per kind below: a vote on a window that has
just closed, a refused double vote) or an error: any other status, a refusal of an open
window, or an exception. Errors make run exit 1. It prints throughput and p50/p99 latency
per kind and overall, and with --json writes them, with every vote's outcome for verify.

verify: needs the database (the same settings as setup, BALLOT_KEY included): every
acknowledged first vote has its one participation, with the receipt the voter got, holding
the last choice acknowledged; nothing else was stored; every decided window's counts equal
its ballots; and manage.py check_invariants' checks hold. Exits 1 on any difference.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import ssl
import statistics
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Kind -> weight. Reads outnumber votes on a voting day; top-ups are few.
DEFAULT_MIX = (
    "vote=34,change=6,race=2,paper-double=2,outsider=2,page-home=3,page-buurt=14,"
    "page-application=12,api-applications=12,api-fund=5,api-decisions=5,topup=3"
)
# Kind -> (status, code) answers that are expected refusals, not errors. A vote may meet a
# window that closed moments ago (the server's clock decides); a refused double vote and an
# outsider's vote are what the rules say. "late" refusals are checked against the close.
CLOSED = {(409, "vote_closed"), (409, "not_voting")}
EXPECTED: dict[str, set[tuple[int, str]]] = {
    "vote": CLOSED,
    "change": CLOSED,
    "race": CLOSED,
    "paper-double": {(409, "already_voted"), *CLOSED},
    "outsider": {(403, "not_resident"), *CLOSED},  # a closed window refuses anyone first
    "topup": {(409, "topup_exceeds_need"), (409, "not_accepting_topups")},
}
OK = {
    "vote": {201},
    "change": {200},
    "race": {200, 201},
    "paper-double": set(),
    "outsider": set(),
    "topup": {201},
}
CLOCK_SLACK = 5.0  # seconds: a "closed" refusal this long before the close is an error


# -- setup -------------------------------------------------------------------------------------


def setup(args: argparse.Namespace) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings.local")
    django.setup()
    from django.db import connection, transaction
    from django.utils import timezone
    from knox.models import AuthToken

    from community.models import Cooperative, Neighbourhood, User, Wijk
    from community.services import membership_grant, residence_codes_issue, residency_verify
    from grants.models import Application, Fund
    from grants.services import application_create, fund_create, fund_deposit
    from voting.services import vote_open

    started = time.perf_counter()
    tag = args.tag or f"load{int(time.time())}"
    buurten = list(Neighbourhood.objects.order_by("pk")[: args.buurten])
    if len(buurten) < args.buurten:
        # Reference data like the migrations' buurten (there is no service for it).
        wijk, _ = Wijk.objects.get_or_create(slug="loadwijk", defaults={"name": "Loadwijk"})
        for n in range(len(buurten), args.buurten):
            buurt, _ = Neighbourhood.objects.get_or_create(
                slug=f"loadbuurt-{n}", defaults={"name": f"Loadbuurt {n}", "wijk": wijk}
            )
            buurten.append(buurt)

    def user(name: str) -> User:
        # No password: hashing one per resident would take most of the setup's time.
        return User.objects.create_user(f"{tag}-{name}", f"{tag}-{name}@buurtfonds.invalid")

    staff = {role: user(role) for role in ("board", "treasurer", "coordinator")}
    city = Cooperative.objects.create(
        name=f"Stad {tag}", slug=f"stad-{tag}", kind=Cooperative.Kind.CITY
    )
    plan: dict[str, Any] = {"tag": tag, "buurten": [], "residents": [], "applications": []}
    per_app = args.total_budget_cents
    own = math.ceil(per_app * 5 / 100)
    for b, buurt in enumerate(buurten):
        coop = Cooperative.objects.create(
            name=f"Buurtcoöperatie {buurt.name} {tag}",
            slug=f"bc-{b}-{tag}",
            kind=Cooperative.Kind.NEIGHBOURHOOD,
            parent=city,
        )
        coop.neighbourhoods.add(buurt)
        for role, member in staff.items():
            membership_grant(user=member, cooperative=coop, role=role, acting_user=None)
        fund = fund_create(
            acting_user=staff["board"],
            cooperative=coop,
            name=f"Buurtfonds {buurt.name} {tag}",
            kind=Fund.Kind.BUURTFONDS,
            neighbourhood=buurt,
            max_request_cents=args.request_cents,
            quorum=3,
        )
        fund_deposit(
            fund=fund,
            amount_cents=args.request_cents * args.applications * 2,
            source="subsidy",
            reference=f"{tag}-start",
            acting_user=staff["treasurer"],
        )
        residents = [user(f"b{b}-r{r}") for r in range(args.residents)]
        codes = residence_codes_issue(
            neighbourhood=buurt, count=len(residents), acting_user=staff["coordinator"]
        ).codes
        for resident, code in zip(residents, codes, strict=True):
            residency_verify(user=resident, code=code)
            plan["residents"].append(
                {"id": resident.pk, "buurt": b, "token": AuthToken.objects.create(user=resident)[1]}
            )
        for a in range(args.applications):
            applicant = residents[a]  # one open application per applicant (the fund's rule)
            application = application_create(
                fund=fund,
                acting_user=applicant,
                title=f"Buurtplan {a + 1} in {buurt.name}",
                summary="Een plan van bewoners voor de buurt: wie meedoet en wat het kost. " * 2,
                amount_requested_cents=args.request_cents,
                total_budget_cents=per_app,
                own_contribution_cents=own,
            )
            application = vote_open(application=application, acting_user=applicant)
            plan["applications"].append(
                {
                    "id": application.pk,
                    "buurt": b,
                    "fund": fund.pk,
                    "applicant": applicant.pk,
                    "closes_at": application.vote_closes_at.timestamp(),
                }
            )
        plan["buurten"].append({"id": buurt.pk, "slug": buurt.slug, "fund": fund.pk})
        print(f"  buurt {b + 1}/{len(buurten)}: {buurt.name}", file=sys.stderr)
    plan["coordinator"] = {
        "id": staff["coordinator"].pk,
        "token": AuthToken.objects.create(user=staff["coordinator"])[1],
    }
    # A few windows close soon after setup, spread over the buurten: settling then runs
    # (on reads, by the minute sweep) while the neighbours vote. Test data only: the real
    # window is the fund's vote_window_minutes, at least a minute from submitting.
    closing = plan["applications"][:: max(1, len(plan["applications"]) // max(args.closing, 1))]
    closing = closing[: args.closing]
    closes_at = timezone.now() + timedelta(seconds=args.close_in)
    with transaction.atomic():
        Application.objects.filter(pk__in=[a["id"] for a in closing]).update(
            vote_closes_at=closes_at
        )
    for item in closing:
        item["closes_at"] = closes_at.timestamp()
    path = Path(args.manifest)
    path.touch(mode=0o600)
    path.write_text(json.dumps(plan))
    connection.close()
    voters = sum(1 for _ in plan["residents"])
    print(
        f"setup ({tag}): {len(buurten)} buurten, {len(plan['applications'])} applications in"
        f" voting ({len(closing)} closing in {args.close_in:.0f} s, at"
        f" {timezone.localtime(closes_at):%H:%M:%S}), {voters} residents with tokens;"
        f" {time.perf_counter() - started:.0f} s; manifest {path}"
    )


# -- run: an HTTP/1.1 keep-alive client on asyncio streams ------------------------------------


class Http:
    """One keep-alive connection to the base URL; reconnects when the server closes it."""

    def __init__(self, base: str, headers: dict[str, str], timeout: float) -> None:
        parts = urlsplit(base)
        self.https = parts.scheme == "https"
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (443 if self.https else 80)
        self.prefix = parts.path.rstrip("/")
        default_port = self.port == (443 if self.https else 80)
        self.host_header = parts.netloc if not default_port else self.host
        self.headers = headers
        self.timeout = timeout
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def request(
        self, method: str, path: str, body: Any = None, token: str | None = None
    ) -> tuple[int, bytes]:
        return await asyncio.wait_for(self._request(method, path, body, token), self.timeout)

    async def _request(
        self, method: str, path: str, body: Any, token: str | None
    ) -> tuple[int, bytes]:
        data = json.dumps(body).encode() if body is not None else b""
        lines = [
            f"{method} {self.prefix}{path} HTTP/1.1",
            f"Host: {self.host_header}",
            "Accept: application/json, text/html",
            "Accept-Language: nl",
            "Accept-Encoding: identity",
            *(f"{k}: {v}" for k, v in self.headers.items()),
        ]
        if token:
            lines.append(f"Authorization: Token {token}")
        if body is not None:
            lines += ["Content-Type: application/json", f"Content-Length: {len(data)}"]
        raw = ("\r\n".join(lines) + "\r\n\r\n").encode() + data
        for attempt in (0, 1):
            fresh = self.writer is None
            if fresh:
                context = ssl.create_default_context() if self.https else None
                self.reader, self.writer = await asyncio.open_connection(
                    self.host, self.port, ssl=context
                )
            assert self.reader is not None and self.writer is not None
            try:
                self.writer.write(raw)
                await self.writer.drain()
                status_line = await self.reader.readline()
                if not status_line:
                    raise ConnectionResetError("the server closed the connection")
            except (ConnectionError, OSError):
                await self.close()
                # A kept-alive connection the server had closed: send once more on a new
                # one (the request never reached the application).
                if attempt == 0 and not fresh:
                    continue
                raise
            return await self._response(status_line)
        raise AssertionError("unreachable")

    async def _response(self, status_line: bytes) -> tuple[int, bytes]:
        assert self.reader is not None
        status = int(status_line.split()[1])
        length, chunked, close = 0, False, False
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value:
                chunked = True
            elif name == "connection" and value == "close":
                close = True
        if chunked:
            parts = []
            while True:
                size = int((await self.reader.readline()).split(b";")[0], 16)
                if size == 0:
                    await self.reader.readline()
                    break
                parts.append(await self.reader.readexactly(size))
                await self.reader.readexactly(2)
            content = b"".join(parts)
        else:
            content = await self.reader.readexactly(length)
        if close:
            await self.close()
        return status, content


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    ok: Counter = field(default_factory=Counter)
    refused: Counter = field(default_factory=Counter)  # (kind, status, code)
    errors: Counter = field(default_factory=Counter)  # (kind, what)
    error_samples: list[str] = field(default_factory=list)


@dataclass
class Ballot:
    """What the server acknowledged for one (application, voter)."""

    application: int
    voter: int
    choice: str | None = None  # the last acknowledged choice
    receipts: list[str] = field(default_factory=list)  # every receipt handed out (201)
    uncertain: bool = False  # a request whose answer never came: either outcome is right


class City:
    """The manifest and the state of the day: who has voted what, what is in flight."""

    def __init__(self, plan: dict[str, Any], rng: random.Random) -> None:
        self.plan = plan
        self.rng = rng
        self.apps = {a["id"]: a for a in plan["applications"]}
        self.residents = {r["id"]: r for r in plan["residents"]}
        by_buurt: dict[int, list[dict]] = defaultdict(list)
        for r in plan["residents"]:
            by_buurt[r["buurt"]].append(r)
        self.pending = [
            (a["id"], r["id"])
            for a in plan["applications"]
            for r in by_buurt[a["buurt"]]
            if r["id"] != a["applicant"]
        ]
        rng.shuffle(self.pending)
        self.total_pairs = len(self.pending)
        self.ballots: dict[tuple[int, int], Ballot] = {}
        self.voted: list[tuple[int, int]] = []  # pairs with an acknowledged first vote
        self.busy: set[tuple[int, int]] = set()
        self.form = 0

    def pending_pair(self) -> tuple[int, int] | None:
        pair = self.pending.pop() if self.pending else None
        if pair is not None:
            self.busy.add(pair)
            self.ballots[pair] = Ballot(*pair)
        return pair

    def voted_pair(self) -> tuple[int, int] | None:
        for _ in range(20):
            if not self.voted:
                return None
            pair = self.rng.choice(self.voted)
            if pair not in self.busy:
                self.busy.add(pair)
                return pair
        return None

    def is_open(self, application: int, at: float) -> bool:
        return at < self.apps[application]["closes_at"]


def parse_mix(text: str) -> dict[str, float]:
    mix = {}
    for part in text.split(","):
        name, _, weight = part.partition("=")
        if name.strip() not in KINDS:
            raise SystemExit(f"unknown kind {name!r} in --mix; kinds: {', '.join(KINDS)}")
        mix[name.strip()] = float(weight)
    return mix


def _code(content: bytes) -> str:
    try:
        body = json.loads(content)
    except ValueError:
        return ""
    return str(body.get("code", "")) if isinstance(body, dict) else ""


class Day:
    def __init__(self, args: argparse.Namespace, plan: dict[str, Any]) -> None:
        self.args = args
        self.rng = random.Random(args.seed)
        self.city = City(plan, self.rng)
        self.stats = Stats()
        self.mix = parse_mix(args.mix)
        self.kinds = list(self.mix)
        self.weights = [self.mix[k] for k in self.kinds]
        headers = dict(h.split(":", 1) for h in args.header)
        self.headers = {k.strip(): v.strip() for k, v in headers.items()}
        self.sent = 0
        self.fallbacks: Counter = Counter()

    def http(self) -> Http:
        return Http(self.args.base_url, self.headers, self.args.timeout)

    def record(self, kind: str, started: float, status: int, content: bytes) -> str:
        """ok, refused or error; latency is kept for every answer."""
        self.stats.latencies[kind].append(time.perf_counter() - started)
        code = _code(content) if status >= 400 else ""
        if status in OK.get(kind, {200}):
            self.stats.ok[kind] += 1
            return "ok"
        if (status, code) in EXPECTED.get(kind, set()):
            self.stats.refused[(kind, status, code)] += 1
            return "refused"
        self.error(kind, f"HTTP {status} {code}".strip(), content[:300].decode("utf-8", "replace"))
        return "error"

    def error(self, kind: str, what: str, sample: str = "") -> None:
        self.stats.errors[(kind, what)] += 1
        if len(self.stats.error_samples) < 20:
            self.stats.error_samples.append(f"{kind}: {what}: {sample}")

    def closed_too_early(self, kind: str, application: int, answered_at: float) -> bool:
        """A 'closed' refusal while the window was clearly open is an error, not a refusal."""
        if time.time() + CLOCK_SLACK < self.city.apps[application]["closes_at"]:
            self.error(kind, "refused as closed while open", f"application {application}")
            return True
        return False

    async def worker(self, index: int, deadline: float) -> None:
        http, extra = self.http(), None
        try:
            while time.perf_counter() < deadline and (
                self.args.requests is None or self.sent < self.args.requests
            ):
                self.sent += 1
                kind = self.rng.choices(self.kinds, self.weights)[0]
                if kind == "race" and extra is None:
                    extra = self.http()
                await self.one(kind, http, extra)
        finally:
            await http.close()
            if extra is not None:
                await extra.close()

    async def one(self, kind: str, http: Http, extra: Http | None) -> None:
        city = self.city
        if kind in ("vote", "race"):
            pair = city.pending_pair()
            if pair is None:
                self.fallbacks[kind] += 1
                kind, pair = "change", city.voted_pair()
        elif kind in ("change", "paper-double"):
            pair = city.voted_pair()
        else:
            pair = None
        if kind in ("change", "paper-double") and pair is None:
            self.fallbacks[kind] += 1
            kind = "page-buurt"  # nobody has voted yet: a neighbour reads instead
        started = time.perf_counter()
        try:
            if kind in ("vote", "change", "race", "paper-double"):
                assert pair is not None
                try:
                    await self.ballot(kind, pair, http, extra)
                finally:
                    city.busy.discard(pair)
            else:
                method, path, body, token = self.read_or_topup(kind)
                status, content = await http.request(method, path, body, token)
                self.record(kind, started, status, content)
        except Exception as exc:  # noqa: BLE001  (every failure is counted and reported)
            self.stats.latencies[kind].append(time.perf_counter() - started)
            self.error(kind, type(exc).__name__, str(exc)[:200])
            await http.close()
            if pair is not None and kind in ("vote", "change", "race"):
                city.ballots[pair].uncertain = True

    def read_or_topup(self, kind: str) -> tuple[str, str, Any, str | None]:
        rng, plan = self.rng, self.city.plan
        buurt = rng.choice(plan["buurten"])
        app = rng.choice(plan["applications"])
        if kind == "outsider":
            voter = rng.choice(plan["residents"])
            while True:
                app = rng.choice(plan["applications"])
                if app["buurt"] != voter["buurt"]:
                    break
            return (
                "POST",
                f"/api/v1/applications/{app['id']}/vote/",
                {"choice": "yes"},
                voter["token"],
            )
        if kind == "topup":
            body = {
                "amount_cents": rng.randrange(500, 5_001, 100),
                "email": f"donor{rng.randrange(10**6)}@buurtfonds.invalid",
                "display_name": "Een buurtgenoot",
            }
            return "POST", f"/api/v1/applications/{app['id']}/topups/", body, None
        paths = {
            "page-home": "/?kies=1",
            "page-buurt": f"/buurt/{buurt['slug']}/",
            "page-application": f"/aanvraag/{app['id']}/",
            "api-applications": f"/api/v1/applications/?neighbourhood={buurt['id']}&status=voting",
            "api-fund": f"/api/v1/funds/{buurt['fund']}/",
            "api-decisions": f"/api/v1/funds/{buurt['fund']}/decisions/",
            "health": "/api/v1/health/",
        }
        return "GET", paths[kind], None, None

    async def ballot(
        self, kind: str, pair: tuple[int, int], http: Http, extra: Http | None
    ) -> None:
        city = self.city
        application, voter = pair
        token = city.residents[voter]["token"]
        ballot = city.ballots[pair]
        path = f"/api/v1/applications/{application}/vote/"
        if kind == "paper-double":
            city.form += 1
            body = {"resident": voter, "choice": "yes", "form_number": f"L{city.form}"}
            started = time.perf_counter()
            status, content = await http.request(
                "POST",
                f"/api/v1/applications/{application}/assisted-votes/",
                body,
                city.plan["coordinator"]["token"],
            )
            outcome = self.record(kind, started, status, content)
            if outcome == "ok":
                self.error(kind, "a paper ballot replaced an online vote")
            elif outcome == "refused" and _code(content) != "already_voted":
                self.closed_too_early(kind, application, time.time())
            return
        if kind == "change":
            choice = "no" if ballot.choice == "yes" else "yes"
        else:
            choice = self.rng.choice(("yes", "yes", "no"))
        started = time.perf_counter()
        if kind == "race":
            assert extra is not None
            answers = await asyncio.gather(
                http.request("POST", path, {"choice": choice}, token),
                extra.request("POST", path, {"choice": choice}, token),
                return_exceptions=True,
            )
        else:
            answers = [await http.request("POST", path, {"choice": choice}, token)]
        created = 0
        for answer in answers:
            if isinstance(answer, BaseException):
                ballot.uncertain = True
                self.stats.latencies[kind].append(time.perf_counter() - started)
                self.error(kind, type(answer).__name__, str(answer)[:200])
                if kind == "race":
                    await (http if answer is answers[0] else extra).close()  # type: ignore[union-attr]
                continue
            status, content = answer
            outcome = self.record(kind, started, status, content)
            if outcome == "ok":
                ballot.choice = choice
                if status == 201:
                    created += 1
                    ballot.receipts.append(json.loads(content)["receipt"])
            elif outcome == "refused":
                self.closed_too_early(kind, application, time.time())
            else:
                ballot.uncertain = True  # an error's effect is unknown
        if kind != "change" and ballot.receipts and pair not in city.voted:
            city.voted.append(pair)
        if created > 1:
            self.error(kind, "two first votes acknowledged for one voter")
        if kind == "vote" and ballot.choice is not None and created == 0:
            self.error(kind, "a first vote answered as a change")

    async def run(self) -> float:
        deadline = time.perf_counter() + self.args.duration
        # Warm-up, not counted: each worker process imports lazily on its first requests.
        warm = self.http()
        try:
            for path in ("/api/v1/health/", "/?kies=1"):
                for _ in range(4):
                    status, _ = await warm.request("GET", path)
                    if status != 200:
                        raise SystemExit(
                            f"GET {path} answered {status} during the warm-up. Behind"
                            " production settings without a TLS proxy, send the proxy's"
                            " header: --header 'X-Forwarded-Proto: https'."
                        )
        except OSError as exc:
            raise SystemExit(f"cannot reach {self.args.base_url}: {exc}") from exc
        finally:
            await warm.close()
        start = time.perf_counter()
        await asyncio.gather(*(self.worker(i, deadline) for i in range(self.args.concurrency)))
        return time.perf_counter() - start


KINDS = [
    "vote",
    "change",
    "race",
    "paper-double",
    "outsider",
    "page-home",
    "page-buurt",
    "page-application",
    "api-applications",
    "api-fund",
    "api-decisions",
    "topup",
    "health",
]


def percentile(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, max(0, math.ceil(len(ordered) * q) - 1))]


def summarise(day: Day, elapsed: float) -> dict[str, Any]:
    stats = day.stats
    rows = {}
    everything: list[float] = []
    for kind in [*KINDS, *sorted(set(stats.latencies) - set(KINDS))]:
        lat = sorted(stats.latencies.get(kind, []))
        if not lat:
            continue
        everything += lat
        refused = sum(n for (k, _, _), n in stats.refused.items() if k == kind)
        errors = sum(n for (k, _), n in stats.errors.items() if k == kind)
        rows[kind] = {
            "answers": len(lat),
            "per_second": len(lat) / elapsed,
            "p50_ms": statistics.median(lat) * 1000,
            "p99_ms": percentile(lat, 0.99) * 1000,
            "max_ms": lat[-1] * 1000,
            "ok": stats.ok[kind],
            "refused": refused,
            "errors": errors,
        }
    everything.sort()
    overall = {
        "answers": len(everything),
        "per_second": len(everything) / elapsed,
        "p50_ms": statistics.median(everything) * 1000 if everything else 0,
        "p99_ms": percentile(everything, 0.99) * 1000 if everything else 0,
        "max_ms": everything[-1] * 1000 if everything else 0,
        "ok": sum(stats.ok.values()),
        "refused": sum(stats.refused.values()),
        "errors": sum(stats.errors.values()),
    }
    return {"kinds": rows, "overall": overall}


def print_table(summary: dict[str, Any], day: Day, elapsed: float) -> None:
    args = day.args
    print(
        f"\n{args.base_url}: {args.concurrency} connections, {elapsed:.1f} s,"
        f" {summary['overall']['answers']} answers; ballots: {len(day.city.voted)} of"
        f" {day.city.total_pairs} possible first votes acknowledged"
    )
    header = f"{'kind':18} {'answers':>8} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'ok':>7} {'refused':>8} {'errors':>7}"
    print(header)
    print("-" * len(header))
    for kind, r in [*summary["kinds"].items(), ("overall", summary["overall"])]:
        if kind == "overall":
            print("-" * len(header))
        print(
            f"{kind:18} {r['answers']:>8} {r['per_second']:>7.1f} {r['p50_ms']:>8.1f}"
            f" {r['p99_ms']:>8.1f} {r['max_ms']:>8.1f} {r['ok']:>7} {r['refused']:>8} {r['errors']:>7}"
        )
    if day.stats.refused:
        print("\nexpected refusals:")
        for (kind, status, code), n in sorted(day.stats.refused.items()):
            print(f"  {kind:18} {status} {code:24} {n:>7}")
    if day.fallbacks:
        print(
            "\nsubstituted (no pair left or none voted yet): "
            + ", ".join(f"{k} {n}" for k, n in sorted(day.fallbacks.items()))
        )
    if day.stats.errors:
        print("\nERRORS (unexpected answers and exceptions):")
        for (kind, what), n in sorted(day.stats.errors.items()):
            print(f"  {kind:18} {what:40} {n:>7}")
        print("first ones:")
        for sample in day.stats.error_samples:
            print(f"  {sample}")
    else:
        print("\nno errors")


def run(args: argparse.Namespace) -> int:
    plan = json.loads(Path(args.manifest).read_text())
    day = Day(args, plan)
    elapsed = asyncio.run(day.run())
    summary = summarise(day, elapsed)
    print_table(summary, day, elapsed)
    if args.json:
        out = {
            "base_url": args.base_url,
            "concurrency": args.concurrency,
            "duration_s": elapsed,
            "mix": day.mix,
            "tag": plan["tag"],
            **summary,
            "refused": [
                {"kind": k, "status": s, "code": c, "count": n}
                for (k, s, c), n in sorted(day.stats.refused.items())
            ],
            "errors": [
                {"kind": k, "what": w, "count": n} for (k, w), n in sorted(day.stats.errors.items())
            ],
            "ballots": [
                {
                    "application": b.application,
                    "voter": b.voter,
                    "choice": b.choice,
                    "receipts": b.receipts,
                    "uncertain": b.uncertain,
                }
                for b in day.city.ballots.values()
            ],
        }
        path = Path(args.json)
        path.touch(mode=0o600)  # receipts are the voters' secrets
        path.write_text(json.dumps(out, indent=1))
        print(f"\nwritten: {path}")
    return 1 if day.stats.errors else 0


# -- verify ------------------------------------------------------------------------------------


def verify(args: argparse.Namespace) -> int:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings.local")
    django.setup()
    from grants.models import Application
    from voting import seal
    from voting.invariants import breaches
    from voting.models import Participation
    from voting.services import settle_due_windows

    plan = json.loads(Path(args.manifest).read_text())
    results = json.loads(Path(args.results).read_text())
    ids = [a["id"] for a in plan["applications"]]
    # Windows that closed since the run are decided first, as the sweep would.
    settle_due_windows()
    stored = {
        (p.application_id, p.voter_id): p
        for p in Participation.objects.filter(application_id__in=ids)
    }
    problems: list[str] = []
    acknowledged = uncertain = changed_checked = 0
    told = {(b["application"], b["voter"]): b for b in results["ballots"]}
    final: dict[int, Counter] = defaultdict(Counter)
    for pair, b in told.items():
        row = stored.get(pair)
        if b["uncertain"]:
            uncertain += 1
            if row is not None:
                final[pair[0]][seal_choice(seal, row)] += 1
            continue
        if b["receipts"]:
            acknowledged += 1
            if row is None:
                problems.append(f"lost vote: {pair} was acknowledged (201) but is not stored")
                continue
            if len(b["receipts"]) > 1:
                problems.append(f"{pair}: {len(b['receipts'])} receipts handed out for one vote")
            if seal.receipt_hash(b["receipts"][0]) != row.receipt_hash:
                problems.append(f"{pair}: the receipt the voter got is not the stored one")
            choice = seal_choice(seal, row)
            final[pair[0]][choice] += 1
            changed_checked += 1
            if choice != b["choice"]:
                problems.append(f"{pair}: stored choice {choice}, last acknowledged {b['choice']}")
        elif row is not None:
            problems.append(f"{pair}: stored, but the server refused or never answered it")
    extra = set(stored) - set(told)
    for pair in sorted(extra):
        problems.append(f"{pair}: a participation nobody cast in this run")
    for application in Application.objects.filter(pk__in=ids, decided_at__isnull=False):
        counted = final[application.pk]
        if (application.yes_votes, application.no_votes) != (counted["yes"], counted["no"]):
            problems.append(
                f"application {application.pk}: decided on {application.yes_votes} yes,"
                f" {application.no_votes} no; acknowledged ballots say {counted['yes']} yes,"
                f" {counted['no']} no"
            )
    decided = Application.objects.filter(pk__in=ids, decided_at__isnull=False).count()
    invariants = breaches()
    print(
        f"verify ({plan['tag']}): {len(stored)} participations stored; {acknowledged} first"
        f" votes acknowledged, each checked for its receipt and last choice"
        f" ({changed_checked}); {uncertain} without an answer (either outcome allowed);"
        f" {decided} windows decided"
    )
    for line in [*problems, *(f"invariant: {b}" for b in invariants)]:
        print(f"  PROBLEM {line}")
    if problems or invariants:
        return 1
    print("  every acknowledged vote is stored once with its last choice; invariants hold")
    return 0


def seal_choice(seal: Any, row: Any) -> str:
    return seal.unseal(
        application_id=row.application_id, voter_id=row.voter_id, sealed=bytes(row.sealed)
    ).choice


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("setup", help="create the city in the target database")
    s.add_argument("--manifest", required=True)
    s.add_argument("--buurten", type=int, default=30)
    s.add_argument("--applications", type=int, default=4, help="in voting, per buurt")
    s.add_argument("--residents", type=int, default=80, help="verified, with a token, per buurt")
    s.add_argument("--closing", type=int, default=8, help="windows that close during the run")
    s.add_argument("--close-in", type=float, default=60, help="seconds after setup ends")
    s.add_argument("--request-cents", type=int, default=40_000)
    s.add_argument("--total-budget-cents", type=int, default=10_000_000, help="room for top-ups")
    s.add_argument("--tag", help="prefix of every name (default: load<unix time>)")
    r = sub.add_parser("run", help="drive HTTP load against a base URL")
    r.add_argument("--manifest", required=True)
    r.add_argument("--base-url", required=True)
    r.add_argument("--concurrency", type=int, default=32)
    r.add_argument("--duration", type=float, default=60, help="seconds")
    r.add_argument("--requests", type=int, help="stop after this many (also bounded by duration)")
    r.add_argument("--mix", default=DEFAULT_MIX, help=f"kind=weight,... (default {DEFAULT_MIX})")
    r.add_argument("--header", action="append", default=[], help="'Name: value', sent always")
    r.add_argument("--timeout", type=float, default=30)
    r.add_argument("--seed", type=int, default=14)
    r.add_argument("--json", help="write the figures and every vote's outcome here")
    v = sub.add_parser("verify", help="compare a run's acknowledged votes with the database")
    v.add_argument("--manifest", required=True)
    v.add_argument("--results", required=True)
    args = parser.parse_args()
    if args.command == "setup":
        setup(args)
    elif args.command == "run":
        sys.exit(run(args))
    else:
        sys.exit(verify(args))


if __name__ == "__main__":
    main()
