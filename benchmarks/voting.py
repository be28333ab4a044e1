"""Voting benchmark on PostgreSQL behind gunicorn (issue: resident voting).

    DATABASE_URL=postgres://user:pass@127.0.0.1:5432/postgres .venv/bin/python benchmarks/voting.py

(load tool: wrk from Debian's package "wrk" when installed, else the built-in asyncio client)

In one run it creates a throw-away database, then:
  1. serves it with gunicorn on loopback and drives it with an asyncio HTTP/1.1 keep-alive
     client of 32 concurrent connections, each a distinct eligible voter casting first votes
     on open applications, and the same 32 connections against a bare DRF endpoint that
     inserts one row into a table with a unique constraint; it prints throughput and
     latency percentiles of both, and their ratio;
  2. lets 1,000 vote windows fall due and times one sweep that settles them all.
Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.settings"
PORT = 8765


def setup_data(voters: int, applications: int) -> dict:
    from knox.models import AuthToken

    from community.models import Cooperative, Neighbourhood, User
    from community.services import membership_grant, residence_codes_issue, residency_verify
    from grants.models import Fund
    from grants.services import application_create, fund_create, fund_deposit
    from voting.services import vote_open

    buurt = Neighbourhood.objects.get(slug="dichterswijk-en-rivierenwijk")
    city = Cooperative.objects.create(name="Stad", slug="stad", kind="city")
    coop = Cooperative.objects.create(name="Buurt", slug="buurt", kind="neighbourhood", parent=city)
    coop.neighbourhoods.add(buurt)
    staff = {
        role: User.objects.create_user(role, f"{role}@example.org", "x-long-password-1")
        for role in ("board", "treasurer", "coordinator")
    }
    for role, user in staff.items():
        membership_grant(user=user, cooperative=coop, role=role, acting_user=None)
    fund = fund_create(
        acting_user=staff["board"],
        cooperative=coop,
        name="Buurtfonds",
        kind=Fund.Kind.BUURTFONDS,
        neighbourhood=buurt,
        max_request_cents=50_000,
        quorum=1,
        max_open_per_applicant=30_000,  # one applicant opens every benchmark window
    )
    fund_deposit(
        fund=fund,
        amount_cents=10**11,
        source="subsidy",
        reference="bench",
        acting_user=staff["treasurer"],
    )

    def resident(name: str) -> User:
        user = User.objects.create_user(name, f"{name}@example.org", "x-long-password-1")
        code = residence_codes_issue(
            neighbourhood=buurt, count=1, acting_user=staff["coordinator"]
        ).codes[0]
        residency_verify(user=user, code=code)
        return user

    applicant = resident("applicant")
    app_ids = []
    for i in range(applications):
        application = application_create(
            fund=fund,
            acting_user=applicant,
            title=f"Plan {i}",
            summary="x",
            amount_requested_cents=10_000,
            total_budget_cents=20_000,
            own_contribution_cents=10_000,
        )
        app_ids.append(vote_open(application=application, acting_user=applicant).pk)
    tokens = [AuthToken.objects.create(user=resident(f"voter{i}"))[1] for i in range(voters)]
    return {"fund": fund.pk, "applicant": applicant.pk, "applications": app_ids, "tokens": tokens}


async def one_connection(
    index: int, plan: dict, mode: str, seconds: float, latencies: list, codes: dict
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", PORT)
    token = plan["tokens"][index]
    deadline = time.perf_counter() + seconds
    n = 0
    while time.perf_counter() < deadline:
        if mode == "vote":
            if n >= len(plan["applications"]):
                break
            path = f"/api/v1/applications/{plan['applications'][n]}/vote/"
            body = json.dumps({"choice": "yes" if n % 3 else "no"}).encode()
        else:
            path = "/bare/"
            body = json.dumps({"key": f"{index}-{n}-{time.time_ns()}"}).encode()
        n += 1
        request = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Token {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode() + body
        start = time.perf_counter()
        writer.write(request)
        await writer.drain()
        status_line = await reader.readline()
        length = 0
        while True:
            line = await reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        await reader.readexactly(length)
        latencies.append(time.perf_counter() - start)
        code = int(status_line.split()[1])
        codes[code] = codes.get(code, 0) + 1
    writer.close()


async def load(
    plan: dict, mode: str, connections: int, seconds: float
) -> tuple[float, list[float], dict]:
    latencies: list[float] = []
    codes: dict[int, int] = {}
    start = time.perf_counter()
    await asyncio.gather(
        *(one_connection(i, plan, mode, seconds, latencies, codes) for i in range(connections))
    )
    return time.perf_counter() - start, latencies, codes


def report(name: str, elapsed: float, latencies: list[float], codes: dict) -> float:
    ordered = sorted(latencies)
    rate = len(ordered) / elapsed
    p50 = statistics.median(ordered) * 1000
    p99 = ordered[int(len(ordered) * 0.99) - 1] * 1000
    print(
        f"    {name:5}: {rate:7.0f} req/s  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  statuses {dict(sorted(codes.items()))}"
    )
    return rate


def run_wrk(plan: dict, mode: str, connections: int, seconds: float, plan_file: Path) -> float:
    """wrk (C, one thread per connection) drives the server; its figures are printed as is."""
    lines = [" ".join([token, *map(str, plan["applications"])]) for token in plan["tokens"]]
    plan_file.write_text("\n".join(lines) + "\n")
    env = {**os.environ, "BENCH_PLAN": str(plan_file), "BENCH_MODE": mode}
    out = subprocess.run(
        [
            "wrk",
            "-t",
            str(connections),
            "-c",
            str(connections),
            "-d",
            f"{seconds:.0f}s",
            "--latency",
            "-s",
            str(Path(__file__).parent / "vote.lua"),
            f"http://127.0.0.1:{PORT}",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rate = float(
        next(line.split()[1] for line in out.splitlines() if line.startswith("Requests/sec"))
    )
    p50 = next(line.split()[1] for line in out.splitlines() if line.strip().startswith("50%"))
    p99 = next(line.split()[1] for line in out.splitlines() if line.strip().startswith("99%"))
    errors = next(
        (line.split(":")[1].strip() for line in out.splitlines() if "Non-2xx" in line), "0"
    )
    print(f"    {mode:5}: {rate:7.0f} req/s  p50 {p50:>8}  p99 {p99:>8}  non-2xx {errors}  (wrk)")
    return rate


def wait_for_server(timeout: float = 30) -> None:
    import socket

    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", PORT), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not start")


def bench_settling(windows: int) -> None:
    from django.utils import timezone

    from community.models import User
    from grants.models import Application, Fund
    from grants.services import application_create
    from voting.services import ballot_cast, settle_due_windows, vote_open

    fund = Fund.objects.get()
    applicant = User.objects.get(username="applicant")
    voter = User.objects.get(username="voter0")
    start = time.perf_counter()
    ids = []
    for i in range(windows):
        application = application_create(
            fund=fund,
            acting_user=applicant,
            title=f"Due {i}",
            summary="x",
            amount_requested_cents=5_000,
            total_budget_cents=10_000,
            own_contribution_cents=5_000,
        )
        application = vote_open(application=application, acting_user=applicant)
        ballot_cast(application_id=application.pk, voter=voter, choice="yes" if i % 2 else "no")
        ids.append(application.pk)
    print(
        f"    prepared {windows} open windows with a ballot each in {time.perf_counter() - start:.1f} s"
    )
    # Only these windows fall due; the applications of part (1) stay open.
    Application.objects.filter(pk__in=ids).update(
        vote_closes_at=timezone.now() - timedelta(seconds=1)
    )
    start = time.perf_counter()
    settled = settle_due_windows()
    elapsed = time.perf_counter() - start
    decided = Application.objects.filter(pk__in=ids, decided_at__isnull=False).count()
    print(
        f"(2) settling {settled} due windows in one sweep: {elapsed:.2f} s  ({decided} of {windows} decided)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--applications", type=int, default=1200)
    parser.add_argument("--windows", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument(
        "--tool", choices=["wrk", "asyncio"], default="wrk" if shutil.which("wrk") else "asyncio"
    )
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL server: this benchmark measures PostgreSQL.")
    test_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    db = settings.DATABASES["default"]
    url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{test_name}"
    server = None
    try:
        start = time.perf_counter()
        plan = setup_data(args.connections, args.applications)
        print(
            f"(1) {args.connections} voters, {args.applications} open applications, set up in {time.perf_counter() - start:.1f} s"
        )
        env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "benchmarks.settings"}
        server = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "backend.wsgi:application",
                "--bind",
                f"127.0.0.1:{PORT}",
                "--workers",
                str(args.workers),
                "--worker-class",
                "gthread",
                "--threads",
                str(args.threads),
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
        )
        wait_for_server()
        print(
            f"    gunicorn: {args.workers} workers x {args.threads} threads; {args.connections} connections, {args.seconds:.0f} s each"
        )
        asyncio.run(load(plan, "bare", args.connections, 2))  # warm-up
        if args.tool == "wrk":
            plan_file = Path(tempfile.mkdtemp()) / "plan.txt"
            bare = run_wrk(plan, "bare", args.connections, args.seconds, plan_file)
            votes = run_wrk(plan, "vote", args.connections, args.seconds, plan_file)
        else:
            bare = report("bare", *asyncio.run(load(plan, "bare", args.connections, args.seconds)))
            votes = report("vote", *asyncio.run(load(plan, "vote", args.connections, args.seconds)))
        print(f"    vote endpoint = {votes / bare:.2f}x the bare endpoint's throughput")
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
    try:
        bench_settling(args.windows)
    finally:
        connection.close()
        connection.creation.destroy_test_db(test_name, verbosity=0)


if __name__ == "__main__":
    main()
