"""The users' story end to end, over HTTP only, against a running stack: the app server
(gunicorn) on PostgreSQL as the application's role, a Celery worker and Celery beat (separate
processes) on a real Redis, and localstripe standing in for Stripe. `.ci/e2e` starts all of
that and runs this with E2E_BASE_URL set; elsewhere it is skipped.

The test process touches the database only through `manage.py shell` for what has no API:
the cooperatives (with their bank account) and the staff's roles (coordinator, board,
treasurer). Everything else is what a resident's app, the board's dashboard and the
treasurer's script do over the API, and every step checks what that user would see.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests
import xmlschema
from lxml import etree
from openpyxl import load_workbook
from sepaxml import validation

from tests.banking.statement_files import camt053
from tests.payments.localstripe import LocalStripe
from tests.waiting import wait_for

pytestmark = pytest.mark.e2e

BASE = os.environ.get("E2E_BASE_URL", "").rstrip("/")
LOCALSTRIPE = os.environ.get("E2E_LOCALSTRIPE_URL", "").rstrip("/")
WEBHOOK_SECRET = os.environ.get("E2E_WEBHOOK_SECRET", "")
ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "e2e-" + secrets.token_urlsafe(12)
RUN = secrets.token_hex(3)  # names of this run's people and cooperatives
BUURT = "dichterswijk-en-rivierenwijk"
COOP_IBAN, COOP_BIC = "NL91ABNA0417164300", "ABNANL2A"
PAYEE_IBAN = "NL20INGB0001234567"
RESIDENTS = 30
NEIGHBOURS_VOTING = 25
SEPA_XSD = Path(validation.__file__).parent / "schemas" / "pain.001.001.03.xsd"
XAF = {"x": "http://www.auditfiles.nl/XAF/3.2"}
PAIN = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"}
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
POLL_SECONDS = 240  # a vote window of a minute, and beat's sweep a minute after at worst


# -- talking to the stack -------------------------------------------------------------------------


class Api:
    """One user's client: a token after login, JSON in and out, the status asserted."""

    def __init__(self, name: str = "anonymous", token: str | None = None) -> None:
        self.name = name
        self.session = requests.Session()
        self.session.headers["Accept-Language"] = "en"
        if token:
            self.session.headers["Authorization"] = f"Token {token}"

    def call(self, method: str, path: str, expect: int | tuple[int, ...] = 200, **kw: Any):
        url = path if path.startswith("http") else f"{BASE}/api/v1/{path}"
        response = self.session.request(method, url, timeout=60, **kw)
        wanted = (expect,) if isinstance(expect, int) else expect
        assert response.status_code in wanted, (
            f"{self.name}: {method} {path} gave {response.status_code}, not {wanted}: "
            f"{response.text[:1500]}"
        )
        return response

    def get(self, path: str, expect: int | tuple[int, ...] = 200, **kw: Any) -> Any:
        return self.call("GET", path, expect, **kw).json()

    def post(self, path: str, body: Any = None, expect: int | tuple[int, ...] = 201, **kw: Any):
        if body is not None and "files" not in kw and "data" not in kw:
            kw["json"] = body
        response = self.call("POST", path, expect, **kw)
        return response.json() if response.content else None

    def refused(self, method: str, path: str, body: Any, status: int, code: str) -> dict:
        """A refusal the user sees: the status, a machine-readable code and a sentence."""
        answer = self.call(method, path, status, json=body).json()
        assert answer["code"] == code, answer
        assert answer["detail"], answer
        return answer


def register(username: str) -> Api:
    anonymous = Api(username)
    created = anonymous.post(
        "auth/register/",
        {"username": username, "email": f"{username}@example.org", "password": PASSWORD},
    )
    assert created["username"] == username
    return login(username)


def login(username: str) -> Api:
    token = Api(username).post(
        "auth/token/", {"username": username, "password": PASSWORD}, expect=200
    )["token"]
    return Api(username, token)


def manage(*args: str) -> str:
    """manage.py against the e2e database as the application's role (bootstrap, checks)."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "backend.settings.local",
        "DATABASE_URL": os.environ["E2E_DATABASE_URL"],
        "CELERY_BROKER_URL": "",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("DATABASE_OWNER_URL", None)
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def in_parallel(calls: list[Callable[[], Any]], workers: int = 16) -> list[Any]:
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return [f.result() for f in [pool.submit(call) for call in calls]]


# What Stripe.js (the donor's browser) does, straight to localstripe.
localstripe = LocalStripe(LOCALSTRIPE, "sk_test_buurtfonds_e2e")
pay_by_card = localstripe.pay_by_card


def signed(event: dict) -> tuple[bytes, str]:
    """The event as Stripe signs a delivery: HMAC-SHA256 of "<timestamp>.<payload>"."""
    payload = json.dumps(event, indent=2, sort_keys=True).encode()
    stamp = int(time.time())
    mac = hmac.new(WEBHOOK_SECRET.encode(), b"%d.%s" % (stamp, payload), hashlib.sha256)
    return payload, f"t={stamp},v1={mac.hexdigest()}"


def cents(text: str) -> int:
    return int((Decimal(str(text).replace(",", ".")) * 100).to_integral_value())


# -- the story ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stack() -> None:
    if not BASE:
        pytest.skip("needs the running stack of .ci/e2e (E2E_BASE_URL)")
    Api().get("health/")


def test_the_story_of_a_year_in_the_rivierenwijk(stack) -> None:  # noqa: PLR0915
    started = time.monotonic()
    timings: list[tuple[str, float]] = []

    def lap(step: str) -> None:
        timings.append((step, time.monotonic() - started))
        print(f"[{timings[-1][1]:6.1f} s] {step}", flush=True)

    today = datetime.now(AMSTERDAM).date()
    year = today.year
    anonymous = Api()
    buurt = next(
        b
        for b in anonymous.get("neighbourhoods/", params={"page_size": 100})["results"]
        if b["slug"] == BUURT
    )

    # -- Accounts. The staff register like anyone; their roles have no API: bootstrap them.
    staff_names = ["coordinator", "board-1", "board-2", "board-3", "treasurer"]
    staff = dict(
        zip(
            staff_names,
            in_parallel([lambda n=n: register(f"e2e-{RUN}-{n}") for n in staff_names]),
            strict=True,
        )
    )
    cooperative = json.loads(
        manage(
            "shell",
            "-c",
            f"""
import json
from community.models import Cooperative, Neighbourhood, User
from community.services import membership_grant
city = Cooperative.objects.create(
    slug="e2e-{RUN}-stad", name="E2E {RUN} Stadscoöperatie", kind=Cooperative.Kind.CITY)
coop = Cooperative.objects.create(
    slug="e2e-{RUN}-rivierenwijk", name="E2E {RUN} Buurtcoöperatie Rivierenwijk",
    kind=Cooperative.Kind.NEIGHBOURHOOD, parent=city, iban="{COOP_IBAN}", bic="{COOP_BIC}",
    bank_account_name="Buurtcoöperatie Rivierenwijk")
coop.neighbourhoods.add(Neighbourhood.objects.get(slug="{BUURT}"))
for name, role in [("coordinator", "coordinator"), ("board-1", "board"), ("board-2", "board"),
                   ("board-3", "board"), ("treasurer", "treasurer")]:
    membership_grant(user=User.objects.get(username="e2e-{RUN}-" + name), cooperative=coop,
                     role=role, acting_user=None)
print(json.dumps(coop.pk))
""",
        )
        .strip()
        .splitlines()[-1]
    )
    coordinator, treasurer = staff["coordinator"], staff["treasurer"]
    board = [staff["board-1"], staff["board-2"], staff["board-3"]]
    me = coordinator.get("auth/me/")
    assert me["cooperatives"] == [cooperative]
    assert [r["role"] for r in me["roles"]] == ["coordinator"]
    assert me["coordinator_of"] == [buurt["id"]]
    lap("staff registered, roles bootstrapped")

    # -- A coordinator issues residence codes; 30 residents register and verify with them.
    batch = coordinator.post(f"neighbourhoods/{buurt['id']}/voting-codes/", {"count": RESIDENTS})
    codes = batch["codes"]
    assert batch["count"] == RESIDENTS == len(set(codes))

    def resident(n: int) -> Api:
        user = register(f"e2e-{RUN}-bewoner-{n:02d}")
        residency = user.post("residents/verify/", {"code": codes[n]})
        assert residency["neighbourhood"]["slug"] == BUURT
        return user

    residents = in_parallel([lambda n=n: resident(n) for n in range(RESIDENTS)], workers=8)
    assert residents[5].get("auth/me/")["residency"]["neighbourhood"]["slug"] == BUURT
    residents[5].refused(
        "POST", f"neighbourhoods/{buurt['id']}/voting-codes/", {"count": 1}, 403, "not_coordinator"
    )
    outsider = register(f"e2e-{RUN}-buitenstaander")
    outsider.refused("POST", "residents/verify/", {"code": codes[0]}, 400, "residence_code_used")
    lap(f"{RESIDENTS} residents verified with their codes")

    # -- The board opens the funds and the buurt's priorities; the treasurer deposits.
    fund = board[0].post(
        "funds/",
        {
            "cooperative": cooperative,
            "name": "Rivierenwijk Buurtfonds",
            "kind": "buurtfonds",
            "neighbourhood": buurt["id"],
            "max_request_cents": 50_000,
            "vote_window_minutes": 1,  # the shortest: the worker or beat must settle it
            "quorum": 10,
            "approval_ratio": "0.5",
        },
    )
    priorities = [
        board[0].post(
            "priorities/",
            {"neighbourhood": buurt["id"], "year": year, "rank": rank, "title": title},
        )
        for rank, title in enumerate(
            ["Ontmoeting voor ouderen", "Veilig spelen", "Groen in de straat"], start=1
        )
    ]
    deposit = {"amount_cents": 1_500_000, "source": "subsidy", "reference": f"E2E-SUBSIDIE-1-{RUN}"}
    treasurer.post(f"funds/{fund['id']}/deposits/", deposit)
    again = treasurer.post(f"funds/{fund['id']}/deposits/", deposit, expect=(200, 201))
    balance = anonymous.get(f"funds/{fund['id']}/")["balance"]
    assert balance["deposited_cents"] == balance["available_cents"] == 1_500_000, again
    residents[3].refused(
        "POST", f"funds/{fund['id']}/deposits/", {**deposit, "reference": "X"}, 403, "not_treasurer"
    )
    lap("EUR 15,000 deposited into the Rivierenwijk Buurtfonds")

    # -- The innovation round opens now (its applications close while the vote runs).
    pot = board[0].post(
        "funds/",
        {
            "cooperative": cooperative,
            "name": "Innovatiefonds Rivierenwijk",
            "kind": "innovation",
            "one_project_per_top_priority": True,
        },
    )
    treasurer.post(
        f"funds/{pot['id']}/deposits/",
        {"amount_cents": 200_000, "source": "subsidy", "reference": f"E2E-INNOVATIE-1-{RUN}"},
    )
    submission_closes = time.time() + 45
    round_ = board[1].post(
        "rounds/",
        {
            "fund": pot["id"],
            "year": year,
            "submission_closes_at": _iso(submission_closes),
            "budget_cents": 150_000,
        },
    )
    assert round_["status"] == "open"
    ideas = []
    for n, (title, amount, rank) in enumerate(
        [("Repaircafé", 60_000, 1), ("Buurtmoestuin", 50_000, 2), ("Deelbakfiets", 70_000, 2)]
    ):
        applicant = residents[27 + n]
        idea = applicant.post(
            "applications/",
            {
                "fund": pot["id"],
                "title": title,
                "summary": f"{title} voor de hele buurt.",
                "amount_requested_cents": amount,
                "total_budget_cents": amount + 10_000,
                "own_contribution_cents": 10_000,
                "priorities": [priorities[rank - 1]["id"]],
                "payee_name": f"Bewonersgroep {title}",
                "payee_iban": PAYEE_IBAN,
            },
        )
        entered = applicant.post(f"applications/{idea['id']}/submit/", expect=200)
        assert entered["status"] == "submitted"
        ideas.append(entered)
    lap("innovation round opened with three applications")

    # -- A resident applies for EUR 350 with 5% own contribution; another for EUR 400.
    applicant, applicant_2 = residents[0], residents[1]

    def apply(user: Api, title: str, amount: int, total: int, own: int) -> dict:
        draft = user.post(
            "applications/",
            {
                "fund": fund["id"],
                "title": title,
                "summary": f"{title}: voor en door de buurt.",
                "amount_requested_cents": amount,
                "total_budget_cents": total,
                "own_contribution_cents": own,
                "priorities": [priorities[0]["id"]],
                "payee_name": "Bewonerscommissie Rijnlaan",
                "payee_iban": PAYEE_IBAN,
            },
        )
        assert draft["status"] == "draft"
        return draft

    too_little = apply(applicant, "Buurtbarbecue Rijnlaan", 35_000, 40_000, 1_000)
    applicant.refused(
        "POST", f"applications/{too_little['id']}/submit/", None, 400, "own_contribution_too_small"
    )
    applicant.call("DELETE", f"applications/{too_little['id']}/", 204)
    bbq = apply(applicant, "Buurtbarbecue Rijnlaan", 35_000, 40_000, 2_000)
    garden = apply(applicant_2, "Moestuin achter de school", 40_000, 45_000, 2_250)
    bbq = applicant.post(f"applications/{bbq['id']}/submit/", expect=200)
    garden = applicant_2.post(f"applications/{garden['id']}/submit/", expect=200)
    assert bbq["status"] == garden["status"] == "voting"
    assert "vote" not in applicant.get(f"applications/{bbq['id']}/")["allowed_actions"]
    balance = anonymous.get(f"funds/{fund['id']}/")["balance"]
    assert balance["reserved_cents"] == 75_000
    assert balance["available_cents"] == 1_500_000 - 75_000
    lap("two applications submitted: the votes are open for a minute")

    # -- A donor tops up the garden while its vote runs (refunded if it is rejected).
    garden_topup = anonymous.post(
        f"applications/{garden['id']}/topups/",
        {"amount_cents": 1_500, "email": "gever-moestuin@example.org", "display_name": "Oma Jo"},
    )
    garden_intent = garden_topup["client_secret"].split("_secret")[0]
    pay_by_card(garden_intent)

    # -- 25 neighbours vote at once; a double voter votes twice at once; refusals.
    neighbours = residents[2 : 2 + NEIGHBOURS_VOTING]
    choices = ["yes"] * 19 + ["no"] * 6
    double_voter = neighbours[0]

    def vote(user: Api, application: dict, choice: str) -> tuple[int, dict]:
        response = user.call(
            "POST", f"applications/{application['id']}/vote/", (200, 201), json={"choice": choice}
        )
        return response.status_code, response.json()

    calls = [lambda u=u, c=c: vote(u, bbq, c) for u, c in zip(neighbours, choices, strict=True)]
    calls.append(lambda: vote(double_voter, bbq, "yes"))
    # Against the garden: 3 yes, 9 no (quorum 10 reached, rejected).
    garden_votes = ["yes"] * 3 + ["no"] * 9
    calls += [
        lambda u=u, c=c: vote(u, garden, c)
        for u, c in zip(neighbours[5:17], garden_votes, strict=True)
    ]
    results = in_parallel(calls, workers=16)
    bbq_results, garden_results = results[: NEIGHBOURS_VOTING + 1], results[NEIGHBOURS_VOTING + 1 :]
    assert sorted(code for code, _ in bbq_results) == [200] + [201] * NEIGHBOURS_VOTING
    receipts = [body["receipt"] for code, body in bbq_results if code == 201]
    assert all(receipts) and len(set(receipts)) == NEIGHBOURS_VOTING
    assert [body["receipt"] for code, body in bbq_results if code == 200] == [None]
    assert sorted(code for code, _ in garden_results) == [201] * 12
    again = double_voter.post(f"applications/{bbq['id']}/vote/", {"choice": "yes"}, expect=200)
    assert again == {"receipt": None}
    outsider.refused(
        "POST", f"applications/{bbq['id']}/vote/", {"choice": "yes"}, 403, "not_resident"
    )
    applicant.refused(
        "POST", f"applications/{bbq['id']}/vote/", {"choice": "yes"}, 403, "is_applicant"
    )
    anonymous.call("POST", f"applications/{bbq['id']}/vote/", 401, json={"choice": "yes"})
    own = neighbours[3].post("votes/receipts/check/", {"receipt": receipts[3]}, expect=200)
    assert own["counted"] is True, own
    stranger = neighbours[4].post("votes/receipts/check/", {"receipt": receipts[3]}, expect=200)
    assert "choice" not in stranger or stranger["choice"] is None
    seen = neighbours[1].get(f"applications/{bbq['id']}/")
    assert seen["has_voted"] is True and seen["status"] == "voting"
    lap(
        "25 neighbours voted in parallel; outsider and applicant refused, a double vote counted once"
    )

    # The garden's donor paid meanwhile: the webhook booked it.
    wait_for(
        lambda: anonymous.get(f"applications/{garden['id']}/")["topped_up_cents"] == 1_500,
        "the garden's top-up booked",
        interval=0.5,
    )
    # A board member of the round declares a link with one of its applications.
    board[2].post("interests/", {"application": ideas[0]["id"], "note": "Mijn buurman"})

    # -- The window closes by itself. Only the fund's balance and the treasurer's top-ups are
    # read meanwhile: applications' pages settle due windows when read, and here the worker's
    # task at the deadline (or beat's sweep) must do it.
    closes = max(bbq["vote_closes_at"], garden["vote_closes_at"])

    def settled() -> bool:
        balance = anonymous.get(f"funds/{fund['id']}/")["balance"]
        return balance["reserved_cents"] == 0

    wait_for(settled, "the vote windows settled by the worker or beat", POLL_SECONDS, 0.5)
    balance = anonymous.get(f"funds/{fund['id']}/")["balance"]
    assert balance["committed_cents"] == 35_000
    assert balance["available_cents"] == 1_500_000 - 35_000
    lap(f"the windows (closing {closes}) were settled by the worker or beat")
    worker_log = os.environ.get("E2E_WORKER_LOG")
    if worker_log:  # which of the two did it, in the worker's own words
        settlers = re.findall(
            r"(voting\.tasks\.settle_window\[[^\]]+\] succeeded in [\d.]+s: True"
            r"|voting\.tasks\.sweep_due_windows\[[^\]]+\] succeeded in [\d.]+s: [1-9]\d*)",
            Path(worker_log).read_text(),
        )
        assert settlers, "neither the worker's task nor beat's sweep settled a window"
        print("   ", *settlers, sep="\n    ")

    bbq = anonymous.get(f"applications/{bbq['id']}/")
    assert bbq["status"] == "approved", bbq
    assert (bbq["tally"]["yes"], bbq["tally"]["no"], bbq["tally"]["total"]) == (19, 6, 25)
    garden = anonymous.get(f"applications/{garden['id']}/")
    assert garden["status"] == "rejected", garden
    assert (garden["tally"]["yes"], garden["tally"]["no"]) == (3, 9)
    decisions = anonymous.get(f"funds/{fund['id']}/decisions/")["results"]
    assert {d["id"]: d["status"] for d in decisions} == {
        bbq["id"]: "approved",
        garden["id"]: "rejected",
    }
    neighbours[2].refused(
        "POST", f"applications/{bbq['id']}/vote/", {"choice": "no"}, 409, "not_voting"
    )

    # -- The rejected garden's top-up goes back through the worker: at localstripe and in the books.
    def garden_refunded() -> bool:
        topups = treasurer.get("topups/", params={"application": garden["id"]})["results"]
        return [t["status"] for t in topups] == ["refunded"]

    wait_for(garden_refunded, "the garden's top-up refunded by the worker", 60, 0.5)
    refunds = localstripe("GET", f"/v1/refunds?payment_intent={garden_intent}")["data"]
    assert [r["amount"] for r in refunds] == [1_500]
    refund_entries = treasurer.get("ledger/entries/", params={"kind": "refund"})["results"]
    assert len(refund_entries) == 1
    assert sorted(
        (ln["account"], ln["side"], ln["amount_cents"]) for ln in refund_entries[0]["lines"]
    ) == [
        ("1100", "C", 1_500),
        ("8400", "D", 1_500),
    ], refund_entries
    lap("the rejected application's top-up refunded by the worker")

    # -- The board runs the innovation round to its end (its applications closed meanwhile).
    wait_for(
        lambda: time.time() > submission_closes + 1, "the round's applications closed", 60, 0.5
    )

    def assess(member: Api, idea: dict, score: int, expect: int = 201) -> Any:
        return member.call(
            "POST",
            f"applications/{idea['id']}/assessments/",
            expect,
            json={
                "added_value": score,
                "impact": score,
                "transferability": score,
                "social_return": score,
                "comment": "Goed plan" if score > 3 else "Twijfel",
            },
        ).json()

    board[2].refused(
        "POST",
        f"applications/{ideas[0]['id']}/assessments/",
        {"added_value": 5, "impact": 5, "transferability": 5, "social_return": 5},
        403,
        "recused",
    )
    for member, scores in ((board[0], [5, 4, 2]), (board[1], [4, 4, 3])):
        for idea, score in zip(ideas, scores, strict=True):
            assess(member, idea, score)
    assess(board[2], ideas[1], 4)
    assess(board[2], ideas[2], 2)
    treasurer.call("POST", f"applications/{ideas[1]['id']}/assessments/", 403, json={
        "added_value": 5, "impact": 5, "transferability": 5, "social_return": 5})  # fmt: skip
    proposal = board[0].post(
        f"rounds/{round_['id']}/allocate/", {"rule": "board_score"}, expect=200
    )
    # 60,000 + 50,000 fit the 150,000; the bakfiets (70,000) no longer does.
    assert proposal["selected"] == [ideas[0]["id"], ideas[1]["id"]], proposal
    assert proposal["total_cents"] == 110_000
    uncovered = [u["priority"] for u in proposal["coverage"]["uncovered"]]
    assert uncovered == [priorities[2]["id"]], proposal["coverage"]
    board[2].refused("POST", f"rounds/{round_['id']}/finalize/", {}, 403, "recused")
    refused = board[1].refused(
        "POST", f"rounds/{round_['id']}/finalize/", {}, 409, "top_priorities_uncovered"
    )
    assert [u["priority"] for u in refused["uncovered"]] == [priorities[2]["id"]]
    reason = "Geen groene plannen dit jaar; de groengroep dient volgend jaar in."
    final = board[1].post(
        f"rounds/{round_['id']}/finalize/", {"override_reason": reason}, expect=200
    )
    assert final["status"] == "decided" and final["selected"] == proposal["selected"]
    result = anonymous.get(f"rounds/{round_['id']}/result/")
    assert result["override_reason"] == reason and result["decided_by"] == f"e2e-{RUN}-board-2"
    assert result["recusals"] == [
        {"board_member": f"e2e-{RUN}-board-3", "application": ideas[0]["id"], "organisation": None}
    ]
    statuses = {i["id"]: anonymous.get(f"applications/{i['id']}/")["status"] for i in ideas}
    assert statuses == {
        ideas[0]["id"]: "allocated",
        ideas[1]["id"]: "allocated",
        ideas[2]["id"]: "not_allocated",
    }
    assert anonymous.get(f"funds/{pot['id']}/")["balance"]["committed_cents"] == 110_000
    closed = board[0].post(f"rounds/{round_['id']}/close/", expect=200)
    assert closed["status"] == "closed"
    lap("the innovation round assessed (with a recusal), allocated, finalized and closed")

    # -- Two donors top up the approved barbecue through Stripe; one event arrives 3 times.
    intents = []
    outcomes = []

    def deliver(event: dict) -> str:
        payload, signature = signed(event)
        answer = anonymous.call(
            "POST",
            "stripe/webhook/",
            200,
            data=payload,
            headers={"Stripe-Signature": signature, "Content-Type": "application/json"},
        ).json()
        assert answer["received"] is True
        return answer["outcome"]

    for email, amount in (("buurvrouw@example.org", 2_500), ("bakker@example.org", 1_500)):
        created = anonymous.post(
            f"applications/{bbq['id']}/topups/",
            {"amount_cents": amount, "email": email, "display_name": "", "show_name": False},
        )
        assert created["publishable_key"] == "pk_test_buurtfonds_e2e"
        intent = created["client_secret"].split("_secret")[0]
        pay_by_card(intent)
        intents.append(intent)
        if len(intents) == 1:
            # Stripe delivers again when it is unsure the first arrived: two more copies of
            # the same signed event at once, racing localstripe's own delivery (a second on).
            events = localstripe("GET", "/v1/events?type=payment_intent.succeeded&limit=100")
            event = next(e for e in events["data"] if e["data"]["object"]["id"] == intent)
            outcomes = in_parallel([lambda e=event: deliver(e), lambda e=event: deliver(e)])
    assert sorted(outcomes) in (["duplicate", "duplicate"], ["duplicate", "succeeded"]), outcomes
    wait_for(
        lambda: anonymous.get(f"applications/{bbq['id']}/")["topped_up_cents"] == 4_000,
        "both top-ups booked",
        interval=0.5,
    )
    forged, _ = signed(event)
    anonymous.call(
        "POST",
        "stripe/webhook/",
        400,
        data=forged,
        headers={"Stripe-Signature": "t=1,v1=00", "Content-Type": "application/json"},
    )
    assert anonymous.get(f"applications/{bbq['id']}/")["topped_up_cents"] == 4_000
    crowdfunding = treasurer.get("ledger/entries/", params={"kind": "crowdfunding"})["results"]
    amounts = sorted(
        ln["amount_cents"] for e in crowdfunding for ln in e["lines"] if ln["account"] == "8400"
    )
    assert amounts == [1_500, 1_500, 2_500], crowdfunding  # the garden's, and the two here once
    topups = treasurer.get("topups/", params={"application": bbq["id"]})["results"]
    assert sorted((t["amount_cents"], t["status"]) for t in topups) == [
        (1_500, "succeeded"),
        (2_500, "succeeded"),
    ]
    lap("two donors topped up through localstripe; one event delivered three times, booked once")

    # -- Paid through a payout batch; the bank statement confirms it.
    execution = (today + timedelta(days=1)).isoformat()
    batch = treasurer.post("payouts/", {"applications": [bbq["id"]], "execution_date": execution})
    assert batch["status"] == "draft" and len(batch["items"]) == 1
    batch = treasurer.post(f"payouts/{batch['id']}/export/", expect=200)
    assert batch["status"] == "exported"
    item = batch["items"][0]
    sepa = treasurer.call("GET", f"payouts/{batch['id']}/sepa/")
    assert sepa.headers["Content-Type"] == "application/xml"
    assert hashlib.sha256(sepa.content).hexdigest() == batch["sha256"]
    xmlschema.XMLSchema(str(SEPA_XSD)).validate(sepa.content.decode())
    document = etree.fromstring(sepa.content)
    transfers = document.findall(".//p:CdtTrfTxInf", PAIN)
    assert len(transfers) == 1
    assert transfers[0].findtext("p:PmtId/p:EndToEndId", namespaces=PAIN) == item["end_to_end_id"]
    assert transfers[0].findtext("p:CdtrAcct/p:Id/p:IBAN", namespaces=PAIN) == PAYEE_IBAN
    assert cents(transfers[0].findtext("p:Amt/p:InstdAmt", namespaces=PAIN)) == item["amount_cents"]
    assert document.findtext(".//p:DbtrAcct/p:Id/p:IBAN", namespaces=PAIN) == COOP_IBAN
    residents[9].call("GET", f"payouts/{batch['id']}/sepa/", 404)

    bank_cents = 1_500_000 + 200_000  # what the treasurer deposited on the account
    paid_out = item["amount_cents"]
    statement = camt053(
        "001.02",
        iban=COOP_IBAN,
        statement_id=f"E2E-{RUN}-1",
        opening_cents=bank_cents,
        opening_date=today - timedelta(days=1),
        closing_date=today,
        entries=[
            {
                "amount_cents": -paid_out,
                "booking_date": today,
                "counterparty_name": "Bewonerscommissie Rijnlaan",
                "counterparty_iban": PAYEE_IBAN,
                "remittance": item["remittance"],
                "end_to_end_id": item["end_to_end_id"],
                "account_servicer_reference": f"E2E-ABN-0001-{RUN}",
            },
            {  # Stripe pays the donors' money (the refunded garden's not) on to the bank
                "amount_cents": 4_000,
                "booking_date": today,
                "counterparty_name": "Stripe Payments Europe Ltd",
                "counterparty_iban": "NL02ABNA0123456789",
                "remittance": f"STRIPE PAYOUT E2E {RUN}",
                "account_servicer_reference": f"E2E-ABN-0003-{RUN}",
            },
        ],
    )
    imported = treasurer.post(
        "bank/statements/", files={"file": ("camt053-1.xml", statement, "application/xml")}
    )
    assert imported["matched"] == 2, imported
    lines = treasurer.get("bank/lines/", params={"matched": "true"})["results"]
    assert sorted((ln["amount_cents"], ln["match"]) for ln in lines) == [
        (-paid_out, "payout"),
        (4_000, "processor_payout"),
    ], lines
    bbq = applicant.get(f"applications/{bbq['id']}/")
    assert bbq["status"] == "paid", bbq
    batch = treasurer.get(f"payouts/{batch['id']}/")
    assert [i["status"] for i in batch["items"]] == ["paid"]
    lap(f"paid EUR {paid_out / 100:.2f} through a SEPA batch, confirmed by the bank statement")

    # -- Reported with a receipt; the unspent money comes back by the bank and is matched.
    receipt = b"%PDF-1.4\n% bonnetje slager en partytent\n%%EOF\n"
    spent = 30_000
    report = applicant.call(
        "POST",
        f"applications/{bbq['id']}/report/",
        200,
        data={"summary": "Zestig buren aten mee; de tent was goedkoper.", "spent_cents": spent},
        files={"receipts": ("bon.pdf", receipt, "application/pdf")},
    ).json()
    assert report["status"] == "reported"
    assert [r["original_name"] for r in report["receipts"]] == ["bon.pdf"]
    owed = report["owed_cents"]
    assert owed == 35_000 - spent, report
    assert report["repayment"]["reference"] == f"BUURTFONDS {bbq['id']} TERUG", report["repayment"]
    download = applicant.call(
        "GET", f"applications/{bbq['id']}/receipts/{report['receipts'][0]['id']}/"
    )
    assert download.content == receipt
    residents[9].call(
        "GET", f"applications/{bbq['id']}/receipts/{report['receipts'][0]['id']}/", 404
    )
    back = camt053(
        "001.02",
        iban=COOP_IBAN,
        statement_id=f"E2E-{RUN}-2",
        opening_cents=bank_cents - paid_out + 4_000,
        opening_date=today,
        closing_date=today,
        entries=[
            {
                "amount_cents": owed,
                "booking_date": today,
                "counterparty_name": "Bewonerscommissie Rijnlaan",
                "counterparty_iban": PAYEE_IBAN,
                "remittance": f"BUURTFONDS {bbq['id']} TERUG",
                "account_servicer_reference": f"E2E-ABN-0002-{RUN}",
            }
        ],
    )
    imported = treasurer.post(
        "bank/statements/", files={"file": ("camt053-2.xml", back, "application/xml")}
    )
    assert imported["matched"] == 1, imported
    # The same file again: nothing new, nothing booked twice.
    again = treasurer.post(
        "bank/statements/",
        files={"file": ("camt053-2.xml", back, "application/xml")},
        expect=(200, 201),
    )
    assert again["matched"] == 0, again
    bbq = applicant.get(f"applications/{bbq['id']}/")
    assert (bbq["owed_cents"], bbq["returned_cents"]) == (0, owed), bbq
    # The bank's balance and the books' bank account agree, with nothing left to explain.
    reconciled = treasurer.get("bank/reconciliation/", params={"date": today.isoformat()})
    assert reconciled["bank_balance_cents"] == bank_cents - paid_out + 4_000 + owed
    assert reconciled["difference_cents"] == reconciled["unexplained_cents"] == 0, reconciled
    assert reconciled["open_lines"] == []
    closed = board[0].post(
        f"applications/{bbq['id']}/close/",
        {"evaluation": "successful", "note": "Volgend jaar weer."},
        expect=200,
    )
    assert closed["status"] == "closed" and closed["evaluation"] == "successful"
    balance = anonymous.get(f"funds/{fund['id']}/")["balance"]
    assert balance["committed_cents"] == 0 and balance["reserved_cents"] == 0
    assert balance["available_cents"] == 1_500_000 - spent, balance
    # The year's grant shows under the buurt's first priority, the rejected plan nowhere.
    coverage = anonymous.get(f"funds/{fund['id']}/coverage/", params={"year": year})
    assert {p["rank"]: (p["allocated_cents"], p["projects"]) for p in coverage["priorities"]} == {
        1: (35_000, 1),
        2: (0, 0),
        3: (0, 0),
    }, coverage
    assert coverage["total_cents"] == 35_000
    lap("reported with a receipt, unspent money returned and matched, closed")

    # -- The treasurer exports the year in every format; each balances with the trial balance.
    trial = treasurer.get("ledger/trial-balance/", params={"year": year})
    expected = {
        a["code"]: (a["debit_cents"], a["credit_cents"])
        for a in trial["accounts"]
        if a["debit_cents"] or a["credit_cents"]
    }
    assert trial["total_debit_cents"] == trial["total_credit_cents"] > 0
    assert expected["1000"][1] >= paid_out  # the bank paid the barbecue out

    def export(fmt: str) -> bytes:
        response = treasurer.call("GET", "ledger/export/", params={"year": year, "format": fmt})
        return response.content

    def totals(rows: Any) -> dict[str, tuple[int, int]]:
        sums: dict[str, list[int]] = {}
        for code, debit, credit in rows:
            pair = sums.setdefault(str(code), [0, 0])
            pair[0] += debit
            pair[1] += credit
        return {k: (d, c) for k, (d, c) in sums.items() if d or c}

    rows = list(csv.DictReader(io.StringIO(export("csv").decode())))
    assert (
        totals((r["account"], cents(r["debit"] or 0), cents(r["credit"] or 0)) for r in rows)
        == expected
    )

    sheet = load_workbook(io.BytesIO(export("xlsx")), read_only=True)["Journaal"]
    data = list(sheet.iter_rows(values_only=True))[1:]
    assert (
        totals(
            (r[5], cents(r[7]) if r[7] is not None else 0, cents(r[8]) if r[8] is not None else 0)
            for r in data
        )
        == expected
    )

    xaf = export("xaf")
    schema_bytes = resources.files("pyxaf.schemas").joinpath("XmlAuditfileFinancieel3.2.xsd")
    schema = etree.XMLSchema(etree.fromstring(schema_bytes.read_bytes()))
    root = etree.fromstring(xaf)
    assert schema.validate(root), schema.error_log
    tr_lines = root.findall(".//x:transactions//x:trLine", XAF)

    def xaf_amount(line: Any, side: str) -> int:
        return (
            cents(line.findtext("x:amnt", namespaces=XAF))
            if line.findtext("x:amntTp", namespaces=XAF) == side
            else 0
        )

    assert (
        totals(
            (ln.findtext("x:accID", namespaces=XAF), xaf_amount(ln, "D"), xaf_amount(ln, "C"))
            for ln in tr_lines
        )
        == expected
    )

    beancount = export("beancount")
    check_dir = Path(os.environ.get("TMPDIR", "/tmp")) / f"e2e-{os.getpid()}"
    check_dir.mkdir(exist_ok=True)
    books = check_dir / f"journaal-{year}.beancount"
    books.write_bytes(beancount)
    bean_check = shutil.which("bean-check", path=str(Path(sys.executable).parent))
    assert bean_check, "bean-check comes with the dev dependencies (beancount)"
    checked = subprocess.run([bean_check, str(books)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    postings = []
    opening = False
    for line in beancount.decode().splitlines():
        if line.endswith('* "Openingsbalans"'):
            opening = True
            continue
        match = re.match(r"^  [\w:]+?:(\d+)-\S*\s+(-?[\d.]+) EUR$", line)
        if not match:
            opening = opening and line.startswith("  ")
            continue
        if opening:
            continue
        value = cents(match.group(2))
        postings.append((match.group(1), max(value, 0), max(-value, 0)))
    assert totals(postings) == expected
    shutil.rmtree(check_dir, ignore_errors=True)
    lap("CSV, XLSX, XAF (XSD-valid) and beancount (bean-check) all equal the trial balance")

    for step, at in timings:
        print(f"  {at:6.1f} s  {step}")


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat()
