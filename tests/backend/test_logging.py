"""Logs are one JSON object per line, every line of a request carries its id, and what an
attacker holding the logs could use (passwords, tokens, codes, receipts, choices, IBANs,
Stripe secrets, reset links) is never in them."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import structlog
from django.test import Client
from django_structlog.celery.steps import DjangoStructLogInitStep
from knox.models import AuthToken
from rest_framework.test import APIClient

from backend.celery import app as celery_app
from community.tasks import purge_expired_tokens
from tests.community.factories import UserFactory
from tests.conftest import client_for
from tests.grants.factories import make_application, make_fund, resident_of
from voting import services as voting_services

ROOT = Path(__file__).resolve().parents[2]
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


class Captured:
    def __init__(self, stream: io.StringIO) -> None:
        self.stream = stream

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def lines(self) -> list[dict[str, Any]]:
        """Every line parsed on its own: each must be one JSON object."""
        parsed = [json.loads(line) for line in self.text.splitlines()]
        assert all(isinstance(line, dict) for line in parsed)
        return parsed

    def of_request(self, request_id: str) -> list[dict[str, Any]]:
        return [line for line in self.lines() if line.get("request_id") == request_id]


@pytest.fixture
def logs():
    """The configured stdout handler (settings.LOGGING), writing into a buffer instead."""
    root = logging.getLogger()
    handler = next(
        h for h in root.handlers if isinstance(h.formatter, structlog.stdlib.ProcessorFormatter)
    )
    assert isinstance(handler, logging.StreamHandler)
    stream = io.StringIO()
    previous_stream = handler.setStream(stream)
    previous_level = root.level
    root.setLevel(logging.INFO)
    try:
        yield Captured(stream)
    finally:
        root.setLevel(previous_level)
        handler.setStream(previous_stream)  # type: ignore[arg-type]


def _values(node: Any) -> list[Any]:
    if isinstance(node, dict):
        return [v for value in node.values() for v in _values(value)]
    if isinstance(node, list):
        return [v for value in node for v in _values(value)]
    return [node]


def assert_free_of(captured: Captured, *secrets: str) -> None:
    for secret in secrets:
        assert secret and secret not in captured.text, secret
    for line in captured.lines():
        # No ballot choice as a value, and no field named for one unless redacted.
        assert not {"yes", "no", "ja", "nee"} & {str(v).lower() for v in _values(line)}, line
        assert line.get("choice", "[redacted]") == "[redacted]", line


def test_every_line_of_a_request_is_json_with_its_id_which_the_response_returns(
    logs, client: Client
):
    response = client.get("/healthz")
    request_id = response["X-Request-ID"]
    assert UUID.fullmatch(request_id)
    lines = logs.of_request(request_id)
    assert [line["event"] for line in lines] == ["request_started", "request_finished"]
    finished = lines[-1]
    assert finished["code"] == 200 and finished["request"] == "GET /healthz"
    assert finished["level"] == "info" and finished["logger"].startswith("django_structlog")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z", finished["time"])
    assert list(finished)[:5] == ["time", "level", "event", "logger", "request_id"]
    # Two requests, two ids.
    assert client.get("/healthz")["X-Request-ID"] != request_id


@pytest.fixture
def behind_a_proxy(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}


@pytest.mark.parametrize("sent", ["proxy-7f3a.12:9", "A" * 64, "x"])
def test_a_sane_request_id_from_the_proxy_is_kept(logs, client: Client, sent: str, behind_a_proxy):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=sent)
    assert response["X-Request-ID"] == sent
    assert len(logs.of_request(sent)) == 2


def test_without_a_trusted_proxy_a_clients_request_id_is_not_taken(logs, client: Client):
    """A client could otherwise give many requests one id and blur the logs' story."""
    first = client.get("/healthz", HTTP_X_REQUEST_ID="same-id")["X-Request-ID"]
    second = client.get("/healthz", HTTP_X_REQUEST_ID="same-id")["X-Request-ID"]
    assert UUID.fullmatch(first) and UUID.fullmatch(second) and first != second
    assert "same-id" not in logs.text


@pytest.mark.parametrize(
    "sent",
    [
        "A" * 65,
        "has space",
        'quote"and}brace',
        "line\nbreak",
        "ümlaut",
        "<script>",
        "",
    ],
)
def test_an_insane_request_id_is_replaced_by_a_fresh_one(
    logs, client: Client, sent: str, behind_a_proxy
):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=sent)
    assert UUID.fullmatch(response["X-Request-ID"])
    assert len(logs.of_request(response["X-Request-ID"])) == 2
    if sent:
        assert sent not in logs.text


@pytest.mark.django_db
def test_djangos_own_not_found_line_carries_the_request_id(logs, client: Client):
    response = client.get("/does-not-exist/")
    assert response.status_code == 404
    lines = logs.of_request(response["X-Request-ID"])
    assert ("django.request", "warning") in {(line["logger"], line["level"]) for line in lines}
    assert lines[-1]["event"] == "Not Found: /does-not-exist/"


@pytest.fixture
def fund(coop_a, rivierenwijk):
    return make_fund(coop_a, rivierenwijk, quorum=3)


@pytest.fixture
def voting(fund):
    application = make_application(fund)
    submitted = client_for(application.applicant).post(
        f"/api/v1/applications/{application.pk}/submit/"
    )
    assert submitted.json()["status"] == "voting"
    return application


@pytest.mark.django_db
def test_our_own_logger_logs_inside_a_request_with_its_id_and_the_user(
    logs, voting, fund, monkeypatch
):
    """voting.services logs when settling on a read fails: that line has the request's id."""

    def broken() -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr(voting_services, "settle_due_windows", broken)
    neighbour = resident_of(fund)
    by_token, by_session = APIClient(), Client()
    by_token.credentials(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(neighbour)[1]}")
    by_session.force_login(neighbour)
    for client in (by_token, by_session):
        response = client.get(f"/api/v1/funds/{fund.pk}/decisions/")
        assert response.status_code == 200
        lines = logs.of_request(response["X-Request-ID"])
        ours = [line for line in lines if line["logger"] == "voting.services"]
        assert len(ours) == 1 and ours[0]["level"] == "error"
        assert "RuntimeError: database went away" in ours[0]["exception"]
        assert ours[0]["user_id"] == neighbour.pk
        assert lines[-1]["event"] == "request_finished" and lines[-1]["user_id"] == neighbour.pk


@pytest.mark.django_db
def test_a_vote_and_its_receipt_check_leave_no_receipt_or_choice_in_the_logs(logs, voting, fund):
    neighbour = resident_of(fund)
    client = client_for(neighbour)
    cast = client.post(f"/api/v1/applications/{voting.pk}/vote/", {"choice": "yes"}, format="json")
    assert cast.status_code == 201
    receipt = cast.json()["receipt"]
    changed = client.post(
        f"/api/v1/applications/{voting.pk}/vote/", {"choice": "no"}, format="json"
    )
    checked = client.post("/api/v1/votes/receipts/check/", {"receipt": receipt}, format="json")
    assert checked.json()["choice"] == "no"
    anonymous = APIClient().post(
        "/api/v1/votes/receipts/check/", {"receipt": receipt}, format="json"
    )
    assert anonymous.json()["counted"] is True
    # A client putting the receipt in the query string does not get it logged either.
    in_url = APIClient().post(
        f"/api/v1/votes/receipts/check/?receipt={receipt}", {"receipt": receipt}, format="json"
    )

    for response in (cast, changed, checked, anonymous, in_url):
        finished = logs.of_request(response["X-Request-ID"])[-1]
        assert finished["event"] == "request_finished"
        assert finished["code"] == response.status_code
        assert "?" not in finished["request"]
    assert logs.of_request(cast["X-Request-ID"])[-1]["user_id"] == neighbour.pk
    assert_free_of(logs, receipt)


@pytest.mark.django_db
def test_logins_and_a_token_request_leave_no_password_or_token_in_the_logs(logs):
    password = "zonnebloem-1987-geheim"
    wrong = "verkeerd-wachtwoord-42"
    user = UserFactory(username="anouk", password=password)
    web = Client()
    failed = web.post("/inloggen/", {"username": "anouk", "password": wrong})
    assert failed.status_code == 200  # the form again, with its error
    logged_in = web.post("/inloggen/", {"username": "anouk", "password": password})
    assert logged_in.status_code == 302

    api = APIClient()
    token_response = api.post(
        "/api/v1/auth/token/", {"username": "anouk", "password": password}, format="json"
    )
    assert token_response.status_code == 200
    token = token_response.json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = api.get("/api/v1/auth/me/")
    assert me.status_code == 200

    for response in (failed, logged_in, token_response, me):
        assert logs.of_request(response["X-Request-ID"])[-1]["event"] == "request_finished"
    assert logs.of_request(me["X-Request-ID"])[-1]["user_id"] == user.pk
    assert_free_of(logs, password, wrong, token, token.removeprefix("bf_"))


@pytest.mark.django_db
def test_redeeming_a_residence_code_leaves_no_code_in_the_logs(logs, coordinator_a, rivierenwijk):
    issued = client_for(coordinator_a).post(
        f"/api/v1/neighbourhoods/{rivierenwijk.pk}/voting-codes/", {"count": 1}, format="json"
    )
    code = issued.json()["codes"][0]
    redeemed = client_for(UserFactory()).post(
        "/api/v1/residents/verify/", {"code": code.lower()}, format="json"
    )
    assert redeemed.status_code == 201
    assert logs.of_request(redeemed["X-Request-ID"])[-1]["code"] == 201
    assert_free_of(logs, code, code.lower(), code.replace("-", ""))


@pytest.mark.django_db
def test_a_password_reset_link_is_logged_without_its_uid_and_token(logs, client: Client):
    uid, token = "MTIzNA", "c7k2pz-0123456789abcdef0123456789abcdef"
    response = client.get(f"/wachtwoord/{uid}/{token}/")
    lines = logs.of_request(response["X-Request-ID"])
    assert lines[0]["request"] == "GET /wachtwoord/[redacted]/"
    assert uid not in logs.text and token not in logs.text


def test_secrets_in_our_own_log_messages_are_redacted(logs):
    log = logging.getLogger("grants.topups")
    log.warning(
        "top-up %s: Stripe failed: %s",
        7,
        "Invalid API Key provided: sk_live_51Habcdefghijklmnop; webhook whsec_abcdef123456; "
        "client secret pi_3Mtw_secret_ZZZ; payee NL91ABNA0417164300; "
        "header Authorization: Token bf_0123456789abcdef0123456789abcdef",
    )
    log.warning("payee %s", "NL91 ABNA 0417 1643 00")
    log.warning("sheet password k7mp-29qx-hw4n for code ACDE-FGHJ-KMNP")
    log.warning("odd", extra={"password": "x"})  # extras are not rendered at all
    first, second, third, fourth = logs.lines()
    assert first["event"] == (
        "top-up 7: Stripe failed: Invalid API Key provided: [redacted]; webhook [redacted]; "
        "client secret [redacted]; payee NL91**********4300; "
        "header Authorization: Token [redacted]"
    )
    assert second["event"] == "payee NL91**********4300"
    assert third["event"] == "sheet password [redacted] for code [redacted]"
    assert "password" not in fourth
    # Identifiers that only look like secrets are left alone.
    request_id = "77949acf-6913-4eff-964b-96c5421ee623"
    log.warning("task voting.tasks.settle_window[%s] for application 12", request_id)
    assert logs.lines()[-1]["event"].endswith(f"[{request_id}] for application 12")


def test_structured_fields_named_for_secrets_are_redacted(logs):
    structlog.get_logger("buurtfonds").warning(
        "payee_changed",
        password="hunter2",
        new_password1="hunter3",
        token="abc",
        payee_iban="NL91ABNA0417164300",
        choice="yes",
        receipt="r" * 24,
        stripe_secret_key="sk_test_abc",
        change={"account_after": "NL91ABNA0417164300", "name_after": "Buurtvereniging"},
        application=12,
    )
    (line,) = logs.lines()
    for key in ("password", "new_password1", "token", "payee_iban", "choice", "receipt"):
        assert line[key] == "[redacted]"
    assert line["stripe_secret_key"] == "[redacted]"
    assert line["change"] == {
        "account_after": "NL91**********4300",
        "name_after": "Buurtvereniging",
    }
    assert line["application"] == 12


def test_a_traceback_is_logged_without_local_variables(logs):
    def fails(password: str) -> None:
        secret_local = password * 2  # noqa: F841 - what a dump of locals would show
        raise ValueError("the books do not balance")

    try:
        fails("-".join(["hunter2", "wachtwoord"]))  # not in the source a traceback quotes
    except ValueError:
        logging.getLogger("ledger").exception("posting failed")
    (line,) = logs.lines()
    assert "ValueError: the books do not balance" in line["exception"]
    assert "hunter2-wachtwoord" not in logs.text


@pytest.mark.django_db
def test_a_worker_task_logs_with_its_task_id(logs):
    """The worker's boot step (DjangoStructLogInitStep, added to our Celery app) makes each
    task's lines carry its task_id; run here in-process with the step's own receiver."""
    assert DjangoStructLogInitStep in celery_app.steps["worker"]
    receiver = DjangoStructLogInitStep(parent=None).receiver
    signals = __import__("celery.signals", fromlist=["task_prerun"])
    connected = {
        signals.task_prerun: receiver.receiver_task_prerun,
        signals.task_success: receiver.receiver_task_success,
        signals.task_failure: receiver.receiver_task_failure,
        signals.before_task_publish: receiver.receiver_before_task_publish,
        signals.after_task_publish: receiver.receiver_after_task_publish,
        signals.task_retry: receiver.receiver_task_retry,
        signals.task_revoked: receiver.receiver_task_revoked,
        signals.task_unknown: receiver.receiver_task_unknown,
        signals.task_rejected: receiver.receiver_task_rejected,
    }
    try:
        result = purge_expired_tokens.apply()
    finally:
        for signal, handler in connected.items():
            signal.disconnect(handler)
        structlog.contextvars.clear_contextvars()
    task_lines = [line for line in logs.lines() if line.get("task_id") == result.id]
    events = [line["event"] for line in task_lines]
    assert events[0] == "task_started" and "task_succeeded" in events
    assert task_lines[0]["task"] == "community.tasks.purge_expired_tokens"


def test_celery_worker_and_beat_log_json_lines():
    """Celery leaves logging to settings.LOGGING: its own lines are JSON on stdout too."""
    code = (
        "import django, logging; django.setup();"
        "from backend.celery import app; app.log.setup(loglevel='INFO');"
        "logging.getLogger('celery.worker').info('celery@host ready.')"
    )
    environ = {k: v for k, v in os.environ.items() if k != "CELERY_BROKER_URL"}
    environ.update({"DJANGO_SETTINGS_MODULE": "backend.settings.local", "LOG_LEVEL": "INFO"})
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environ, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert {"event": "celery@host ready.", "logger": "celery.worker", "level": "info"}.items() <= (
        lines[-1].items()
    )


@pytest.mark.django_db
def test_a_client_cannot_start_a_line_of_its_own_with_unicode_line_breaks(logs, client: Client):
    """JSON leaves U+2028, U+2029 and NEL (a Latin-1 header byte) as they are: a reader that
    splits lines the Unicode way (Python's splitlines, JavaScript viewers) would take the
    text after one for a line of ours. Every line stays one line, and the forged one is not
    there."""
    forged = '{"event": "login_succeeded", "user_id": 1}'
    response = client.get(
        "/aanvraag/1/%E2%80%A8" + forged.replace('"', "%22").replace(" ", "%20") + "/",
        HTTP_USER_AGENT="probe\x85" + forged + "\u2029" + forged,
    )
    lines = logs.of_request(response["X-Request-ID"])
    assert [line["event"] for line in lines][0] == "request_started"
    for separator in ("\u2028", "\u2029", "\x85"):
        assert separator not in logs.text
    assert len(logs.text.splitlines()) == len(logs.text.split("\n")) - 1
    assert not [line for line in logs.lines() if line.get("event") == "login_succeeded"]
    started = lines[0]
    assert started["user_agent"] == "probe\x85" + forged + "\u2029" + forged
