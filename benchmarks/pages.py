"""Residents' pages benchmark (issue: each page under 100 KB transferred and 100 ms of server time).

    .venv/bin/python benchmarks/pages.py                       # SQLite file in a temp directory
    DATABASE_URL=postgres://user:pass@127.0.0.1:5432/postgres .venv/bin/python benchmarks/pages.py

In one run it creates a throw-away database, migrates it, loads the demo data (seed_demo) and
adds applications through the real services until the demo buurt's Buurtfonds holds 500 (most
decided, approved or rejected; some voting; a few withdrawn or drafts). Then, for every page of
web/urls.py a resident reaches by GET, through Django's test client and the full middleware
stack, anonymous or logged in as demo-resident where the page needs a login:
  - server time: wall time of one request, median and p90 of --runs after 2 warm-ups;
  - transferred without a cache: gzip (level 6) of the HTML plus gzip of each stylesheet and
    script it links under /static/ (read from disk through the staticfiles finders);
  - SQL queries of one request (untimed), their time as Django records it (whole
    milliseconds), and any statement (literals left out) that repeats within it; for a page
    at half the time budget or more, its slowest statements.
Figures are printed, never asserted; KB is 1,000 bytes.
"""

from __future__ import annotations

import argparse
import gzip
import io
import logging
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.settings"
os.environ.setdefault("DEMO_PASSWORD", "bench-demo-password-1")

BUURT = "dichterswijk-en-rivierenwijk"
RESIDENT = "demo-resident"
BUDGET_BYTES = 100_000
BUDGET_MS = 100.0
REPEAT_SHOWN = 3  # a statement run this often in one request is listed as a repeat


def setup_data(total: int) -> dict:
    """Demo data plus applications up to ``total`` in the demo fund, all through services."""
    from django.core.management import call_command

    from community.models import Neighbourhood, User
    from community.services import residence_codes_issue, residency_verify
    from grants import services as grants
    from grants.models import Application, Fund, Priority
    from voting.services import vote_open

    call_command("seed_demo", stdout=io.StringIO())
    buurt = Neighbourhood.objects.get(slug=BUURT)
    fund = Fund.objects.select_related("cooperative", "neighbourhood").get(
        kind=Fund.Kind.BUURTFONDS, neighbourhood=buurt
    )
    coordinator = User.objects.get(username="demo-coordinator")
    resident = User.objects.get(username=RESIDENT)
    grants.fund_deposit(
        fund=fund,
        amount_cents=20_000_000,
        source="subsidy",
        reference="BENCH-PAGES",
        acting_user=User.objects.get(username="demo-treasurer"),
    )
    priorities = list(Priority.objects.filter(neighbourhood=buurt))
    rng = random.Random(13)

    extra = total - Application.objects.filter(fund=fund).count()
    # demo-resident: a draft (the edit page), three rejected and one approved (their list).
    mine = ["draft", "rejected", "rejected", "rejected", "approved"]
    voting, withdrawn, drafts = extra * 8 // 100, 4, extra * 4 // 100
    approved = (extra - len(mine) - voting - withdrawn - drafts) * 55 // 100
    rejected = extra - len(mine) - voting - withdrawn - drafts - approved
    # The fund lets an applicant hold one application open (voting, or approved and unpaid):
    # every open one gets a resident of its own; rejected, withdrawn and drafts reuse them.
    open_count = voting + approved
    names = [f"bench-bewoner-{n:03d}" for n in range(open_count)]
    users = [User.objects.create_user(name, f"{name}@buurtfonds.invalid") for name in names]
    codes = residence_codes_issue(neighbourhood=buurt, count=len(users), acting_user=coordinator)
    for user, code in zip(users, codes.codes, strict=True):
        residency_verify(user=user, code=code)

    own_window = fund.vote_window_minutes

    def make(applicant: User, status: str, n: int) -> Application:
        amount = rng.randrange(5_000, 50_001, 500)
        own = amount // 10
        application = grants.application_create(
            fund=fund,
            acting_user=applicant,
            title=f"Buurtplan {n}: {rng.choice(['bankjes', 'geveltuin', 'straatfeest', 'repaircafé', 'speeldag', 'buurtmaaltijd'])}",
            summary="Een plan van bewoners voor de buurt, met een begroting en wie er meedoet. "
            * 3,
            amount_requested_cents=amount,
            total_budget_cents=amount + own,
            own_contribution_cents=own,
            priorities=[rng.choice(priorities)] if priorities else [],
            payee_name="Bewonerscommissie",
            payee_iban="NL91ABNA0417164300",
        )
        if status == "draft":
            return application
        # Decided ones are submitted with the shortest window, as seed_demo does; open ones
        # with the fund's own (a day), so nothing falls due while the pages are measured.
        minutes = own_window if status in ("voting", "withdrawn") else 1
        Fund.objects.filter(pk=fund.pk).update(vote_window_minutes=minutes)
        application = vote_open(application=application, acting_user=applicant)
        if status == "withdrawn":
            return grants.application_withdraw(application=application, acting_user=applicant)
        if status == "approved":
            yes = application.quorum + rng.randrange(0, 12)
            no = rng.randrange(0, yes // 2)
            return grants.application_decide(application=application, yes=yes, no=no)
        if status == "rejected":
            no = rng.randrange(3, 12)
            return grants.application_decide(
                application=application, yes=rng.randrange(0, no), no=no
            )
        return application

    n = 0
    try:
        draft = None
        for status in mine:
            n += 1
            made = make(resident, status, n)
            draft = made if status == "draft" else draft
        # Closed ones first (each resident never holds two open), then one open one each.
        for status, count in (("rejected", rejected), ("withdrawn", withdrawn), ("draft", drafts)):
            for i in range(count):
                n += 1
                make(users[i % len(users)], status, n)
        for i, user in enumerate(users):
            n += 1
            make(user, "voting" if i < voting else "approved", n)
    finally:
        Fund.objects.filter(pk=fund.pk).update(vote_window_minutes=own_window)

    by_status = Counter(
        Application.objects.filter(fund=fund).values_list("status", flat=True).iterator()
    )
    open_vote = Application.objects.get(fund=fund, title="Bankjes bij de speeltuin")
    decided = Application.objects.get(fund=fund, title="Kerstborrel voor ouderen")
    assert draft is not None
    return {
        "fund": fund,
        "resident": resident,
        "open": open_vote.pk,
        "decided": decided.pk,
        "draft": draft.pk,
        "by_status": dict(sorted(by_status.items(), key=lambda kv: -kv[1])),
        "residents": len(users),
    }


class Assets(HTMLParser):
    """The stylesheets and scripts a page links."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "link" and "stylesheet" in (values.get("rel") or "").split() and values["href"]:
            self.urls.append(values["href"])
        elif tag == "script" and values.get("src"):
            self.urls.append(values["src"] or "")


_asset_sizes: dict[str, int] = {}


def asset_gzip_bytes(url: str) -> int:
    from django.conf import settings
    from django.contrib.staticfiles import finders

    if url not in _asset_sizes:
        prefix = "/" + settings.STATIC_URL.lstrip("/")
        path = (
            finders.find(url.split("?")[0].removeprefix(prefix)) if url.startswith(prefix) else None
        )
        if path is None:
            print(f"    (not found under {prefix}: {url}; counted as 0)")
            _asset_sizes[url] = 0
        else:
            _asset_sizes[url] = len(gzip.compress(Path(path).read_bytes(), compresslevel=6))
    return _asset_sizes[url]


_LITERALS = re.compile(r"'(?:[^']|'')*'|\b\d+(?:\.\d+)?\b|%s")


def repeats(queries: list[dict]) -> list[tuple[int, str]]:
    """Statements (literals left out) run REPEAT_SHOWN times or more in one request."""
    shapes = Counter(_LITERALS.sub("?", q["sql"]) for q in queries)
    return [(count, sql) for sql, count in shapes.most_common() if count >= REPEAT_SHOWN]


def measure(client, path: str, runs: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(2):
        response = client.get(path)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - start) * 1000)
    # Queries of one more request, apart from the timed ones (capturing costs time itself).
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    html = response.content
    parser = Assets()
    parser.feed(html.decode(response.charset or "utf-8", "replace"))
    ordered = sorted(times)
    error = getattr(response, "exc_info", None)
    return {
        "error": f"{error[0].__name__}: {error[1]}" if error else "",
        "status": response.status_code,
        "html": len(gzip.compress(html, compresslevel=6)),
        "html_raw": len(html),
        "assets": sum(asset_gzip_bytes(url) for url in dict.fromkeys(parser.urls)),
        "median": statistics.median(ordered),
        "p90": ordered[max(0, int(len(ordered) * 0.9) - 1)],
        "queries": len(captured.captured_queries),
        "sql_ms": sum(float(q["time"]) for q in captured.captured_queries) * 1000,
        "slowest": sorted(
            ((float(q["time"]) * 1000, q["sql"]) for q in captured.captured_queries),
            reverse=True,
        )[:3],
        "repeats": repeats(captured.captured_queries),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--applications", type=int, default=500)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()

    tmp = None
    if not os.environ.get("DATABASE_URL"):
        tmp = Path(tempfile.mkdtemp(prefix="bench-pages-"))
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp / 'pages.sqlite3'}"

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    test_name = None
    try:
        start = time.perf_counter()
        if connection.vendor == "postgresql":
            test_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
        else:
            call_command("migrate", verbosity=0)
        migrated = time.perf_counter() - start
        # Tasks go to the in-memory broker (benchmarks/settings.py), which warns of its URL.
        logging.getLogger("kombu.connection").setLevel(logging.ERROR)
        start = time.perf_counter()
        plan = setup_data(args.applications)
        print(
            f"{connection.vendor}: migrated in {migrated:.1f} s; demo data and"
            f" {sum(plan['by_status'].values())} applications in the demo fund set up in"
            f" {time.perf_counter() - start:.1f} s"
        )
        print(
            f"    {', '.join(f'{s} {c}' for s, c in plan['by_status'].items())};"
            f" {plan['residents']} extra verified residents"
        )

        # A page that fails is measured as the error page it answers, and reported below.
        logging.getLogger("django.request").setLevel(logging.CRITICAL)
        anonymous = Client(raise_request_exception=False)
        resident = Client(raise_request_exception=False)
        resident.force_login(plan["resident"], backend="django.contrib.auth.backends.ModelBackend")
        fund = plan["fund"].pk
        pages = [
            ("/?kies=1", anonymous),
            (f"/buurt/{BUURT}/", anonymous),
            (f"/buurt/{BUURT}/ (logged in)", resident),
            (f"/aanvraag/{plan['open']}/ (open vote)", anonymous),
            (f"/aanvraag/{plan['open']}/ (open vote, logged in)", resident),
            (f"/aanvraag/{plan['decided']}/ (decided)", anonymous),
            ("/bon/", anonymous),
            ("/aanmelden/", anonymous),
            ("/inloggen/", anonymous),
            ("/code/ (logged in)", resident),
            ("/mijn-aanvragen/ (logged in)", resident),
            (f"/aanvragen/nieuw/?fonds={fund} (logged in)", resident),
            (f"/aanvraag/{plan['draft']}/bewerken/ (draft, applicant)", resident),
            ("/toegankelijkheid/", anonymous),
        ]
        print(
            f"\nserver time: test client, full middleware stack, {args.runs} runs after 2 warm-ups;"
            " sizes: gzip -6, no cache"
        )
        header = (
            f"{'page':52} {'HTTP':>4} {'SQL':>4} {'SQL ms':>6} {'HTML gz':>8} {'CSS+JS gz':>9} {'total KB':>8}"
            f" {'median ms':>9} {'p90 ms':>7}  {'size':4}  {'time':4}"
        )
        print(header)
        print("-" * len(header))
        findings = []
        errors = []
        slow = []
        for label, client in pages:
            path = label.split(" ")[0]
            r = measure(client, path, args.runs)
            total = r["html"] + r["assets"]
            print(
                f"{label:52} {r['status']:>4} {r['queries']:>4} {r['sql_ms']:>6.1f} {r['html']:>8} {r['assets']:>9}"
                f" {total / 1000:>8.1f} {r['median']:>9.1f} {r['p90']:>7.1f}"
                f"  {'ok' if total < BUDGET_BYTES else 'OVER':4}"
                f"  {'ok' if r['median'] < BUDGET_MS else 'OVER':4}"
            )
            if r["error"]:
                errors.append((label, r["error"]))
            if r["repeats"]:
                findings.append((label, r["repeats"]))
            if r["median"] >= BUDGET_MS / 2:
                slow.append((label, r["slowest"]))
        print(
            f"\nbudget: < {BUDGET_BYTES / 1000:.0f} KB transferred, < {BUDGET_MS:.0f} ms median;"
            f" linked CSS+JS (gzip): "
            + ", ".join(f"{url.rsplit('/', 1)[-1]} {size}" for url, size in _asset_sizes.items())
        )
        for label, error in errors:
            print(f"\nFAILED {label}: the request raised {error} (figures are of the error page)")
        for label, slowest in slow:
            print(f"\nhalf the time budget or more: {label}; its slowest statements:")
            for ms, sql in slowest:
                print(f"    {ms:6.1f} ms  {sql[:300]}")
        if findings:
            print(f"\nstatements run {REPEAT_SHOWN}+ times in one request (literals as ?):")
            for label, found in findings:
                print(f"  {label}")
                for count, sql in found:
                    print(f"    {count:4}x  {sql[:200]}")
        else:
            print(f"\nno statement runs {REPEAT_SHOWN}+ times in one request")
    finally:
        connection.close()
        if test_name is not None:
            connection.creation.destroy_test_db(test_name, verbosity=0)
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
