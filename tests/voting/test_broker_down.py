"""With the broker down, votes and submissions still work (the queueing error is logged, the
request never fails), and closed windows are settled by a command that needs no broker."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from backend.celery import app
from grants.models import Application
from tests.conftest import client_for
from tests.grants.factories import make_application, make_fund, resident_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker_down():
    before = {key: app.conf[key] for key in ("task_always_eager", "broker_url")}
    app.conf.update(task_always_eager=False, broker_url="redis://127.0.0.1:9/0")  # nobody there
    yield
    app.conf.update(before)
    app._pool = None  # the producer pool built for the dead broker goes with it


def test_votes_count_and_windows_settle_without_a_broker(
    coop_a, rivierenwijk, broker_down, caplog, django_capture_on_commit_callbacks, time_machine
):
    fund = make_fund(coop_a, rivierenwijk, vote_window_minutes=60, quorum=1)
    draft = make_application(fund)
    with caplog.at_level(logging.ERROR, logger="backend.queue"):
        with django_capture_on_commit_callbacks(execute=True):
            submitted = client_for(draft.applicant).post(f"/api/v1/applications/{draft.pk}/submit/")
        with django_capture_on_commit_callbacks(execute=True):
            voted = client_for(resident_of(fund)).post(
                f"/api/v1/applications/{draft.pk}/vote/", {"choice": "yes"}, format="json"
            )
    assert (submitted.status_code, voted.status_code) == (200, 201)
    assert any("could not queue" in r.getMessage() for r in caplog.records)

    time_machine.move_to(timezone.now() + timedelta(hours=2))
    call_command("settle_windows")
    assert Application.objects.get(pk=draft.pk).status == "approved"
