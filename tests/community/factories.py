from __future__ import annotations

import factory
from django.utils.text import slugify

from community import services
from community.models import Cooperative, Membership, Neighbourhood, User

PASSWORD = "a-long-test-password-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password(PASSWORD)


class CityCooperativeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cooperative
        django_get_or_create = ("slug",)

    name = "Stadscoöperatie Utrecht"
    slug = factory.LazyAttribute(lambda c: slugify(c.name))
    kind = Cooperative.Kind.CITY


class CooperativeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cooperative

    name = factory.Sequence(lambda n: f"Buurtcoöperatie {n}")
    slug = factory.LazyAttribute(lambda c: slugify(c.name))
    kind = Cooperative.Kind.NEIGHBOURHOOD
    parent = factory.SubFactory(CityCooperativeFactory)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    cooperative = factory.SubFactory(CooperativeFactory)
    role = Membership.Role.COORDINATOR


def neighbourhood(slug: str) -> Neighbourhood:
    """The buurten come from a data migration; tests look them up by slug."""
    return Neighbourhood.objects.get(slug=slug)


def make_resident(
    *, neighbourhood: Neighbourhood, coordinator: User, user: User | None = None
) -> User:
    """A verified resident, made the real way: a code issued and redeemed."""
    user = user or UserFactory()
    batch = services.residence_codes_issue(
        neighbourhood=neighbourhood, count=1, acting_user=coordinator
    )
    services.residency_verify(user=user, code=batch.codes[0])
    return user
