"""One resident cannot empty a pot: a limit on open applications per applicant."""

import pytest

from community.models import MemberOrganisation
from grants import services
from tests.concurrency import run_in_parallel
from tests.conftest import client_for
from tests.grants.factories import (
    advance,
    coordinator_of,
    make_application,
    make_fund,
    resident_of,
    treasurer_of,
)


def submit(user, application):
    return client_for(user).post(f"/api/v1/applications/{application.pk}/submit/")


@pytest.fixture
def fund(coop_a, rivierenwijk):
    return make_fund(coop_a, rivierenwijk, deposit_cents=300_000)


@pytest.mark.django_db
def test_one_open_application_per_resident_by_default(fund):
    greedy = resident_of(fund)
    first = make_application(fund, applicant=greedy)
    second = make_application(fund, applicant=greedy)
    assert submit(greedy, first).status_code == 200
    refused = submit(greedy, second)
    assert refused.status_code == 409 and refused.json()["code"] == "too_many_open"
    neighbour = resident_of(fund)
    assert submit(neighbour, make_application(fund, applicant=neighbour)).status_code == 200
    services.application_decide(application=first, yes=0, no=3)  # rejected: no longer open
    assert submit(greedy, second).status_code == 200


@pytest.mark.django_db
def test_approved_but_unpaid_counts_paid_does_not(fund):
    resident = resident_of(fund)
    approved = advance(make_application(fund, applicant=resident), "approved")
    later = make_application(fund, applicant=resident)
    assert submit(resident, later).json()["code"] == "too_many_open"
    services.application_pay(application=approved, acting_user=treasurer_of(fund.cooperative))
    assert submit(resident, later).status_code == 200


@pytest.mark.django_db
def test_paper_applications_count_for_the_resident_not_the_coordinator(fund):
    coordinator = coordinator_of(fund.cooperative)

    def paper(name):
        return make_application(fund, applicant=coordinator, paper_applicant_name=name)

    assert submit(coordinator, paper("Mevrouw De Vries")).status_code == 200
    assert submit(coordinator, paper("Meneer Jansen")).status_code == 200
    again = submit(coordinator, paper(" mevrouw de vries "))
    assert again.status_code == 409 and again.json()["code"] == "too_many_open"


@pytest.mark.django_db
def test_an_organisation_counts_as_one_applicant(fund, coop_a):
    one, two = resident_of(fund), resident_of(fund)
    bbbo = MemberOrganisation.objects.create(
        name="Bewonersvereniging", cooperative=coop_a, member_kind="voting"
    )
    bbbo.neighbourhoods.add(fund.neighbourhood)
    bbbo.representatives.add(one, two)
    assert submit(one, make_application(fund, applicant=one, organisation=bbbo)).status_code == 200
    second = submit(two, make_application(fund, applicant=two, organisation=bbbo))
    assert second.json()["code"] == "too_many_open"
    assert submit(two, make_application(fund, applicant=two)).status_code == 200  # as herself


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_submits_by_one_resident_open_one(coop_a, rivierenwijk):
    fund = make_fund(coop_a, rivierenwijk, deposit_cents=3_000_000)
    resident = resident_of(fund)
    drafts = [make_application(fund, applicant=resident) for _ in range(8)]
    results = run_in_parallel(
        [
            (lambda d=d: services.application_submit(application=d, acting_user=resident))
            for d in drafts
        ]
    )
    opened = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if getattr(r, "code", None) == "too_many_open"]
    assert len(opened) == 1 and len(refused) == 7, results
