"""The admin speaks Dutch to coordinators and board members; audit events are read-only there."""

import pytest

from community.audit import audit_log
from community.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, django_user_model):
    staff = django_user_model.objects.create_superuser(
        "beheer", "beheer@example.org", "x-long-password-9"
    )
    client.force_login(staff)
    return client


def test_admin_index_shows_dutch_labels(admin_client):
    page = admin_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    for label in ("Mensen en plaatsen", "Buurten", "Coöperaties", "Bewonerscodes", "Auditregels"):
        assert label in page


def test_audit_events_cannot_be_added_changed_or_deleted_in_the_admin(admin_client, user):
    event = audit_log(actor=user, action="residency_verified")
    assert admin_client.get(f"/admin/community/auditevent/{event.pk}/change/").status_code == 200
    assert admin_client.get("/admin/community/auditevent/add/").status_code == 403
    post = admin_client.post(
        f"/admin/community/auditevent/{event.pk}/change/", {"action": "forged"}
    )
    assert post.status_code == 403
    delete = admin_client.post(f"/admin/community/auditevent/{event.pk}/delete/", {"post": "yes"})
    assert delete.status_code == 403
    assert AuditEvent.objects.get(pk=event.pk).action == "residency_verified"


def test_a_coordinator_works_in_the_admin_within_their_role(client, coop_a, user):
    from community.services import membership_grant

    membership_grant(user=user, cooperative=coop_a, role="coordinator", acting_user=None)
    client.force_login(user)
    assert client.get("/admin/community/memberorganisation/add/").status_code == 200
    assert client.get("/admin/community/residencecode/").status_code == 200
    assert client.get("/admin/community/user/").status_code == 403  # no account management
    assert AuditEvent.objects.filter(action="membership_granted").count() == 1
