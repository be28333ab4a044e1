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


def make_books(year: int, entries: int, seed: int = 7) -> None:
    """A year of realistic books: deposits, reservations, grants, payouts, income, corrections."""
    import random
    from datetime import date, timedelta

    from ledger import postings
    from ledger.errors import InsufficientFunds
    from ledger.services import entry_reverse

    rng = random.Random(seed)
    fund = pot(name=f"Buurtfonds {year}-{seed}")
    start = date(year, 1, 1)
    postings.post_deposit(
        pot=fund,
        amount_cents=1_500_000,
        source="subsidy",
        idempotency_key=f"books:{seed}:dep",
        description='Storting "Initiatievenfonds"; Rivierenwijk',
        on=start,
    )
    made = 1
    while made < entries:
        day = start + timedelta(days=rng.randrange(0, 364))
        kind = rng.random()
        key = f"books:{seed}:{made}"
        if kind < 0.5:
            app = application(fund, name="Buurtbarbecue, Rijnlaan")
            amount = rng.randrange(5_000, 60_000)
            try:
                postings.post_reservation(
                    application=app, amount_cents=amount, idempotency_key=key + ":r", on=day
                )
            except InsufficientFunds:
                continue
            postings.post_event(
                postings.APPLICATION_EVENTS["commitment"],
                earmark=app,
                amount_cents=amount,
                idempotency_key=key + ":c",
                on=day,
            )
            postings.post_event(
                postings.APPLICATION_EVENTS["payout"],
                earmark=app,
                amount_cents=amount,
                idempotency_key=key + ":p",
                on=day,
            )
            made += 3
        elif kind < 0.8:
            source = rng.choice(["membership_fees", "sponsoring", "donations", "participants"])
            postings.post_income(
                source=source,
                amount_cents=rng.randrange(100, 90_000),
                idempotency_key=key,
                description=f"Ontvangst {source}",
                project_earmark=fund,
                on=day,
            )
            made += 1
        else:
            app = application(fund)
            postings.post_event(
                postings.PROCESSOR_EVENTS["crowdfunding"],
                earmark=app,
                amount_cents=rng.randrange(500, 10_000),
                idempotency_key=key,
                description="Crowdfunding",
                on=day,
            )
            entry = postings.post_event(
                postings.PROCESSOR_EVENTS["processor_fee"],
                earmark=app,
                amount_cents=rng.randrange(25, 300),
                idempotency_key=key + ":fee",
                description="Stripe fee",
                on=day,
            )
            entry_reverse(entry=entry, reason="fee teruggestort", on=day)
            made += 3
