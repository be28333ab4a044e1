"""Register, get a token, use it; failures are audited and rate-limited."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from community.models import AuditEvent, User

pytestmark = pytest.mark.django_db


def test_register_then_token_then_me(api):
    created = api.post(
        "/api/v1/auth/register/",
        {"username": "anouk", "email": "anouk@example.org", "password": "zonnebloem-1987"},
        format="json",
    )
    assert created.status_code == 201
    assert created.json()["username"] == "anouk"
    assert "password" not in created.json()

    token = api.post(
        "/api/v1/auth/token/", {"username": "anouk", "password": "zonnebloem-1987"}, format="json"
    )
    assert token.status_code == 200
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")
    me = client.get("/api/v1/auth/me/").json()
    assert me["username"] == "anouk"
    assert me["roles"] == []
    assert me["residency"] is None
    assert AuditEvent.objects.filter(action="user_registered", object_id=str(me["id"])).exists()


def test_duplicate_username_is_refused_case_insensitively(api, user):
    response = api.post(
        "/api/v1/auth/register/",
        {
            "username": user.username.upper(),
            "email": "x@example.org",
            "password": "zonnebloem-1987",
        },
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert response.json() == {
        "code": "username_taken",
        "detail": "A user with that username already exists.",
    }
    assert User.objects.count() == 1


def test_weak_password_is_a_field_error(api):
    response = api.post(
        "/api/v1/auth/register/",
        {"username": "piet", "email": "piet@example.org", "password": "12345678"},
        format="json",
    )
    assert response.status_code == 400
    assert "password" in response.json()["fields"]
    assert not User.objects.filter(username="piet").exists()


def test_wrong_password_is_refused_and_audited_without_the_password(api, user):
    response = api.post(
        "/api/v1/auth/token/", {"username": user.username, "password": "wrong-guess"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_credentials"
    event = AuditEvent.objects.get(action="login_failed")
    assert event.data == {"username": user.username}
    assert "wrong-guess" not in str(event.data)


def test_auth_endpoints_are_throttled(api, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"auth": "3/minute", "verify": "3/minute"},
    }
    cache.clear()
    from rest_framework.throttling import ScopedRateThrottle

    ScopedRateThrottle.THROTTLE_RATES = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    try:
        responses = [
            api.post("/api/v1/auth/token/", {"username": "x", "password": "y"}, format="json")
            for _ in range(4)
        ]
    finally:
        from rest_framework.settings import api_settings

        ScopedRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
        cache.clear()
    assert [r.status_code for r in responses] == [400, 400, 400, 429]
    assert responses[-1].json()["code"] == "throttled"
    assert "Retry-After" in responses[-1].headers


def test_a_spoofed_forwarded_for_header_does_not_reset_the_throttle(api, settings):
    from rest_framework.settings import api_settings
    from rest_framework.throttling import ScopedRateThrottle

    cache.clear()
    ScopedRateThrottle.THROTTLE_RATES = {"auth": "3/minute", "verify": "3/minute"}
    try:
        codes = [
            api.post(
                "/api/v1/auth/token/",
                {"username": "x", "password": "y"},
                format="json",
                HTTP_X_FORWARDED_FOR=f"10.0.0.{n}",
            ).status_code
            for n in range(13)
        ]
    finally:
        ScopedRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
        cache.clear()
    assert codes == [400, 400, 400] + [429] * 10
