"""The admin is scoped per cooperative, and roles cannot grow themselves.

Staff of one cooperative see and change only their own cooperative's objects; the structure
(cooperatives, their buurten, roles, representatives) changes only by a superuser or a board
member of the city cooperative, audited. Ending a person's last role takes the admin away.
"""

import pytest
from django.contrib import admin

from community.audit import audit_log
from community.models import (
    AuditEvent,
    Cooperative,
    MemberOrganisation,
    Membership,
    ResidenceCode,
    Residency,
    User,
)
from community.services import membership_end, membership_grant
from grants.models import Application, Fund
from tests.community.factories import UserFactory
from tests.grants.factories import advance, make_application, make_fund, resident_of

pytestmark = pytest.mark.django_db

ROLES = ("coordinator", "board", "treasurer")


def staff(cooperative, role):
    user = UserFactory()
    membership_grant(user=user, cooperative=cooperative, role=role, acting_user=None)
    return user


@pytest.fixture
def world(coop_a, coop_b):
    """Two cooperatives, each with a fund, applications, a member organisation, residents
    (codes and residencies) and audit events; their staff in every role."""
    city = coop_a.parent
    for coop in (coop_a, coop_b):
        fund = make_fund(coop, coop.neighbourhoods.get())
        advance(make_application(fund), "paid")
        resident_of(fund)
        organisation = MemberOrganisation.objects.create(
            cooperative=coop, name=f"Bewonersorganisatie {coop.pk}", member_kind="voting"
        )
        organisation.neighbourhoods.add(coop.neighbourhoods.get())
        audit_log(actor=None, action="test_event", obj=organisation)
    users = {(coop.pk, role): staff(coop, role) for coop in (coop_a, coop_b) for role in ROLES}
    return {"a": coop_a, "b": coop_b, "city": city, "users": users}


def owners(obj) -> set[int] | None:
    """Which cooperatives an object belongs to, worked out here by hand (None: reference
    data every staff member may read)."""
    if isinstance(obj, Cooperative):
        return {obj.pk}
    if isinstance(obj, (Membership, MemberOrganisation)):
        return {obj.cooperative_id}
    if isinstance(obj, (ResidenceCode, Residency)):
        return set(obj.neighbourhood.cooperatives.values_list("pk", flat=True))
    if isinstance(obj, AuditEvent):
        return {obj.cooperative_id}
    if isinstance(obj, Fund):
        return {obj.cooperative_id}
    if isinstance(obj, Application):
        return {obj.fund.cooperative_id}
    return None


SCOPED = {Cooperative, Membership, MemberOrganisation, ResidenceCode, Residency, AuditEvent}
SCOPED |= {Fund, Application}
# Outside community, board members read their cooperative's funds and applications; no
# other staff reach any other app's admin.
BOARD_READS = {Fund, Application}


def admin_url(model, suffix, *args):
    meta = model._meta
    tail = "/".join(str(a) for a in args)
    return f"/admin/{meta.app_label}/{meta.model_name}/{tail + '/' if tail else ''}{suffix}"


def test_every_changelist_and_change_view_as_each_role_of_two_cooperatives(client, world):
    assert AuditEvent.objects.filter(cooperative=world["a"]).exists()
    assert AuditEvent.objects.filter(cooperative=world["b"]).exists()
    walked = 0
    for (coop_id, role), user in world["users"].items():
        client.force_login(user)
        for model in admin.site._registry:
            changelist = client.get(admin_url(model, ""))
            objects = list(model._default_manager.all()[:200])
            if changelist.status_code == 403:
                for obj in objects[:20]:
                    assert client.get(admin_url(model, "change/", obj.pk)).status_code == 403
                continue
            assert changelist.status_code == 200, (model, role)
            assert model in SCOPED or owners(objects[0] if objects else None) is None, (
                f"{role} reads {model.__name__}, which has no scope"
            )
            listed = list(changelist.context["cl"].result_list)
            for obj in listed:
                belongs = owners(obj)
                assert belongs is None or coop_id in belongs, (model, role, obj)
            for obj in objects:
                belongs = owners(obj)
                status = client.get(admin_url(model, "change/", obj.pk)).status_code
                if belongs is None or coop_id in belongs:
                    assert status == 200, (model, role, obj)
                else:
                    assert status == 302, (model, role, obj)  # "does not exist", to the index
                    walked += 1
    assert walked > 50


def test_non_superuser_staff_never_reach_the_books_tokens_or_lockouts(client, world):
    outside = [m for m in admin.site._registry if m._meta.app_label != "community"]
    assert {m._meta.app_label for m in outside} >= {"grants", "ledger", "knox", "axes"}
    for (_, role), user in world["users"].items():
        client.force_login(user)
        for model in outside:
            expected = 200 if role == "board" and model in BOARD_READS else 403
            assert client.get(admin_url(model, "")).status_code == expected, (model, role)


def test_a_board_member_reads_funds_and_applications_but_changes_nothing(client, world):
    a = world["a"]
    client.force_login(world["users"][(a.pk, "board")])
    fund = Fund.objects.get(cooperative=a)
    application = Application.objects.get(fund=fund)
    page = client.get(admin_url(Application, "change/", application.pk))
    assert page.status_code == 200
    assert "approved" in page.content.decode()  # the history of status changes is shown
    assert "Save" not in page.content.decode() and "Opslaan" not in page.content.decode()
    posted = client.post(admin_url(Fund, "change/", fund.pk), {"name": "Anders", "quorum": 1})
    assert posted.status_code == 403
    fund.refresh_from_db()
    assert fund.name != "Anders"


def test_a_board_member_cannot_annex_another_cooperative_or_promote_their_own(client, world):
    a, b = world["a"], world["b"]
    client.force_login(world["users"][(a.pk, "board")])
    annex = client.post(
        admin_url(Cooperative, "change/", b.pk),
        {"name": b.name, "slug": b.slug, "kind": "neighbourhood", "parent": a.pk},
    )
    assert annex.status_code in (302, 403)
    promote = client.post(
        admin_url(Cooperative, "change/", a.pk), {"name": a.name, "slug": a.slug, "kind": "city"}
    )
    assert promote.status_code == 403
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.kind, a.parent_id, b.parent_id) == (
        "neighbourhood",
        world["city"].pk,
        world["city"].pk,
    )
    # Viewing their own cooperative still works, read-only.
    assert client.get(admin_url(Cooperative, "change/", a.pk)).status_code == 200


def test_a_coordinator_cannot_make_themselves_a_representative(client, world):
    a, b = world["a"], world["b"]
    coordinator = world["users"][(a.pk, "coordinator")]
    client.force_login(coordinator)
    theirs = MemberOrganisation.objects.get(cooperative=b)
    ours = MemberOrganisation.objects.get(cooperative=a)
    form = {
        "name": ours.name,
        "cooperative": a.pk,
        "member_kind": "voting",
        "neighbourhoods": [a.neighbourhoods.get().pk],
        "representatives": [coordinator.pk],
        "active": "on",
    }
    assert client.post(admin_url(MemberOrganisation, "change/", theirs.pk), form).status_code == 302
    assert client.post(admin_url(MemberOrganisation, "change/", ours.pk), form).status_code == 302
    assert not theirs.representatives.exists()
    assert not ours.representatives.exists()
    # Nor move their organisation into another cooperative, or into another buurt.
    moved = client.post(
        admin_url(MemberOrganisation, "change/", ours.pk),
        {**form, "cooperative": b.pk, "neighbourhoods": [b.neighbourhoods.get().pk]},
    )
    assert moved.status_code == 200  # the form again, with its errors
    ours.refresh_from_db()
    assert ours.cooperative_id == a.pk


def test_a_city_board_member_changes_the_structure_and_it_is_audited(client, world):
    a, city = world["a"], world["city"]
    chair = staff(city, "board")
    resident = resident_of(a.funds.get())
    organisation = MemberOrganisation.objects.get(cooperative=a)
    client.force_login(chair)
    response = client.post(
        admin_url(MemberOrganisation, "change/", organisation.pk),
        {
            "name": organisation.name,
            "cooperative": a.pk,
            "member_kind": "voting",
            "neighbourhoods": [a.neighbourhoods.get().pk],
            "representatives": [resident.pk],
            "active": "on",
        },
    )
    assert response.status_code == 302
    assert list(organisation.representatives.all()) == [resident]
    event = AuditEvent.objects.get(action="member_organisation_changed")
    assert event.actor == chair and event.cooperative_id == a.pk
    assert event.data["representatives_added"] == [resident.username]

    new_board = UserFactory()
    added = client.post(
        admin_url(Membership, "add/"), {"user": new_board.pk, "cooperative": a.pk, "role": "board"}
    )
    assert added.status_code == 302
    new_board.refresh_from_db()
    assert new_board.is_staff
    granted = AuditEvent.objects.get(action="membership_granted", data__user=new_board.username)
    assert granted.actor == chair


def test_neighbourhood_staff_cannot_grant_roles(client, world):
    a = world["a"]
    board = world["users"][(a.pk, "board")]
    client.force_login(board)
    target = UserFactory()
    response = client.post(
        admin_url(Membership, "add/"), {"user": target.pk, "cooperative": a.pk, "role": "board"}
    )
    assert response.status_code == 403
    assert not Membership.objects.filter(user=target).exists()


def test_ending_the_last_role_takes_the_admin_away(client, world):
    a, city = world["a"], world["city"]
    chair = staff(city, "board")
    person = staff(a, "coordinator")
    membership_grant(user=person, cooperative=a, role="treasurer", acting_user=None)
    client.force_login(chair)
    first = Membership.objects.get(user=person, role="coordinator")
    client.post(
        admin_url(Membership, ""),
        {"action": "end_memberships", "_selected_action": [first.pk]},
    )
    person.refresh_from_db()
    assert person.is_staff  # still a treasurer
    assert not person.groups.filter(name="Coördinatoren").exists()
    second = Membership.objects.get(user=person, role="treasurer")
    client.post(
        admin_url(Membership, ""),
        {"action": "end_memberships", "_selected_action": [second.pk]},
    )
    person.refresh_from_db()
    assert not person.is_staff and not person.groups.exists()
    event = AuditEvent.objects.filter(action="membership_ended").latest("id")
    assert event.actor == chair and event.data["admin_access_removed"] is True
    client.force_login(person)
    assert client.get("/admin/").status_code == 302  # to the login page
    assert Membership.objects.filter(user=person).count() == 2  # the history stays


def test_only_structure_admins_end_roles(world):
    from community.errors import NotStructureAdmin

    a = world["a"]
    board = world["users"][(a.pk, "board")]
    coordinator = world["users"][(a.pk, "coordinator")]
    with pytest.raises(NotStructureAdmin):
        membership_end(membership=Membership.objects.get(user=coordinator), acting_user=board)
    assert Membership.objects.get(user=coordinator).active
    assert User.objects.get(pk=coordinator.pk).is_staff


def test_nobody_but_a_superuser_grants_themselves_a_role(client, world):
    """Found by an attack: a city board member made themselves city treasurer too."""
    city = world["city"]
    chair = staff(city, "board")
    client.force_login(chair)
    response = client.post(
        admin_url(Membership, "add/"),
        {"user": chair.pk, "cooperative": city.pk, "role": "treasurer"},
    )
    assert response.status_code in (200, 403)
    assert not Membership.objects.filter(user=chair, role="treasurer").exists()


def test_a_role_granted_again_after_it_ended_is_audited(world):
    a = world["a"]
    person = staff(a, "coordinator")
    membership = Membership.objects.get(user=person)
    membership_end(membership=membership, acting_user=None)
    membership_grant(user=person, cooperative=a, role="coordinator", acting_user=None)
    assert Membership.objects.get(pk=membership.pk).active
    assert (
        AuditEvent.objects.filter(action="membership_granted", data__user=person.username).count()
        == 2
    )
    assert User.objects.get(pk=person.pk).is_staff
