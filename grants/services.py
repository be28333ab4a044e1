"""Writes of the grants domain. (Funds and applications arrive with their own issue.)"""

from __future__ import annotations

from community.models import Cooperative
from ledger.models import ProjectAdministration
from ledger.services import project_get_or_create


def cooperative_project(*, cooperative: Cooperative) -> ProjectAdministration:
    """The project administration of a cooperative inside the one legal administration."""
    return project_get_or_create(
        ref=f"cooperative:{cooperative.pk}",
        code=cooperative.slug.upper()[:20],
        name=cooperative.name,
    )
