from __future__ import annotations

import itertools

from ledger.models import Earmark, ProjectAdministration
from ledger.services import earmark_get_or_create, project_get_or_create

_seq = itertools.count(1)


def project(
    code: str = "BC-RIV", name: str = "Buurtcoöperatie Rivierenwijk"
) -> ProjectAdministration:
    return project_get_or_create(ref=f"test:{code}", code=code, name=name)


def pot(
    name: str = "Buurtfonds Rivierenwijk",
    kind: str = "fund",
    proj: ProjectAdministration | None = None,
) -> Earmark:
    return earmark_get_or_create(
        ref=f"test-pot:{next(_seq)}", kind=kind, name=name, project=proj or project()
    )


def application(parent: Earmark, name: str = "Aanvraag") -> Earmark:
    n = next(_seq)
    return earmark_get_or_create(
        ref=f"test-app:{n}", kind="application", name=f"{name} {n}", parent=parent
    )
