"""API tokens expire and can be revoked; every login path is throttled and locks out a
username from one address after repeated failures, never from another address."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from community.tasks import purge_expired_tokens

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-test-password-42"


def login(api, username, password=PASSWORD, **extra):
    return api.post(
        "/api/v1/auth/token/", {"username": username, "password": password}, format="json", **extra
    )


def with_token(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def test_each_login_gets_its_own_token_that_expires_after_30_days(api, user):
    first = login(api, user.username).json()
    second = login(api, user.username).json()
    assert first["token"] != second["token"]
    assert first["token"].startswith("bf_")
    # Only a digest is stored: the plain token is nowhere in the database.
    assert not AuthToken.objects.filter(digest=first["token"]).exists()
    assert all(first["token"] not in (t.digest + t.token_key) for t in AuthToken.objects.all())
    with time_machine.travel(timezone.now() + timedelta(days=29, hours=23)):
        assert with_token(first["token"]).get("/api/v1/auth/me/").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=30, minutes=1)):
        expired = with_token(first["token"]).get("/api/v1/auth/me/")
    assert expired.status_code == 401
    assert expired.json()["code"] == "authentication_failed"


def test_the_lifetime_is_a_setting(api, user, settings):
    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_TTL": timedelta(days=2)}
    token = login(api, user.username).json()["token"]
    with time_machine.travel(timezone.now() + timedelta(days=2, minutes=1)):
        assert with_token(token).get("/api/v1/auth/me/").status_code == 401


def test_logout_revokes_this_token_only(api, user):
    phone = login(api, user.username).json()["token"]
    laptop = login(api, user.username).json()["token"]
    assert with_token(phone).post("/api/v1/auth/logout/").status_code == 204
    assert with_token(phone).get("/api/v1/auth/me/").status_code == 401
    assert with_token(laptop).get("/api/v1/auth/me/").status_code == 200


def test_logout_all_revokes_every_token_of_the_user_and_no_one_elses(api, user, resident_a):
    tokens = [login(api, user.username).json()["token"] for _ in range(3)]
    resident_a.set_password(PASSWORD)
    resident_a.save()
    other = login(api, resident_a.username).json()["token"]
    assert with_token(tokens[0]).post("/api/v1/auth/logout-all/").status_code == 204
    for token in tokens:
        assert with_token(token).get("/api/v1/auth/me/").status_code == 401
    assert with_token(other).get("/api/v1/auth/me/").status_code == 200


def test_logout_needs_a_token(api):
    assert api.post("/api/v1/auth/logout/").status_code == 401
    assert api.post("/api/v1/auth/logout-all/").status_code == 401


def test_expired_tokens_are_purged(api, user):
    login(api, user.username)
    live = login(api, user.username).json()["token"]
    AuthToken.objects.filter(pk=AuthToken.objects.order_by("created").first().pk).update(
        expiry=timezone.now() - timedelta(seconds=1)
    )
    assert purge_expired_tokens() == 1
    assert AuthToken.objects.count() == 1
    assert with_token(live).get("/api/v1/auth/me/").status_code == 200


def test_a_deactivated_user_loses_api_access(api, user):
    token = login(api, user.username).json()["token"]
    user.is_active = False
    user.save()
    assert with_token(token).get("/api/v1/auth/me/").status_code == 401


# -- lockout (django-axes) and throttles on every login path ---------------------------------


def test_five_failures_lock_the_username_out_from_that_address(api, user, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    codes = [login(api, user.username, "wrong").status_code for _ in range(5)]
    assert codes == [400, 400, 400, 400, 429]
    locked = login(api, user.username)  # even the right password, during the cool-off
    assert locked.status_code == 429
    body = locked.json()
    assert body["code"] == "login_locked_out"
    assert body["retry_after_seconds"] == 15 * 60
    assert locked["Retry-After"] == "900"
    # The lock is for that username from that address, whatever the case of the name.
    assert login(api, user.username.upper()).status_code == 429
    # The same resident from another address logs in: nobody can lock them out from afar.
    assert login(api, user.username, REMOTE_ADDR="198.51.100.7").status_code == 200
    # After the cool-off, the right password works again from the first address.
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert login(api, user.username).status_code == 200


def test_a_success_resets_the_count(api, user):
    for _ in range(4):
        assert login(api, user.username, "wrong").status_code == 400
    assert login(api, user.username).status_code == 200
    for _ in range(4):
        assert login(api, user.username, "wrong").status_code == 400
    assert login(api, user.username).status_code == 200


def test_a_spoofed_forwarded_for_does_not_escape_the_lockout(api, user):
    codes = [
        login(api, user.username, "wrong", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}").status_code
        for n in range(6)
    ]
    assert codes == [400, 400, 400, 400, 429, 429]


def test_behind_a_trusted_proxy_the_forwarded_address_counts(api, user, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    for _ in range(5):
        login(api, user.username, "wrong", HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert login(api, user.username, HTTP_X_FORWARDED_FOR="203.0.113.5").status_code == 429
    assert login(api, user.username, HTTP_X_FORWARDED_FOR="203.0.113.6").status_code == 200


def admin_login(client, username, password):
    return client.post("/admin/login/?next=/admin/", {"username": username, "password": password})


def test_the_admin_login_locks_out_too(client, admin_user):
    for _ in range(5):
        assert admin_login(client, "admin", "wrong").status_code in (200, 429)
    locked = admin_login(client, "admin", "password")
    assert locked.status_code == 429
    assert "15" in locked.content.decode()
    assert admin_login(client, "admin", "password").status_code == 429


def test_the_browsable_api_login_locks_out_too(client, user):
    for _ in range(5):
        client.post("/api-auth/login/", {"username": user.username, "password": "wrong"})
    locked = client.post("/api-auth/login/", {"username": user.username, "password": PASSWORD})
    assert locked.status_code == 429


def test_one_lockout_counts_failures_from_every_path(api, client, user):
    for _ in range(2):
        login(api, user.username, "wrong")
    for _ in range(2):
        client.post("/api-auth/login/", {"username": user.username, "password": "wrong"})
    admin_login(client, user.username, "wrong")
    assert login(api, user.username).status_code == 429


@pytest.mark.parametrize("path", ["/admin/login/", "/api-auth/login/"])
def test_login_forms_spend_the_addresses_auth_budget(client, path, settings):
    from rest_framework.settings import api_settings
    from rest_framework.throttling import SimpleRateThrottle

    SimpleRateThrottle.THROTTLE_RATES = {"auth": "3/minute", "verify": "3/minute"}
    try:
        codes = [
            client.post(path, {"username": f"nobody{n}", "password": "x"}).status_code
            for n in range(5)
        ]
    finally:
        SimpleRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    assert codes[:3] == [200, 200, 200]  # the form again, with its error
    assert codes[3:] == [429, 429]
