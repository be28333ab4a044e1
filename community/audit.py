"""Writing the audit trail. Every service that changes something calls :func:`audit_log`."""

from __future__ import annotations

from typing import Any

from django.db import models

from .models import AuditEvent, Cooperative, Neighbourhood, User

# Keys that must never reach the audit trail, whatever a caller passes.
_SECRET_KEYS = frozenset(
    {"password", "code", "codes", "token", "receipt", "iban", "payee_iban", "client_secret", "card"}
)


def audit_log(
    *,
    actor: User | None,
    action: str,
    obj: models.Model | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit event. Secret-looking keys in ``data`` are dropped."""
    event = audit_event(actor=actor, action=action, obj=obj, data=data)
    event.save()
    return event


def audit_event(
    *,
    actor: User | None,
    action: str,
    obj: models.Model | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """An unsaved audit event, for services that write many at once (``bulk_create``)."""
    clean = {k: v for k, v in (data or {}).items() if k.lower() not in _SECRET_KEYS}
    return AuditEvent(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        data=clean,
        cooperative_id=cooperative_of(obj),
    )


def cooperative_of(obj: models.Model | None) -> int | None:
    """The cooperative an object belongs to: its own, its fund's or application's, or the
    neighbourhood cooperative covering its buurt. None for city-wide objects."""
    if obj is None:
        return None
    if isinstance(obj, Cooperative):
        return obj.pk
    for path in ("cooperative_id", "fund", "application"):
        value = getattr(obj, path, None)
        if path == "cooperative_id" and value is not None:
            return int(value)
        if isinstance(value, models.Model):
            return cooperative_of(value)
    neighbourhood = getattr(obj, "neighbourhood", None)
    if isinstance(neighbourhood, Neighbourhood):
        return (
            Cooperative.objects.filter(
                neighbourhoods=neighbourhood, kind=Cooperative.Kind.NEIGHBOURHOOD
            )
            .values_list("pk", flat=True)
            .first()
        )
    return None
