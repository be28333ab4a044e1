from __future__ import annotations

import os
import shutil

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.test import TransactionTestCase
from rest_framework.test import APIClient

from community.models import Neighbourhood, Wijk
from community.places import install_places
from ledger.services import chart_install
from tests.community.factories import (
    CooperativeFactory,
    MembershipFactory,
    UserFactory,
    make_resident,
    neighbourhood,
)

ON_POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
# With DATABASE_OWNER_URL the suite runs as the application's role, and the owner of the
# tables is the "owner" alias; with one role both are "default".
OWNER_ALIAS = "owner" if "owner" in settings.DATABASES else "default"
AS_OWNER = sorted({"default", OWNER_ALIAS})  # django_db(databases=AS_OWNER) to use the owner
_APP_LOGIN = {key: settings.DATABASES["default"].get(key) for key in ("USER", "PASSWORD")}


def _connect_default_as(alias_login: dict) -> None:
    """Reconnect the default alias (every thread's next connection) with another role."""
    if OWNER_ALIAS == "default":
        return
    connections["default"].close()
    connections["default"].settings_dict.update(alias_login)


def _owner_login() -> dict:
    return {key: settings.DATABASES[OWNER_ALIAS].get(key) for key in ("USER", "PASSWORD")}


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings):
    """pytest-django creates and migrates the test database: the owner does that."""
    _connect_default_as(_owner_login())


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup):
    """The tests run as the application's role; the owner drops the database at the end."""
    _connect_default_as(_APP_LOGIN)
    yield
    _connect_default_as(_owner_login())


@pytest.fixture(scope="session", autouse=True)
def _flush_as_owner():
    """A test with real transactions ends by emptying every table (TRUNCATE): the owner's."""
    original = TransactionTestCase._fixture_teardown

    def fixture_teardown(self):
        _connect_default_as(_owner_login())
        try:
            original(self)
        finally:
            _connect_default_as(_APP_LOGIN)

    TransactionTestCase._fixture_teardown = fixture_teardown
    yield
    TransactionTestCase._fixture_teardown = original


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL; CI runs it with DATABASE_URL set")
    skip_ls = pytest.mark.skip(
        reason="needs localstripe at LOCALSTRIPE_URL; CI runs it in a private network namespace"
    )
    skip_browser = pytest.mark.skip(reason="needs Debian's chromium; CI installs it")
    skip_e2e = pytest.mark.skip(reason="needs the running stack of .ci/e2e (E2E_BASE_URL)")
    skip_faults = pytest.mark.skip(
        reason="fault tests (kill -9, PostgreSQL restarts) run with FAULTS=1: .ci/faults"
    )
    has_browser = shutil.which("chromium") or shutil.which("chromium-browser")
    for item in items:
        if "browser" in item.keywords and not has_browser:
            item.add_marker(skip_browser)
        if "postgres" in item.keywords and not ON_POSTGRES:
            item.add_marker(skip_pg)
        if "localstripe" in item.keywords and not os.environ.get("LOCALSTRIPE_URL"):
            item.add_marker(skip_ls)
        if "e2e" in item.keywords and not os.environ.get("E2E_BASE_URL"):
            item.add_marker(skip_e2e)
        if "faults" in item.keywords and os.environ.get("FAULTS") != "1":
            item.add_marker(skip_faults)


@pytest.fixture(autouse=True)
def _reference_data(request):
    """Tests with real transactions flush the tables, migration data included: put it back."""
    marker = request.node.get_closest_marker("django_db")
    if marker and marker.kwargs.get("transaction"):
        request.getfixturevalue("transactional_db")
        install_places(Wijk, Neighbourhood)
        chart_install()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttle counts live in the cache: one test's requests must not throttle the next."""
    cache.clear()


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def rivierenwijk():
    return neighbourhood("dichterswijk-en-rivierenwijk")


@pytest.fixture
def lunetten():
    return neighbourhood("lunetten")


@pytest.fixture
def coop_a(rivierenwijk):
    """Cooperative A covers Rivierenwijk."""
    coop = CooperativeFactory(name="Buurtcoöperatie A")
    coop.neighbourhoods.add(rivierenwijk)
    return coop


@pytest.fixture
def coop_b(lunetten):
    """Cooperative B covers Lunetten."""
    coop = CooperativeFactory(name="Buurtcoöperatie B")
    coop.neighbourhoods.add(lunetten)
    return coop


@pytest.fixture
def coordinator_a(coop_a):
    return MembershipFactory(cooperative=coop_a, role="coordinator").user


@pytest.fixture
def coordinator_b(coop_b):
    return MembershipFactory(cooperative=coop_b, role="coordinator").user


@pytest.fixture
def user():
    return UserFactory()


@pytest.fixture
def resident_a(rivierenwijk, coordinator_a):
    return make_resident(neighbourhood=rivierenwijk, coordinator=coordinator_a)
