"""Secret ballots, shown by difference: one script of votes, changes and paper ballots, run
twice on PostgreSQL with every choice flipped. Whatever can be observed without the ballot
key (every column of every table with ``xmin``, ``ctid`` and physical order, value lengths,
responses with their sizes, log lines, audit events, e-mails) must be identical between the
two runs, apart from the bytes of the seals themselves. A difference would tell how someone
voted."""

from __future__ import annotations

import json
import logging
import os
import random
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.cache import cache
from django.db import connection, connections
from rest_framework.test import APIClient

from community.models import Neighbourhood, Wijk
from community.places import install_places
from grants import services as grants
from grants.models import Fund
from ledger.services import chart_install
from tests.community.factories import CooperativeFactory, MembershipFactory, UserFactory
from tests.community.factories import make_resident as verified
from tests.conftest import AS_OWNER, OWNER_ALIAS
from voting import seal
from voting.models import Participation

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, databases=AS_OWNER)]

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
KEEP = {"django_migrations", "django_content_type", "auth_permission"}


def _reset_database() -> None:
    """Empty every table and restart every sequence, so both runs start from the same bytes."""
    tables = [t for t in connection.introspection.table_names() if t not in KEEP]
    with connections[OWNER_ALIAS].cursor() as cursor:  # TRUNCATE is the owner's
        quoted = ", ".join(connection.ops.quote_name(t) for t in tables)
        cursor.execute(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")
    install_places(Wijk, Neighbourhood)
    chart_install()
    cache.clear()
    mail.outbox = []


def _user(name: str) -> Any:
    return UserFactory(username=name, email=f"{name}@example.org")


class Recorder:
    """Every request of the script with its full answer, as an access log and a client see it."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, int, int, bytes]] = []

    def post(self, user: Any, path: str, body: dict[str, Any] | None = None) -> Any:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        response = client.post(path, body or {}, format="json")
        self.seen.append(
            ("POST", path, response.status_code, len(response.content), response.content)
        )
        return response

    def get(self, path: str) -> Any:
        response = APIClient().get(path)
        self.seen.append(
            ("GET", path, response.status_code, len(response.content), response.content)
        )
        return response


def _snapshot() -> dict[str, list[dict[str, Any]]]:
    """Every row of every table in physical order, with its system columns. Transaction ids
    become their dense rank, which keeps which rows share a transaction and in what order."""
    raw: dict[str, list[tuple[int, str, dict[str, Any]]]] = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names()):
            if table in KEEP:
                continue
            quoted = connection.ops.quote_name(table)
            cursor.execute(
                f"SELECT xmin::text::bigint, ctid::text, to_jsonb(t)::text FROM {quoted} t"
                " ORDER BY ctid"
            )
            raw[table] = [(xmin, ctid, json.loads(row)) for xmin, ctid, row in cursor.fetchall()]
    ranks = {x: i for i, x in enumerate(sorted({x for rows in raw.values() for x, _, _ in rows}))}
    snapshot: dict[str, list[dict[str, Any]]] = {}
    for table, rows in raw.items():
        snapshot[table] = [
            {"xmin": ranks[xmin], "ctid": ctid, **{k: str(v) for k, v in row.items()}}
            for xmin, ctid, row in rows
        ]
    return snapshot


def _without_seal_bytes(snapshot: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    table = Participation._meta.db_table
    rows = []
    for row in snapshot[table]:
        sealed = row["sealed"]  # "\\x" and two hex digits a byte
        rows.append({**row, "sealed": f"<{(len(sealed) - 2) // 2} bytes>"})
    return {**snapshot, table: rows}


def run_script(flip: bool, caplog: pytest.LogCaptureFixture) -> dict[str, Any]:
    """The same people, at the same moments, with the same random bytes; only the choices
    differ. Eight voters end four "yes" and four "no", so the published tally is the same."""

    def c(choice: str) -> str:
        return {"yes": "no", "no": "yes"}[choice] if flip else choice

    _reset_database()
    rng = random.Random(8)
    draw = rng.randbytes
    http = Recorder()
    with (
        pytest.MonkeyPatch.context() as patch,
        time_machine.travel(T0, tick=False) as clock,
    ):
        patch.setattr(os, "urandom", draw)
        patch.setattr(random, "_urandom", draw)
        caplog.clear()

        coop = CooperativeFactory(name="Buurtcoöperatie Rivierenwijk")
        buurt = Neighbourhood.objects.get(slug="dichterswijk-en-rivierenwijk")
        coop.neighbourhoods.add(buurt)
        staff = {role: _user(role) for role in ("board", "treasurer", "coordinator")}
        for role, user in staff.items():
            MembershipFactory(cooperative=coop, role=role, user=user)
        fund = grants.fund_create(
            acting_user=staff["board"],
            cooperative=coop,
            name="Buurtfonds Rivierenwijk",
            kind=Fund.Kind.BUURTFONDS,
            neighbourhood=buurt,
            quorum=3,
        )
        grants.fund_deposit(
            fund=fund,
            amount_cents=1_500_000,
            source="subsidy",
            reference="BANK-1",
            acting_user=staff["treasurer"],
        )
        people = [
            verified(neighbourhood=buurt, coordinator=staff["coordinator"], user=_user(f"r{i}"))
            for i in range(10)
        ]
        applicant, v = people[0], people[1:]
        application = grants.application_create(
            fund=fund,
            acting_user=applicant,
            title="Buurtbarbecue",
            summary="Samen eten.",
            amount_requested_cents=40_000,
            total_budget_cents=50_000,
            own_contribution_cents=5_000,
        )
        app = f"/api/v1/applications/{application.pk}"
        clock.shift(timedelta(minutes=1))
        http.post(applicant, f"{app}/submit/")

        receipts = []
        for voter, choice in zip(v[:6], ("yes", "no", "yes", "no", "yes", "no"), strict=True):
            clock.shift(timedelta(minutes=3))
            receipts.append(
                http.post(voter, f"{app}/vote/", {"choice": c(choice)}).json()["receipt"]
            )
        clock.shift(timedelta(minutes=5))
        http.post(v[1], f"{app}/vote/", {"choice": c("yes")})  # changes her mind
        http.post(v[2], f"{app}/vote/", {"choice": c("no")})  # so does he
        http.post(v[4], f"{app}/vote/", {"choice": c("yes")})  # the same choice again
        http.post(
            v[3], f"{app}/vote/", {"choice": c("no"), "receipt": receipts[0]}
        )  # a stolen receipt

        coordinator = staff["coordinator"]
        clock.shift(timedelta(hours=1))
        paper = f"{app}/assisted-votes/"
        http.post(
            coordinator, paper, {"resident": v[6].pk, "choice": c("yes"), "form_number": "P-1"}
        )
        http.post(
            coordinator, paper, {"resident": v[7].pk, "choice": c("no"), "form_number": "P-2"}
        )
        clock.shift(timedelta(minutes=2))
        http.post(
            coordinator, paper, {"resident": v[6].pk, "choice": c("no"), "form_number": "P-1"}
        )
        http.post(v[7], f"{app}/vote/", {"choice": c("yes")})  # replaces the paper ballot
        http.post(
            coordinator, paper, {"resident": v[7].pk, "choice": c("no"), "form_number": "P-2"}
        )

        clock.shift(timedelta(minutes=1))
        check = "/api/v1/votes/receipts/check/"
        http.post(None, check, {"receipt": receipts[0]})
        http.post(v[5], check, {"receipt": receipts[0]})  # someone else's receipt
        http.post(None, check, {"receipt": "unknown-receipt-000000000"})
        http.get(f"{app}/")
        http.get(f"/api/v1/funds/{fund.pk}/decisions/")

        clock.move_to(T0 + timedelta(minutes=1, days=1, seconds=1))  # just past the close
        http.get(f"{app}/")
        http.get(f"/api/v1/funds/{fund.pk}/decisions/")
        http.post(None, check, {"receipt": receipts[1]})

    key_holder_view = {
        p.voter_id: seal.unseal(
            application_id=p.application_id, voter_id=p.voter_id, sealed=p.sealed
        ).choice
        for p in Participation.objects.all()
    }
    return {
        "tables": _snapshot(),
        "http": http.seen,
        "logs": [
            (r.name, r.levelname, re.sub(r"in [0-9.e-]+s", "in <runtime>s", r.getMessage()))
            for r in caplog.records
            if r.levelno >= logging.INFO  # what the product logs (debug is off in deployment)
        ],
        "mail": [(m.to, m.subject, m.body) for m in mail.outbox],
        "choices": key_holder_view,
    }


def test_nothing_observable_without_the_key_tells_how_anyone_voted(caplog):
    caplog.set_level(logging.DEBUG)
    run_script(flip=False, caplog=caplog)  # once, so start-up log lines (Celery's) are behind us
    first = run_script(flip=False, caplog=caplog)
    second = run_script(flip=True, caplog=caplog)

    # The runs really differ in what the key holder sees: every choice is flipped ...
    assert first["choices"].keys() == second["choices"].keys() and len(first["choices"]) == 8
    assert all(first["choices"][k] != second["choices"][k] for k in first["choices"])
    assert sorted(first["choices"].values()) == ["no"] * 4 + ["yes"] * 4
    # ... and so do the seals themselves, byte for byte, at equal lengths.
    table = Participation._meta.db_table
    seals = [[row["sealed"] for row in run["tables"][table]] for run in (first, second)]
    assert all(a != b and len(a) == len(b) for a, b in zip(*seals, strict=True))

    # Everything else is identical: tables, system columns, physical order, answers, logs.
    for name in first["tables"]:
        assert (
            _without_seal_bytes(first["tables"])[name]
            == _without_seal_bytes(second["tables"])[name]
        ), name
    assert first["http"] == second["http"]
    assert first["logs"] == second["logs"]
    assert first["mail"] == second["mail"]

    # The script did what it says: a published tally of 4 to 4, one paper ballot standing.
    decided = json.loads(first["http"][-3][4])
    assert decided["tally"] == {"yes": 4, "no": 4, "total": 8, "paper": 1}
    statuses = [
        (method, path.rsplit("/", 2)[-2], code) for method, path, code, _, _ in first["http"]
    ]
    assert ("POST", "assisted-votes", 409) in statuses  # the coordinator could not undo a resident
    audit = [row["action"] for row in first["tables"]["community_auditevent"]]
    assert audit.count("paper_ballot_recorded") == 2 and "paper_ballot_corrected" in audit
