"""The audit trail only grows: nobody edits or deletes an event, not even with raw SQL."""

import pytest
from django.db import IntegrityError, connections, transaction

from community.audit import audit_log
from community.models import AuditEvent
from tests.community.factories import UserFactory
from tests.conftest import AS_OWNER, OWNER_ALIAS, client_for

pytestmark = pytest.mark.django_db


def test_secrets_never_reach_the_audit_trail(user):
    event = audit_log(
        actor=user, action="x", data={"password": "p", "code": "c", "iban": "NL..", "count": 3}
    )
    assert event.data == {"count": 3}


def test_events_cannot_be_changed_or_deleted_through_the_orm(user):
    event = audit_log(actor=user, action="something")
    event.action = "something else"
    with pytest.raises(ValueError):
        event.save()
    with pytest.raises(ValueError):
        event.delete()


def test_a_permission_denial_is_audited(coordinator_b, rivierenwijk):
    response = client_for(coordinator_b).post(
        f"/api/v1/neighbourhoods/{rivierenwijk.pk}/voting-codes/", {"count": 1}, format="json"
    )
    assert response.status_code == 403
    event = AuditEvent.objects.get(action="permission_denied")
    assert event.actor == coordinator_b
    assert event.data["error"] == "not_coordinator"
    assert event.data["path"] == f"/api/v1/neighbourhoods/{rivierenwijk.pk}/voting-codes/"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, databases=AS_OWNER)
def test_the_database_rejects_update_and_delete_of_audit_events_even_for_the_owner():
    """The application's role may not even try (tests/backend/test_database_roles.py); the
    trigger refuses whoever may."""
    event = audit_log(actor=UserFactory(), action="residency_verified", data={"n": 1})
    for sql in (
        "UPDATE community_auditevent SET action = 'forged' WHERE id = %s",
        "DELETE FROM community_auditevent WHERE id = %s",
    ):
        with (
            pytest.raises(IntegrityError, match="append-only"),
            transaction.atomic(using=OWNER_ALIAS),
            connections[OWNER_ALIAS].cursor() as cursor,
        ):
            cursor.execute(sql, [event.pk])
    event.refresh_from_db()
    assert event.action == "residency_verified"


@pytest.mark.postgres
def test_deleting_a_user_keeps_their_events_without_the_name():
    person = UserFactory()
    event = audit_log(actor=person, action="user_registered", obj=person)
    person.delete()
    event.refresh_from_db()
    assert event.actor is None
    assert event.action == "user_registered"
