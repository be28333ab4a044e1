from __future__ import annotations

import pytest
from django.conf import settings
from django.core.cache import cache
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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if ON_POSTGRES:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL; CI runs it with DATABASE_URL set")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


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
