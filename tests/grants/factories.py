"""Funds and applications built through the real services, never by setting a status by hand."""

from __future__ import annotations

import itertools
from typing import Any

from community.models import Cooperative, Neighbourhood, User
from grants import services
from grants.models import Application, Fund
from tests.community.factories import MembershipFactory, UserFactory, make_resident

IBAN = "NL91ABNA0417164300"
_refs = itertools.count(1)


def board_of(coop: Cooperative) -> User:
    member = coop.memberships.filter(role="board").first()
    return member.user if member else MembershipFactory(cooperative=coop, role="board").user


def treasurer_of(coop: Cooperative) -> User:
    member = coop.memberships.filter(role="treasurer").first()
    return member.user if member else MembershipFactory(cooperative=coop, role="treasurer").user


def coordinator_of(coop: Cooperative) -> User:
    member = coop.memberships.filter(role="coordinator").first()
    return member.user if member else MembershipFactory(cooperative=coop, role="coordinator").user


def make_fund(
    coop: Cooperative, neighbourhood: Neighbourhood, deposit_cents: int = 1_500_000, **settings: Any
) -> Fund:
    settings.setdefault("max_request_cents", 75_000)
    settings.setdefault("quorum", 3)
    fund = services.fund_create(
        acting_user=board_of(coop),
        cooperative=coop,
        name=f"Buurtfonds {neighbourhood.name}",
        kind=Fund.Kind.BUURTFONDS,
        neighbourhood=neighbourhood,
        **settings,
    )
    if deposit_cents:
        services.fund_deposit(
            fund=fund,
            amount_cents=deposit_cents,
            source="subsidy",
            reference=f"BANK-{next(_refs)}",
            acting_user=treasurer_of(coop),
        )
    return fund


def resident_of(fund: Fund) -> User:
    assert fund.neighbourhood is not None
    return make_resident(
        neighbourhood=fund.neighbourhood, coordinator=coordinator_of(fund.cooperative)
    )


def make_application(fund: Fund, applicant: User | None = None, **fields: Any) -> Application:
    fields.setdefault("title", "Buurtbarbecue aan de Rijnlaan")
    fields.setdefault("summary", "Een middag samen eten met de hele straat.")
    fields.setdefault("amount_requested_cents", 40_000)
    fields.setdefault("total_budget_cents", 50_000)
    fields.setdefault("own_contribution_cents", 5_000)
    fields.setdefault("payee_name", "Stichting Rijnlaan")
    fields.setdefault("payee_iban", IBAN)
    return services.application_create(
        fund=fund, acting_user=applicant or resident_of(fund), **fields
    )


def advance(application: Application, to: str) -> Application:
    """Walk an application through the real services to status ``to``."""
    fund = application.fund
    coop = fund.cooperative
    applicant = application.applicant
    steps = {
        "voting": ["submit"],
        "approved": ["submit", "approve"],
        "rejected": ["submit", "reject"],
        "withdrawn": ["withdraw"],
        "paid": ["submit", "approve", "pay"],
        "reported": ["submit", "approve", "pay", "report"],
        "closed": ["submit", "approve", "pay", "report", "close"],
        "cancelled": ["submit", "approve", "cancel"],
        "draft": [],
    }[to]
    for step in steps:
        if step == "submit":
            application = services.application_submit(
                application=application, acting_user=applicant
            )
        elif step == "approve":
            application = services.application_decide(
                application=application, yes=application.quorum or 3, no=0
            )
        elif step == "reject":
            application = services.application_decide(
                application=application, yes=0, no=application.quorum or 3
            )
        elif step == "withdraw":
            application = services.application_withdraw(
                application=application, acting_user=applicant
            )
        elif step == "pay":
            application = services.application_pay(
                application=application, acting_user=treasurer_of(coop)
            )
        elif step == "report":
            application = services.application_report(
                application=application,
                acting_user=applicant,
                summary="Gelukt",
                spent_cents=application.amount_requested_cents,
            )
        elif step == "close":
            application = services.application_close(
                application=application,
                acting_user=board_of(coop),
                evaluation="successful",
                note="Mooi",
            )
        elif step == "cancel":
            application = services.application_cancel(
                application=application, acting_user=board_of(coop)
            )
    assert application.status == to
    return application


__all__ = ["UserFactory", "advance", "make_application", "make_fund", "resident_of"]
