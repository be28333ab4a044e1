"""PostgreSQL stops and starts again under a burst of votes through the HTTP API.

Residents vote from many threads against gunicorn (production settings, persistent
connections) while the test stops PostgreSQL (fast: sessions are cut mid-statement) and,
once the clients have felt the outage, starts it again. A voter whose request failed tries
again, as a client would. Then: every acknowledged vote is kept, nobody is counted twice, no
request got a 500, and the API answers again without restarting the app server.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.db import connections
from knox.models import AuthToken

from tests.faults.conftest import APP_PORT, REPO, Cluster, _stop, database_url
from tests.grants.factories import advance, make_application, make_fund, resident_of
from tests.waiting import wait_for
from voting.models import Participation
from voting.selectors import tallies

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

VOTERS = 90
THREADS = 8
# Before the outage a third votes; the rest start as PostgreSQL stops.
BEFORE = VOTERS // 3
RETRY_FOR_SECONDS = 60  # per voter: a client gives up after this long
OUTAGE_SIGNS = 5  # refused requests to see before PostgreSQL comes back


@dataclass
class Outcomes:
    lock: threading.Lock = field(default_factory=threading.Lock)
    statuses: Counter[int] = field(default_factory=Counter)  # 0: no HTTP answer at all
    acknowledged: dict[int, str] = field(default_factory=dict)  # voter -> choice
    given_up: list[int] = field(default_factory=list)
    bodies_of_errors: list[str] = field(default_factory=list)
    answered: list[tuple[float, float, int]] = field(default_factory=list)  # sent, got, status

    def record(self, sent: float, status: int, body: str) -> None:
        with self.lock:
            self.statuses[status] += 1
            self.answered.append((sent, time.monotonic(), status))
            if status >= 500 and status != 503 or status == 0:
                self.bodies_of_errors.append(f"{status}: {body[:300]}")

    @property
    def refused(self) -> int:
        """Answers that were not an acknowledgement (503 is the right one; 0: no answer)."""
        return sum(n for status, n in self.statuses.items() if not 200 <= status < 300)


def _vote(token: str, application_id: int, choice: str) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", APP_PORT, timeout=20)
    try:
        conn.request(
            "POST",
            f"/api/v1/applications/{application_id}/vote/",
            body=json.dumps({"choice": choice}),
            headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
        )
        response = conn.getresponse()
        return response.status, response.read().decode(errors="replace")
    except OSError as exc:
        return 0, repr(exc)
    finally:
        conn.close()


def _voter(outcomes: Outcomes, application_id: int, voter_id: int, token: str, choice: str) -> None:
    """Vote until acknowledged (2xx), retrying what failed for at most RETRY_FOR_SECONDS."""
    deadline = time.monotonic() + RETRY_FOR_SECONDS
    while time.monotonic() < deadline:
        sent = time.monotonic()
        status, body = _vote(token, application_id, choice)
        outcomes.record(sent, status, body)
        if 200 <= status < 300:
            with outcomes.lock:
                outcomes.acknowledged[voter_id] = choice
            if voter_id % 5 == 0:
                # The answer "got lost": the client sends the same vote again.
                sent = time.monotonic()
                again, body = _vote(token, application_id, choice)
                outcomes.record(sent, again, body)
            return
        if status not in (0, 503):
            # Anything else is a failure the test reports; the voter still tries again (as
            # a person would), so one failure does not hide what follows.
            time.sleep(0.1)
            continue
        time.sleep(0.1)
    with outcomes.lock:
        outcomes.given_up.append(voter_id)


def _app_server(log: Path) -> subprocess.Popen[bytes]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "CELERY_"))},
        "DJANGO_SETTINGS_MODULE": "backend.settings.production",
        "DJANGO_SECRET_KEY": "faults-" + "k" * 50,
        "RESIDENCE_CODE_KEY": "test-residence-key",
        "BALLOT_KEY": "test-ballot-key-not-secret",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": database_url(),
        # Connections kept between requests: the case where a restart could leave dead ones.
        "DATABASE_CONN_MAX_AGE": "60",
        "LOG_LEVEL": "WARNING",
    }
    with open(log, "wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "backend.wsgi:application",
             "--bind", f"127.0.0.1:{APP_PORT}", "--workers", "2", "--threads", "4",
             "--timeout", "60"],
            cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip


def _healthy() -> bool:
    conn = http.client.HTTPConnection("127.0.0.1", APP_PORT, timeout=2)
    try:
        conn.request("GET", "/healthz")
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


def test_votes_survive_a_postgresql_restart_and_the_api_recovers_by_itself(
    pg_cluster: Cluster, transactional_db, tmp_path, figures, coop_a, rivierenwijk
):
    started = time.monotonic()
    fund = make_fund(coop_a, rivierenwijk)
    application = advance(make_application(fund), "voting")
    voters = []
    for n in range(VOTERS):
        voter = resident_of(fund)
        _, token = AuthToken.objects.create(user=voter)
        voters.append((voter.pk, token, "yes" if n % 3 else "no"))

    server = _app_server(tmp_path / "gunicorn.log")
    try:
        wait_for(_healthy, "the app server", 60)
        outcomes = Outcomes()
        pending = list(voters)
        pending_lock = threading.Lock()

        def client(phase_two: bool) -> None:
            while True:
                with pending_lock:
                    if not pending or (not phase_two and len(pending) <= VOTERS - BEFORE):
                        return
                    voter_id, token, choice = pending.pop(0)
                _voter(outcomes, application.pk, voter_id, token, choice)

        def start(phase_two: bool) -> list[threading.Thread]:
            threads = [threading.Thread(target=client, args=(phase_two,)) for _ in range(THREADS)]
            for t in threads:
                t.start()
            return threads

        for t in start(False):
            t.join()
        assert len(outcomes.acknowledged) == BEFORE, outcomes.bodies_of_errors[:5]

        # The burst: the other voters start and PostgreSQL stops under them.
        burst = start(True)
        down_at = time.monotonic()
        pg_cluster.stop("fast")
        try:
            wait_for(lambda: outcomes.refused >= OUTAGE_SIGNS, "clients to feel the outage", 30)
        finally:
            pg_cluster.start()
        up_at = time.monotonic()
        for t in burst:
            t.join(RETRY_FOR_SECONDS + 30)

        # A quiet restart: no request sees it, so every connection the app server keeps is
        # dead when the next requests come. Each voter sends their vote again, once.
        pg_cluster.stop("fast")
        pg_cluster.start()
        again: Counter[int] = Counter()

        def resend(share: list[tuple[int, str, str]]) -> None:
            for _, token, choice in share:
                status, _ = _vote(token, application.pk, choice)
                with outcomes.lock:
                    again[status] += 1

        shares = [voters[i::THREADS] for i in range(THREADS)]
        threads = [threading.Thread(target=resend, args=(share,)) for share in shares]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        still_serving = server.poll() is None
    finally:
        _stop(server)
        gunicorn_log = (tmp_path / "gunicorn.log").read_text(errors="replace")

    connections.close_all()  # this process's connection died with the restart too
    rows = Counter(
        Participation.objects.filter(application=application).values_list("voter_id", flat=True)
    )
    counted = tallies([application.pk])[application.pk]
    after_up = [(s, got, st) for s, got, st in outcomes.answered if s >= up_at]
    first_ok_after_up = min((got for _, got, st in after_up if 200 <= st < 300), default=None)
    failed_after_up = sum(1 for _, _, st in after_up if not 200 <= st < 300)
    statuses = dict(sorted(outcomes.statuses.items()))
    figures(
        f"PostgreSQL restart under votes: {VOTERS} voters, {THREADS} client threads; "
        f"{sum(statuses.values())} requests, answers by status {statuses} (0: no answer); "
        f"acknowledged {len(outcomes.acknowledged)}, kept {len(rows)} ballots; "
        f"refused during the outage {outcomes.refused}; PostgreSQL down "
        f"{up_at - down_at:.1f}s; first vote acknowledged "
        f"{(first_ok_after_up - up_at) if first_ok_after_up else float('nan'):.2f}s after it "
        f"was back; failed requests sent after it was back: {failed_after_up}; "
        f"after a quiet restart, the same votes again: answers by status "
        f"{dict(sorted(again.items()))}; total {time.monotonic() - started:.0f}s"
    )

    assert still_serving, "the app server died"
    assert outcomes.bodies_of_errors == [], (outcomes.bodies_of_errors[:5], gunicorn_log[-3000:])
    assert set(statuses) <= {200, 201, 503}
    assert outcomes.given_up == []
    # Every voter got an acknowledgement after the restart: the API recovered by itself.
    assert len(outcomes.acknowledged) == VOTERS
    # Every acknowledged vote is kept, once, with its choice.
    assert set(rows) == set(outcomes.acknowledged)
    assert max(rows.values()) == 1
    choices = Counter(outcomes.acknowledged.values())
    assert (counted.yes, counted.no) == (choices["yes"], choices["no"])
    # Kept connections were checked, not reused dead: nothing sent after a restart failed.
    assert failed_after_up == 0
    assert again == {200: VOTERS}
