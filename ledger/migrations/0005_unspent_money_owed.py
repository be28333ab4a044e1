"""Unspent money is owed before it is back.

Until now a report put the unspent amount back in the pot at once, against a receivable that
never cleared. From here a report only claims it (1300 against 4100) and the treasurer's
booking of its arrival puts it in the pot. Entries of the old shape get a correcting entry
(pot debit, 9110 credit) of the amount they put in the pot too early, so those pots hold
only money that is there and the receivable shows what is still owed.
"""

from django.db import migrations, models

from ledger.chart import BAD_DEBTS, CHART, FUND_POT, GRANT_REFUNDS_RECEIVABLE, INNOVATION_POT
from ledger.chart import WITHDRAWAL_FROM_FUNDS


def install_accounts(apps, schema_editor):
    Account = apps.get_model("ledger", "Account")
    for a in CHART:
        if a.code == BAD_DEBTS:
            Account.objects.get_or_create(
                code=a.code,
                defaults={"name": a.name, "type": a.type, "source": a.source, "rj640_line": a.rj640_line},
            )


def correct_early_returns(apps, schema_editor):
    # The posting function speaks SQL with account codes and ids only, so it works on the
    # historical models' rows too; it checks balance, periods and the lines' transaction.
    from ledger.services import Line, entry_post

    JournalEntry = apps.get_model("ledger", "JournalEntry")
    JournalLine = apps.get_model("ledger", "JournalLine")
    early = JournalEntry.objects.filter(
        kind="unspent_return",
        lines__account__code=GRANT_REFUNDS_RECEIVABLE,
        lines__side="D",
    ).distinct()
    for entry in early:
        for pot_line in JournalLine.objects.filter(
            entry=entry, side="C", account__code__in=[FUND_POT, INNOVATION_POT]
        ).select_related("account", "earmark", "project"):
            entry_post(
                lines=[
                    Line(pot_line.account.code, "D", pot_line.amount_cents,
                         earmark=pot_line.earmark, project=pot_line.project),
                    Line(WITHDRAWAL_FROM_FUNDS, "C", pot_line.amount_cents,
                         earmark=pot_line.earmark, project=pot_line.project),
                ],
                idempotency_key=f"correction:unspent-owed:{entry.pk}:{pot_line.pk}",
                kind="unspent_return",
                description=f"Correctie: nog niet terug ontvangen (boeking {entry.pk})",
            )


class Migration(migrations.Migration):
    dependencies = [("ledger", "0004_lines_only_with_their_entry")]

    operations = [
        migrations.AlterField(
            model_name="journalentry",
            name="kind",
            field=models.CharField(
                choices=[
                    ("deposit", "deposit into a fund"),
                    ("reservation", "reservation"),
                    ("release", "release of a reservation"),
                    ("commitment", "commitment"),
                    ("cancellation", "cancellation of a commitment"),
                    ("payout", "payout"),
                    ("unspent_claim", "unspent money owed back"),
                    ("unspent_return", "unspent money returned"),
                    ("write_off", "owed money written off"),
                    ("crowdfunding", "crowdfunding received"),
                    ("processor_fee", "payment processor fee"),
                    ("refund", "refund"),
                    ("processor_payout", "payment processor payout to the bank"),
                    ("income", "income received"),
                    ("manual", "manual entry"),
                ],
                max_length=20,
                verbose_name="kind",
            ),
        ),
        migrations.RunPython(install_accounts, migrations.RunPython.noop),
        migrations.RunPython(correct_early_returns, migrations.RunPython.noop),
    ]
