"""The cross-user replay (.ci/schemathesis_replay.py) run against this code through the test
client: what its allow-list lets another person read must be what the product allows, and a
leak must count as one even when the server's own answer is what the rule would look at."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from knox.models import AuthToken

import grants.selectors
from tests.conftest import client_for
from tests.grants.factories import (
    advance,
    coordinator_of,
    make_application,
    make_fund,
    resident_of,
    treasurer_of,
)

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location(
    "schemathesis_replay", ROOT / ".ci" / "schemathesis_replay.py"
)
assert _spec is not None and _spec.loader is not None
replay_module = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = replay_module  # its dataclasses look their module up
_spec.loader.exec_module(replay_module)


class LocalReplay(replay_module.Replay):  # type: ignore[name-defined,misc]
    """The replay with the test client in place of HTTP."""

    def __init__(self, users: dict[str, Any]) -> None:
        tokens = {who: AuthToken.objects.create(user)[1] for who, user in users.items()}
        super().__init__("", tokens)
        self.users = users

    def get(self, path: str, who: str | None) -> tuple[int, bytes]:
        from rest_framework.test import APIClient

        client = client_for(self.users[who]) if who else APIClient()
        response = client.get(path, HTTP_ACCEPT="application/json")
        return response.status_code, response.content


@pytest.fixture
def fund(coop_a, rivierenwijk):
    return make_fund(coop_a, rivierenwijk)


def _people(fund, coop_b) -> dict[str, Any]:
    return {
        "applicant": resident_of(fund),
        "neighbour": resident_of(fund),
        "coordinator": coordinator_of(fund.cooperative),
        "treasurer_b": treasurer_of(coop_b),
    }


def _allowed(replay, path: str, who: str) -> str | None:
    status, raw = replay.get(path, who)
    assert 200 <= status < 300, (who, status)
    return replay.allowed(path, who, json.loads(raw), "applicant")


def test_the_allow_list_lets_the_public_read_a_submitted_application_not_a_draft(fund, coop_b):
    people = _people(fund, coop_b)
    replay = LocalReplay(people)
    draft = make_application(fund, applicant=people["applicant"])
    submitted = advance(make_application(fund, applicant=people["applicant"]), "voting")
    assert _allowed(replay, f"/api/v1/applications/{submitted.pk}/", "neighbour") is not None
    assert _allowed(replay, f"/api/v1/applications/{draft.pk}/", "coordinator") is not None
    assert replay.get(f"/api/v1/applications/{draft.pk}/", "neighbour")[0] == 404
    assert replay.get(f"/api/v1/applications/{draft.pk}/", "treasurer_b")[0] == 404


def test_a_draft_shown_to_everyone_is_a_leak_even_to_the_logged_out(fund, coop_b, monkeypatch):
    """The "public" rule looked only at whether a logged-out request was answered: had the
    server shown drafts to everyone, logged out too, the replay called each read allowed."""
    people = _people(fund, coop_b)
    replay = LocalReplay(people)
    draft = make_application(fund, applicant=people["applicant"])
    everything = grants.selectors.Application.objects.all
    monkeypatch.setattr("api.grants.views.visible_applications", lambda *, user: everything())
    path = f"/api/v1/applications/{draft.pk}/"
    assert replay.get(path, None)[0] == 200  # the simulated leak reaches the logged out
    assert _allowed(replay, path, "neighbour") is None
    assert _allowed(replay, path, "treasurer_b") is None
    assert _allowed(replay, f"/api/v1/applications/{draft.pk}/checks/", "treasurer_b") is None
