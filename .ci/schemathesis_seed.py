"""Users, data and API tokens for .ci/schemathesis (run after migrate and seed_demo).

Cooperative A is seed_demo's buurtcooperative (Dichterswijk en Rivierenwijk); cooperative B
(Overvecht Noord) is added here, so that the cross-user replay has a resident, an applicant
and staff of another buurt and another cooperative to try every object URL with.

Writes ``{"<who>": "<token>"}`` to TOKENS.json (mode 600), and to OBJECTS.json the private
objects made here, per owner (``{"<who>": ["/api/v1/...", ...]}``), which the replay tries
with everyone else's token whether or not schemathesis happened to reach them.
Usage: DJANGO_SETTINGS_MODULE=... python .ci/schemathesis_seed.py TOKENS.json OBJECTS.json
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402
from knox.models import AuthToken  # noqa: E402

from community.models import Cooperative, Membership, Neighbourhood, User  # noqa: E402
from community.selectors import current_residency  # noqa: E402
from community.services import (  # noqa: E402
    membership_grant,
    residence_codes_issue,
    residency_verify,
)
from grants.models import Application, Fund, PayoutBatch  # noqa: E402
from grants.payouts import payout_batch_create  # noqa: E402
from grants.services import application_create, fund_create, fund_deposit  # noqa: E402

COOP_A = "buurtcooperatie-dichterswijk-rivierenwijk"
COOP_B = "buurtcooperatie-overvecht-noord"
BUURT_A = "dichterswijk-en-rivierenwijk"
BUURT_B = "overvecht-noord"

# The five roles schemathesis runs as (cooperative A), then the other cooperative's people.
ROLES = {
    "resident": "demo-resident",
    "applicant": "schema-applicant",
    "coordinator": "demo-coordinator",
    "board": "demo-board",
    "treasurer": "demo-treasurer",
    "resident_b": "schema-b-resident",
    "applicant_b": "schema-b-applicant",
    "coordinator_b": "schema-b-coordinator",
    "board_b": "schema-b-board",
    "treasurer_b": "schema-b-treasurer",
}


def user(username: str, password: str) -> User:
    found, created = User.objects.get_or_create(
        username=username, defaults={"email": f"{username}@buurtfonds.invalid"}
    )
    if created:
        found.set_password(password)
        found.save(update_fields=["password"])
    return found


def verify(residents: list[User], buurt: Neighbourhood, coordinator: User) -> None:
    todo = [r for r in residents if current_residency(user=r) is None]
    if todo:
        batch = residence_codes_issue(neighbourhood=buurt, count=len(todo), acting_user=coordinator)
        for resident, code in zip(todo, batch.codes, strict=True):
            residency_verify(user=resident, code=code)


def draft(fund: Fund, applicant: User, title: str) -> Application:
    found = Application.objects.filter(fund=fund, applicant=applicant).first()
    return found or application_create(
        fund=fund,
        acting_user=applicant,
        title=title,
        summary="Een concept dat alleen de aanvrager en de staf zien.",
        amount_requested_cents=20_000,
        total_budget_cents=21_000,
        own_contribution_cents=1_000,
        payee_name="Stichting Proef",
        payee_iban="NL91ABNA0417164300",
    )


@transaction.atomic
def seed(password: str) -> tuple[dict[str, str], dict[str, list[str]]]:
    coop_a = Cooperative.objects.get(slug=COOP_A)
    buurt_a = Neighbourhood.objects.get(slug=BUURT_A)
    buurt_b = Neighbourhood.objects.get(slug=BUURT_B)
    coop_b, _ = Cooperative.objects.get_or_create(
        slug=COOP_B,
        defaults={
            "name": "Buurtcoöperatie Overvecht Noord",
            "kind": Cooperative.Kind.NEIGHBOURHOOD,
            "parent": coop_a.parent,
            "iban": "NL20INGB0001234567",
            "bic": "INGBNL2A",
            "bank_account_name": "Buurtcoöperatie Overvecht Noord",
        },
    )
    coop_b.neighbourhoods.add(buurt_b)
    for role in ("coordinator", "board", "treasurer"):
        membership_grant(
            user=user(ROLES[f"{role}_b"], password),
            cooperative=coop_b,
            role=getattr(Membership.Role, role.upper()),
            acting_user=None,
        )
    coordinator_a = User.objects.get(username=ROLES["coordinator"])
    coordinator_b = User.objects.get(username=ROLES["coordinator_b"])
    applicant_a = user(ROLES["applicant"], password)
    verify([applicant_a], buurt_a, coordinator_a)
    residents_b = [user(ROLES["resident_b"], password), user(ROLES["applicant_b"], password)]
    verify(residents_b, buurt_b, coordinator_b)

    fund_a = Fund.objects.get(cooperative=coop_a, name="Buurtfonds Rivierenwijk")
    fund_b = Fund.objects.filter(cooperative=coop_b).first()
    if fund_b is None:
        fund_b = fund_create(
            acting_user=User.objects.get(username=ROLES["board_b"]),
            cooperative=coop_b,
            name="Buurtfonds Overvecht Noord",
            kind=Fund.Kind.BUURTFONDS,
            neighbourhood=buurt_b,
            max_request_cents=50_000,
            quorum=3,
        )
    fund_deposit(
        fund=fund_b,
        amount_cents=500_000,
        source="subsidy",
        reference="SCHEMA-OVERVECHT-2026",
        acting_user=User.objects.get(username=ROLES["treasurer_b"]),
    )
    draft_a = draft(fund_a, applicant_a, "Concept: plantenbakken Rijnlaan")
    draft_b = draft(fund_b, residents_b[1], "Concept: buurtkast Overvecht")
    # A payout batch of cooperative A's treasurer, for the approved demo application.
    treasurer_a = User.objects.get(username=ROLES["treasurer"])
    batch = PayoutBatch.objects.filter(cooperative=coop_a).first()
    if batch is None:
        approved = Application.objects.get(fund=fund_a, status=Application.Status.APPROVED)
        batch = payout_batch_create(
            acting_user=treasurer_a,
            application_ids=[approved.pk],
            execution_date=timezone.localdate(),
        )
    api = "/api/v1"
    objects = {
        "applicant": [
            f"{api}/applications/{draft_a.pk}/",
            f"{api}/applications/{draft_a.pk}/checks/",
        ],
        "applicant_b": [f"{api}/applications/{draft_b.pk}/"],
        "treasurer": [f"{api}/payouts/{batch.pk}/"],
        "coordinator": [f"{api}/neighbourhoods/{buurt_a.pk}/voting-codes/"],
        "coordinator_b": [f"{api}/neighbourhoods/{buurt_b.pk}/voting-codes/"],
    }

    tokens = {}
    for who, username in ROLES.items():
        _, token = AuthToken.objects.create(user=User.objects.get(username=username))
        tokens[who] = token
    return tokens, objects


def main() -> None:
    password = settings.DEMO_PASSWORD
    if not password:
        sys.exit("DEMO_PASSWORD is not set")
    out, objects_out = Path(sys.argv[1]), Path(sys.argv[2])
    tokens, objects = seed(password)
    out.touch(mode=0o600)
    os.chmod(out, 0o600)
    out.write_text(json.dumps(tokens, indent=2))
    objects_out.write_text(json.dumps(objects, indent=2))
    print(f"tokens for {', '.join(tokens)} in {out}; private objects in {objects_out}")


if __name__ == "__main__":
    main()
