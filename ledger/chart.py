"""The chart of accounts, mapped onto RJ 640 (*staat van baten en lasten* and balance sheet).

Postings for each money event (all lines carry the cooperative's project
administration; ``pot`` is 3100 for a Buurtfonds and 3200 for an innovation
pot, ``reserved`` 3110 or 3210; the earmark is the fund or, below it, the
application):

==========================  =====================================  ==============================
money event                 debit                                  credit
==========================  =====================================  ==============================
subsidy received            1000 Bank                              8000 Subsidie gemeente
membership fee              1000 Bank                              8100 Contributies
sponsoring                  1000 Bank                              8200 Sponsoring
deposit into a fund         1000 Bank;                             8xxx income of its source;
                            9100 Toevoeging bestemmingsfondsen     pot
reservation                 pot                                    reserved
release                     reserved                               pot
commitment                  4100 Verstrekte bijdragen;             2100 Te betalen bijdragen;
                            reserved                               9110 Onttrekking bestemmingsf.
cancellation (commitment)   2100 Te betalen bijdragen;             4100 Verstrekte bijdragen;
                            9110 Onttrekking bestemmingsfondsen    pot
payout                      2100 Te betalen bijdragen              1000 Bank
unspent money owed (report) 1300 Terug te ontvangen bijdragen     4100 Verstrekte bijdragen
unspent money returned      1000 Bank;                             1300 Terug te ontvangen bijdr.;
                            9110 Onttrekking bestemmingsfondsen    pot
owed money written off      4400 Oninbare terugvorderingen         1300 Terug te ontvangen bijdr.
crowdfunding received       1100 Stripe-tussenrekening (net);      8400 Crowdfunding
                            4300 Betalingskosten (the fee)
top-ups paid to the project 4100 Verstrekte bijdragen              1000 Bank
processor fee               4300 Betalingskosten                   1100 Stripe-tussenrekening
refund                      8400 Crowdfunding                      1100 Stripe-tussenrekening
processor payout            1000 Bank                              1100 Stripe-tussenrekening
==========================  =====================================  ==============================

Why the appropriation lines (9100/9110): under RJ 640 money set aside for a
purpose is a *bestemmingsfonds* in equity. Income still shows as income and
grants as expenses in the statement of income and expenditure; the addition
to and withdrawal from the fund appear below the result (*resultaatbestemming*).

A fund's balance follows from these accounts alone:
``available = deposited - reserved - committed - paid + returned`` where
available is the pot's balance, reserved the reserved account's, committed
2100's, deposited the pot's credits from deposits, paid 2100's debits from
payouts, returned the pot's credits from returns.

Unspent money goes back into the pot only when it has arrived on the bank: the
report claims it (1300, a receivable, lowering the grant's expense), the
treasurer books its arrival, and a board member may write off what never comes
(a loss; the pot is untouched, it never had the money).
"""

from __future__ import annotations

from typing import NamedTuple


class ChartAccount(NamedTuple):
    code: str
    name: str
    type: str
    source: str
    rj640_line: str


BANK = "1000"
PROCESSOR_CLEARING = "1100"
GRANT_REFUNDS_RECEIVABLE = "1300"
GRANTS_PAYABLE = "2100"
GENERAL_RESERVE = "3000"
FUND_POT = "3100"
FUND_RESERVED = "3110"
INNOVATION_POT = "3200"
INNOVATION_RESERVED = "3210"
GRANTS = "4100"
PAYMENT_FEES = "4300"
BAD_DEBTS = "4400"
ADDITION_TO_FUNDS = "9100"
WITHDRAWAL_FROM_FUNDS = "9110"

INCOME_BY_SOURCE = {
    "subsidy": "8000",
    "membership_fees": "8100",
    "sponsoring": "8200",
    "participants": "8300",
    "crowdfunding": "8400",
    "donations": "8500",
    "other": "8900",
}
# Income a cooperative raises itself: everything but the subsidy (the 5% rule).
OWN_SOURCES = frozenset(INCOME_BY_SOURCE) - {"subsidy"}

CHART: tuple[ChartAccount, ...] = (
    ChartAccount(BANK, "Bank", "asset", "", "Liquide middelen"),
    ChartAccount(PROCESSOR_CLEARING, "Stripe-tussenrekening", "asset", "", "Liquide middelen"),
    ChartAccount(
        GRANT_REFUNDS_RECEIVABLE, "Terug te ontvangen bijdragen", "asset", "", "Vorderingen"
    ),
    ChartAccount(GRANTS_PAYABLE, "Te betalen bijdragen", "liability", "", "Kortlopende schulden"),
    ChartAccount(GENERAL_RESERVE, "Algemene reserve", "equity", "", "Reserves"),
    ChartAccount(
        FUND_POT, "Bestemmingsfonds buurtfondsen – beschikbaar", "equity", "", "Bestemmingsfondsen"
    ),
    ChartAccount(
        FUND_RESERVED,
        "Bestemmingsfonds buurtfondsen – gereserveerd",
        "equity",
        "",
        "Bestemmingsfondsen",
    ),
    ChartAccount(
        INNOVATION_POT, "Innovatiereserve – beschikbaar", "equity", "", "Bestemmingsfondsen"
    ),
    ChartAccount(
        INNOVATION_RESERVED, "Innovatiereserve – gereserveerd", "equity", "", "Bestemmingsfondsen"
    ),
    ChartAccount(
        GRANTS,
        "Verstrekte bijdragen aan initiatieven",
        "expense",
        "",
        "Lasten: besteed aan de doelstelling",
    ),
    ChartAccount(
        PAYMENT_FEES, "Betalingskosten", "expense", "", "Lasten: kosten beheer en administratie"
    ),
    ChartAccount(
        BAD_DEBTS,
        "Oninbare terugvorderingen",
        "expense",
        "",
        "Lasten: besteed aan de doelstelling",
    ),
    ChartAccount(
        "8000", "Subsidie gemeente", "income", "subsidy", "Baten: subsidies van overheden"
    ),
    ChartAccount("8100", "Contributies", "income", "membership_fees", "Baten: contributies"),
    ChartAccount("8200", "Sponsoring", "income", "sponsoring", "Baten: sponsorbijdragen"),
    ChartAccount(
        "8300", "Bijdragen deelnemers", "income", "participants", "Baten: bijdragen deelnemers"
    ),
    ChartAccount("8400", "Crowdfunding", "income", "crowdfunding", "Baten: giften (crowdfunding)"),
    ChartAccount("8500", "Donaties en giften", "income", "donations", "Baten: giften en donaties"),
    ChartAccount("8900", "Overige baten", "income", "other", "Baten: overige baten"),
    ChartAccount(
        ADDITION_TO_FUNDS,
        "Toevoeging bestemmingsfondsen",
        "appropriation",
        "",
        "Resultaatbestemming",
    ),
    ChartAccount(
        WITHDRAWAL_FROM_FUNDS,
        "Onttrekking bestemmingsfondsen",
        "appropriation",
        "",
        "Resultaatbestemming",
    ),
)

POT_ACCOUNTS = {
    "fund": (FUND_POT, FUND_RESERVED),
    "innovation": (INNOVATION_POT, INNOVATION_RESERVED),
}
