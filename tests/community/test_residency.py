"""Coordinators issue single-use residence codes; residents redeem them once."""

import re
import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from community.models import AuditEvent, ResidenceCode, Residency
from community.services import residence_codes_issue, residency_verify
from tests.community.factories import UserFactory
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

CODE_FORMAT = re.compile(r"^[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}$")


def issue(client, neighbourhood, count=3):
    return client.post(
        f"/api/v1/neighbourhoods/{neighbourhood.pk}/voting-codes/", {"count": count}, format="json"
    )


def test_coordinator_gets_plain_codes_once_and_only_hashes_are_stored(coordinator_a, rivierenwijk):
    response = issue(client_for(coordinator_a), rivierenwijk, count=5)
    assert response.status_code == 201
    codes = response.json()["codes"]
    assert len(set(codes)) == 5
    assert all(CODE_FORMAT.match(c) for c in codes)
    stored = list(ResidenceCode.objects.values_list("code_hash", flat=True))
    assert len(stored) == 5
    for code in codes:
        assert all(code not in h and code.replace("-", "") not in h for h in stored)
    event = AuditEvent.objects.get(action="residence_codes_issued")
    assert event.data["count"] == 5
    assert not any(c in str(event.data) for c in codes)
    # The listing shows bookkeeping, never a code.
    listing = (
        client_for(coordinator_a)
        .get(f"/api/v1/neighbourhoods/{rivierenwijk.pk}/voting-codes/")
        .json()
    )
    assert listing["count"] == 5
    assert "codes" not in listing["results"][0] and "code_hash" not in listing["results"][0]


def test_resident_redeems_a_code_and_becomes_verified(coordinator_a, rivierenwijk, user):
    code = issue(client_for(coordinator_a), rivierenwijk, count=1).json()["codes"][0]
    client = client_for(user)
    response = client.post("/api/v1/residents/verify/", {"code": code}, format="json")
    assert response.status_code == 201
    assert response.json()["neighbourhood"]["slug"] == "dichterswijk-en-rivierenwijk"
    me = client.get("/api/v1/auth/me/").json()
    assert me["residency"]["neighbourhood"]["id"] == rivierenwijk.pk


def test_code_is_forgiving_about_case_spaces_and_dashes(coordinator_a, rivierenwijk, user):
    code = issue(client_for(coordinator_a), rivierenwijk, count=1).json()["codes"][0]
    typed = " " + code.lower().replace("-", " ") + " "
    response = client_for(user).post("/api/v1/residents/verify/", {"code": typed}, format="json")
    assert response.status_code == 201


def test_a_used_code_cannot_be_used_again(coordinator_a, rivierenwijk):
    code = issue(client_for(coordinator_a), rivierenwijk, count=1).json()["codes"][0]
    assert (
        client_for(UserFactory())
        .post("/api/v1/residents/verify/", {"code": code}, format="json")
        .status_code
        == 201
    )
    second = client_for(UserFactory()).post(
        "/api/v1/residents/verify/", {"code": code}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert second.status_code == 400
    assert second.json() == {
        "code": "residence_code_used",
        "detail": "This residence code has already been used.",
    }
    assert Residency.objects.count() == 1


def test_an_unknown_code_is_refused_and_the_attempt_audited(user):
    response = client_for(user).post(
        "/api/v1/residents/verify/", {"code": "AAAA-BBBB-CCCC"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "residence_code_invalid"
    assert response.json()["detail"].startswith("Deze bewonerscode is onbekend")
    event = AuditEvent.objects.get(action="residence_code_rejected")
    assert event.actor == user
    assert "AAAA" not in str(event.data)


def test_an_expired_code_is_refused(coordinator_a, rivierenwijk, user, settings):
    code = issue(client_for(coordinator_a), rivierenwijk, count=1).json()["codes"][0]
    later = timezone.now() + timedelta(days=settings.RESIDENCE_CODE_VALID_DAYS, seconds=1)
    with time_machine.travel(later):
        response = client_for(user).post("/api/v1/residents/verify/", {"code": code}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "residence_code_expired"
    assert not Residency.objects.exists()


def test_moving_to_another_buurt_ends_the_old_residency(
    coordinator_a, coordinator_b, rivierenwijk, lunetten, user
):
    first = residence_codes_issue(
        neighbourhood=rivierenwijk, count=1, acting_user=coordinator_a
    ).codes[0]
    second = residence_codes_issue(
        neighbourhood=lunetten, count=1, acting_user=coordinator_b
    ).codes[0]
    residency_verify(user=user, code=first)
    residency_verify(user=user, code=second)
    current = Residency.objects.get(user=user, ended_at__isnull=True)
    assert current.neighbourhood == lunetten
    assert Residency.objects.filter(user=user, ended_at__isnull=False).count() == 1


@pytest.mark.parametrize("count", [0, -1, 1001, "many", None])
def test_issuing_a_bad_count_is_a_field_error(coordinator_a, rivierenwijk, count):
    response = issue(client_for(coordinator_a), rivierenwijk, count=count)
    assert response.status_code == 400
    assert "count" in response.json()["fields"]
    assert not ResidenceCode.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_sixteen_parallel_redemptions_of_one_code_succeed_once(coordinator_a, rivierenwijk):
    code = residence_codes_issue(
        neighbourhood=rivierenwijk, count=1, acting_user=coordinator_a
    ).codes[0]
    users = [UserFactory() for _ in range(16)]
    barrier = threading.Barrier(16)
    outcomes: list[str] = []
    lock = threading.Lock()

    def redeem(person):
        try:
            barrier.wait()
            try:
                residency_verify(user=person, code=code)
                result = "ok"
            except Exception as exc:  # noqa: BLE001
                result = getattr(exc, "code", repr(exc))
            with lock:
                outcomes.append(result)
        finally:
            connection.close()

    threads = [threading.Thread(target=redeem, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("ok") == 1
    assert sorted(set(outcomes)) == ["ok", "residence_code_used"]
    assert Residency.objects.count() == 1
    assert ResidenceCode.objects.filter(redeemed_at__isnull=False).count() == 1
