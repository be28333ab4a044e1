"""banking.statements: CAMT.053 v02-v08 and MT940 of Dutch banks into one shape."""

from __future__ import annotations

import logging
import random
from dataclasses import replace
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from banking.statements import (
    Statement,
    StatementInvalid,
    parse_camt053,
    parse_mt940,
    parse_statement,
)
from tests.banking.statement_files import (
    ABN_IBAN_2,
    ING_IBAN,
    ING_IBAN_2,
    OWN_IBAN,
    RABO_IBAN,
    RABO_IBAN_2,
    camt053,
    camt053_document,
    camt053_statement,
    mt940,
    mt940_file,
)

VERSIONS = ["001.02", "001.03", "001.04", "001.05", "001.06", "001.07", "001.08"]

PAYMENT = {
    "amount_cents": -12_345,
    "counterparty_name": "Bakkerij De Gouden Korst",
    "counterparty_iban": ING_IBAN,
    "remittance": "Factuur 2024-017 buurtfeest",
    "end_to_end_id": "BF-2024-017",
    "entry_reference": "NTRY-0001",
}
DONATION = {
    "amount_cents": 2_500,
    "counterparty_name": "J. de Vries",
    "counterparty_iban": RABO_IBAN,
    "remittance": "Bijdrage moestuin",
    "end_to_end_id": "NOTPROVIDED",
    "account_servicer_reference": "ACSR-0002",
}
RETURNED = {
    "amount_cents": 4_000,
    "counterparty_name": "Stichting Speeltuin Oost",
    "counterparty_iban": RABO_IBAN_2,
    "end_to_end_id": "BF-2024-009",
    "return_reason": "AC04",
    "entry_reference": "NTRY-0003",
}
BATCH = {
    "amount_cents": 0,
    "entry_reference": "BATCH-77",
    "batch": [
        {
            "amount_cents": -1_000,
            "counterparty_name": "A. Jansen",
            "counterparty_iban": ING_IBAN_2,
            "remittance": "Vergoeding mei",
            "end_to_end_id": "BF-B-1",
            "account_servicer_reference": "TX-1",
        },
        {
            "amount_cents": -2_050,
            "counterparty_name": "B. Bakker",
            "counterparty_iban": ABN_IBAN_2,
            "remittance": "Vergoeding mei",
            "end_to_end_id": "BF-B-2",
            "account_servicer_reference": "TX-2",
        },
        {
            "amount_cents": -3_001,
            "counterparty_name": "C. Visser",
            "counterparty_iban": RABO_IBAN_2,
            "remittance": "Vergoeding mei",
            "end_to_end_id": "BF-B-3",
            "account_servicer_reference": "TX-3",
        },
    ],
}


def only(statements: list[Statement]) -> Statement:
    assert len(statements) == 1
    return statements[0]


def reason_of(data: bytes) -> str:
    with pytest.raises(StatementInvalid) as caught:
        parse_statement(data)
    assert caught.value.reason
    assert str(caught.value) == caught.value.reason
    return caught.value.reason


# --- CAMT.053 -------------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_every_camt_version_gives_the_same_lines(version: str) -> None:
    entries = [PAYMENT, DONATION, RETURNED, BATCH]
    reference = only(parse_statement(camt053("001.02", entries=entries)))
    statement = only(parse_statement(camt053(version, entries=entries)))
    assert statement.format == f"camt.053.{version}"
    assert statement.lines == reference.lines
    assert len(statement.lines) == 6
    assert statement.account_iban == OWN_IBAN
    assert statement.statement_id == "STMT-2024-03-04"


def test_v08_is_written_and_read_with_its_own_structure() -> None:
    v02 = camt053("001.02", entries=[PAYMENT, DONATION])
    v08 = camt053("001.08", entries=[PAYMENT, DONATION])
    assert b"<Sts><Cd>BOOK</Cd></Sts>" in v08 and b"<Sts>BOOK</Sts>" not in v08
    assert b"<Cdtr><Pty><Nm>Bakkerij" in v08 and b"<Dbtr><Pty><Nm>J. de Vries" in v08
    assert b"<Sts>BOOK</Sts>" in v02 and b"<Pty>" not in v02
    lines = only(parse_statement(v08)).lines
    assert [line.counterparty_name for line in lines] == ["Bakkerij De Gouden Korst", "J. de Vries"]


def test_debit_and_credit() -> None:
    debit, credit = only(parse_camt053(camt053("001.02", entries=[PAYMENT, DONATION]))).lines
    assert debit.amount_cents == -12_345
    assert debit.counterparty_name == "Bakkerij De Gouden Korst"  # the creditor of a debit
    assert debit.counterparty_iban == ING_IBAN
    assert debit.remittance == "Factuur 2024-017 buurtfeest"
    assert debit.end_to_end_id == "BF-2024-017"
    assert debit.entry_reference == "NTRY-0001"
    assert debit.bank_transaction_code == "PMNT/ICDT/ESCT"
    assert debit.currency == "EUR"
    assert debit.booking_date == date(2024, 3, 4) == debit.value_date
    assert not debit.is_return and debit.return_reason == ""
    assert credit.amount_cents == 2_500
    assert credit.counterparty_name == "J. de Vries"  # the debtor of a credit
    assert credit.counterparty_iban == RABO_IBAN
    assert credit.end_to_end_id == ""  # NOTPROVIDED
    assert credit.entry_reference == "ACSR-0002"  # Ntry/AcctSvcrRef when there is no NtryRef
    assert credit.bank_transaction_code == "PMNT/RCDT/ESCT"


def test_batch_booking_gives_one_line_per_transaction() -> None:
    lines = only(parse_statement(camt053("001.04", entries=[PAYMENT, BATCH]))).lines
    assert [line.position for line in lines] == [1, 2, 3, 4]
    batch = lines[1:]
    assert [line.amount_cents for line in batch] == [-1_000, -2_050, -3_001]
    assert [line.counterparty_iban for line in batch] == [ING_IBAN_2, ABN_IBAN_2, RABO_IBAN_2]
    assert [line.end_to_end_id for line in batch] == ["BF-B-1", "BF-B-2", "BF-B-3"]
    assert [line.entry_reference for line in batch] == ["TX-1", "TX-2", "TX-3"]


def test_batch_booking_with_amounts_in_amtdtls_v02() -> None:
    data = camt053("001.02", entries=[BATCH])
    assert b"<AmtDtls><TxAmt>" in data
    lines = only(parse_statement(data)).lines
    assert [line.amount_cents for line in lines] == [-1_000, -2_050, -3_001]


def test_batch_whose_transactions_do_not_add_up_is_refused() -> None:
    good = camt053("001.05", entries=[BATCH])
    broken = good.replace(b'<Amt Ccy="EUR">60.51</Amt>', b'<Amt Ccy="EUR">60.52</Amt>', 1)
    assert broken != good
    assert "do not add up" in reason_of(broken)


def test_returned_transfer_with_reason() -> None:
    line = only(parse_statement(camt053("001.03", entries=[RETURNED]))).lines[0]
    assert line.is_return
    assert line.return_reason == "AC04"
    assert line.amount_cents == 4_000
    assert line.bank_transaction_code == "PMNT/ICDT/RRTN"
    # Our own account is the debtor of the returned transfer: the counterparty is the other.
    assert line.counterparty_name == "Stichting Speeltuin Oost"
    assert line.counterparty_iban == RABO_IBAN_2
    assert line.end_to_end_id == "BF-2024-009"


def test_return_code_without_return_info_still_is_a_return() -> None:
    entry = {**PAYMENT, "amount_cents": 500, "bank_transaction_code": "PMNT/ICDT/RRTN"}
    line = only(parse_statement(camt053("001.02", entries=[entry]))).lines[0]
    assert line.is_return and line.return_reason == ""


def test_reversal_indicator_marks_a_return() -> None:
    entry = {**DONATION, "amount_cents": -2_500, "reversal": True}
    line = only(parse_statement(camt053("001.06", entries=[entry]))).lines[0]
    assert line.is_return
    assert line.amount_cents == -2_500
    assert line.return_reason == ""


def test_pending_and_info_entries_are_skipped() -> None:
    entries = [
        {**PAYMENT, "status": "PDNG"},
        DONATION,
        {**DONATION, "status": "INFO"},
        PAYMENT,
    ]
    for version in ("001.02", "001.08"):
        lines = only(parse_statement(camt053(version, entries=entries))).lines
        assert [(line.position, line.amount_cents) for line in lines] == [(1, 2_500), (2, -12_345)]


def test_balances_and_dates() -> None:
    data = camt053(
        "001.02",
        opening_cents=-5_000,
        closing_cents=7_525,
        entries=[{**DONATION, "amount_cents": 12_525}],
        opening_date=date(2024, 2, 29),
        closing_date=date(2024, 3, 1),
    )
    statement = only(parse_statement(data))
    assert statement.opening_balance_cents == -5_000
    assert statement.opening_date == date(2024, 2, 29)
    assert statement.closing_balance_cents == 7_525
    assert statement.closing_date == date(2024, 3, 1)
    assert statement.currency == "EUR"
    assert statement.lines[0].booking_date == date(2024, 3, 1)


def test_prcd_counts_as_opening_balance() -> None:
    data = camt053("001.02", opening_cents=1_234).replace(b">OPBD<", b">PRCD<")
    assert only(parse_statement(data)).opening_balance_cents == 1_234


def test_two_identical_transfers_stay_two_lines() -> None:
    twin = {k: v for k, v in DONATION.items() if k != "account_servicer_reference"}
    lines = only(parse_statement(camt053("001.02", entries=[twin, twin]))).lines
    assert len(lines) == 2
    assert [line.position for line in lines] == [1, 2]
    assert lines[0] == replace(lines[1], position=1)


def test_structured_creditor_reference() -> None:
    entry = {**DONATION, "remittance": "", "structured_reference": "RF18539007547034"}
    line = only(parse_statement(camt053("001.02", entries=[entry]))).lines[0]
    assert line.remittance == "RF18539007547034"


def test_booking_date_time_and_proprietary_code() -> None:
    data = camt053("001.02", entries=[{**PAYMENT, "bank_transaction_code": "N541"}]).replace(
        b"<BookgDt><Dt>2024-03-04</Dt></BookgDt>",
        b"<BookgDt><DtTm>2024-03-05T09:30:00+01:00</DtTm></BookgDt>",
    )
    line = only(parse_statement(data)).lines[0]
    assert line.booking_date == date(2024, 3, 5)
    assert line.bank_transaction_code == "N541"


def test_several_statements_in_one_camt_file() -> None:
    first = camt053_statement("001.02", statement_id="S-1", entries=[PAYMENT])
    second = camt053_statement(
        "001.02", statement_id="S-2", iban=ING_IBAN, entries=[DONATION, DONATION]
    )
    statements = parse_statement(camt053_document("001.02", [first, second]))
    assert [s.statement_id for s in statements] == ["S-1", "S-2"]
    assert [s.account_iban for s in statements] == [OWN_IBAN, ING_IBAN]
    assert [len(s.lines) for s in statements] == [1, 2]
    assert [line.position for line in statements[1].lines] == [1, 2]


def test_leading_bom_and_whitespace_are_accepted() -> None:
    data = b"\xef\xbb\xbf\n  " + camt053("001.02", entries=[PAYMENT])
    assert only(parse_statement(data)).lines[0].amount_cents == -12_345


def test_iban_is_normalised() -> None:
    data = camt053("001.02", entries=[PAYMENT]).replace(
        f"<IBAN>{ING_IBAN}</IBAN>".encode(), b"<IBAN>nl20 ingb 0001 2345 67</IBAN>"
    )
    assert only(parse_statement(data)).lines[0].counterparty_iban == ING_IBAN


# --- MT940 ----------------------------------------------------------------------------------


def test_mt940_ing_structured() -> None:
    entry = {**PAYMENT, "booking_date": date(2024, 3, 4), "value_date": date(2024, 3, 3)}
    data = mt940(bank="ing", entries=[entry, DONATION])
    assert data.startswith(b"{1:") and b"/SUM/" in data
    statement = only(parse_statement(data))
    assert statement.format == "mt940"
    assert statement.statement_id == "P240304000000001/00064"
    assert statement.account_iban == OWN_IBAN
    assert statement.opening_balance_cents == 100_000
    assert statement.opening_date == date(2024, 3, 3)
    assert statement.closing_balance_cents == 100_000 - 12_345 + 2_500
    assert statement.closing_date == date(2024, 3, 4)
    payment, donation = statement.lines
    assert payment.amount_cents == -12_345
    assert payment.booking_date == date(2024, 3, 4)
    assert payment.value_date == date(2024, 3, 3)
    assert payment.entry_reference == "NTRY-0001"
    assert payment.end_to_end_id == "BF-2024-017"
    assert payment.counterparty_iban == ING_IBAN
    assert payment.counterparty_name == "Bakkerij De Gouden Korst"
    assert payment.remittance == "Factuur 2024-017 buurtfeest"
    assert payment.bank_transaction_code == "NTRF"
    # ING's statement-level :86:/SUM/ after :62F: is not glued to the last line.
    assert donation.remittance == "Bijdrage moestuin"
    assert donation.entry_reference == ""
    assert donation.end_to_end_id == ""
    assert donation.amount_cents == 2_500


def test_mt940_rabobank() -> None:
    free = {"amount_cents": -999, "counterparty_iban": RABO_IBAN_2, "free_text": "Contant"}
    data = mt940(bank="rabobank", entries=[PAYMENT, free], statement_id="940S240304")
    assert data.startswith(b":940:")
    statement = only(parse_statement(data))
    assert statement.statement_id == "940S240304/00064"
    assert statement.account_iban == OWN_IBAN  # ":25:NL91ABNA0417164300 EUR"
    payment, cash = statement.lines
    assert payment.counterparty_name == "Bakkerij De Gouden Korst"
    assert payment.remittance == "Factuur 2024-017 buurtfeest"
    assert cash.remittance == "Contant"
    assert cash.counterparty_iban == RABO_IBAN_2  # from the second line of :61:
    assert cash.amount_cents == -999


def test_mt940_abn_amro_iban_name_remi() -> None:
    data = mt940(bank="abnamro", entries=[DONATION, {**RETURNED, "remittance": "retour"}])
    donation, returned = only(parse_statement(data)).lines
    assert donation.counterparty_iban == RABO_IBAN
    assert donation.counterparty_name == "J. de Vries"
    assert donation.remittance == "Bijdrage moestuin"
    assert donation.end_to_end_id == ""
    assert returned.is_return and returned.return_reason == "AC04"
    assert returned.end_to_end_id == "BF-2024-009"


def test_mt940_return_and_structured_reference() -> None:
    returned = {**RETURNED, "structured_reference": "RF18539007547034"}
    line = only(parse_statement(mt940(bank="ing", entries=[returned]))).lines[0]
    assert line.is_return and line.return_reason == "AC04"
    assert line.remittance == "RF18539007547034"
    assert line.amount_cents == 4_000


def test_mt940_free_text_multi_line() -> None:
    entry = {
        "amount_cents": -450,
        "free_text": "BEA   NR:AB12CD  04.03.24/12.01\nALBERT HEIJN 1234",
    }
    line = only(parse_statement(mt940(bank="ing", entries=[entry]))).lines[0]
    assert line.remittance == "BEA   NR:AB12CD  04.03.24/12.01 ALBERT HEIJN 1234"
    assert line.counterparty_name == "" and line.counterparty_iban == ""
    assert line.end_to_end_id == ""


@pytest.mark.parametrize(("mark", "cents"), [("RC", -700), ("RD", 700)])
def test_mt940_reversal_marks(mark: str, cents: int) -> None:
    entry = {**DONATION, "amount_cents": 700, "mark": mark}
    line = only(parse_statement(mt940(bank="ing", entries=[entry], closing_cents=0))).lines[0]
    assert line.amount_cents == cents
    assert line.is_return


def test_mt940_several_statements_in_one_file() -> None:
    first = mt940(bank="ing", entries=[PAYMENT], statement_id="P1", statement_number="00064")
    second = mt940(
        bank="ing",
        entries=[DONATION, DONATION],
        statement_id="P2",
        statement_number="00065",
        opening_cents=-3_000,
        opening_date=date(2024, 3, 4),
        closing_date=date(2024, 3, 5),
    )
    third = mt940(bank="abnamro", iban=ING_IBAN, entries=[], statement_id="P3")
    statements = parse_statement(mt940_file(first, second, third))
    assert [s.statement_id for s in statements] == ["P1/00064", "P2/00065", "P3/00064"]
    assert [len(s.lines) for s in statements] == [1, 2, 0]
    assert statements[1].opening_balance_cents == -3_000
    assert statements[1].closing_balance_cents == 2_000
    assert [line.position for line in statements[1].lines] == [1, 2]
    assert statements[2].account_iban == ING_IBAN


@pytest.mark.parametrize(
    "account",
    [b"NL91ABNA0417164300", b"NL91ABNA0417164300EUR", b"ABNANL2A/NL91ABNA0417164300"],
)
def test_mt940_account_forms(account: bytes) -> None:
    data = mt940(bank="abnamro").replace(b":25:NL91ABNA0417164300", b":25:" + account)
    assert only(parse_mt940(data)).account_iban == OWN_IBAN


def test_mt940_latin1_and_swift_envelope() -> None:
    entry = {**DONATION, "counterparty_name": "Café Ré"}
    data = mt940(bank="abnamro", entries=[entry], swift_envelope=True)
    assert "é".encode("latin-1") in data and data.startswith(b"{1:")
    assert only(parse_statement(data)).lines[0].counterparty_name == "Café Ré"


def test_mt940_bank_header_lines_before_20() -> None:
    data = b"ABNANL2A\r\n940\r\nABNANL2A\r\n" + mt940(bank="abnamro", entries=[PAYMENT])
    assert only(parse_statement(data)).lines[0].amount_cents == -12_345


# --- refused input --------------------------------------------------------------------------


def test_empty_file() -> None:
    assert "empty" in reason_of(b"")
    assert "empty" in reason_of(b" \r\n\t")


def test_unknown_format() -> None:
    assert reason_of(b"Datum,Naam,Rekening\n") == "The file is not a CAMT.053 or MT940 file."


def test_too_large() -> None:
    assert "10 MB" in reason_of(b" " * (10 * 1024 * 1024) + b"<x/>")


def test_random_bytes() -> None:
    rng = random.Random(940)
    for _ in range(200):
        data = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300)))
        with pytest.raises(StatementInvalid):
            parse_statement(data)


def test_truncated_xml() -> None:
    data = camt053("001.02", entries=[PAYMENT])
    assert "malformed" in reason_of(data[: len(data) // 2])


def test_doctype_with_external_entity_is_refused_without_reading_it(tmp_path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-ROOT-PASSWORD")
    for target in ("file:///etc/passwd", secret.as_uri()):
        xml = camt053("001.02", entries=[PAYMENT]).replace(
            b"<Document ",
            f'<!DOCTYPE Document [<!ENTITY xxe SYSTEM "{target}">]>\n<Document '.encode(),
        )
        xml = xml.replace(b"<Id>STMT-2024-03-04</Id>", b"<Id>&xxe;</Id>")
        reason = reason_of(xml)
        assert "DOCTYPE" in reason
        assert "TOP-SECRET" not in reason and "root:" not in reason


def test_doctype_in_utf16_is_refused_after_parsing_without_the_entity() -> None:
    text = (
        camt053("001.02")
        .decode()
        .replace('encoding="UTF-8"', 'encoding="UTF-16"')
        .replace(
            "<Document ", '<!DOCTYPE Document [<!ENTITY x SYSTEM "file:///etc/passwd">]><Document '
        )
        .replace("<Id>STMT-2024-03-04</Id>", "<Id>&x;</Id>")
    )
    data = text.encode("utf-16")
    assert b"<!DOCTYPE" not in data  # the byte check cannot see it; the parsed docinfo does
    with pytest.raises(StatementInvalid, match="DOCTYPE"):
        parse_camt053(data)


def test_billion_laughs_is_refused() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + b"".join(
            f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'.encode()
            for i in range(1, 10)
        )
        + b']><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">&lol9;</Document>'
    )
    assert "DOCTYPE" in reason_of(bomb)


@pytest.mark.parametrize(
    "namespace",
    [
        "urn:iso:std:iso:20022:tech:xsd:camt.054.001.02",
        "urn:iso:std:iso:20022:tech:xsd:camt.052.001.08",
        "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03",
        "urn:iso:std:iso:20022:tech:xsd:camt.053.001.09",
    ],
)
def test_other_namespaces_are_refused(namespace: str) -> None:
    data = camt053_document("001.02", [camt053_statement()], namespace=namespace)
    reason = reason_of(data)
    assert namespace in reason


def test_usd_amount_is_refused() -> None:
    assert "'USD'" in reason_of(camt053("001.02", entries=[{**PAYMENT, "currency": "USD"}]))
    assert "'USD'" in reason_of(camt053("001.02", currency="USD"))


def test_amount_with_three_decimals_is_refused() -> None:
    data = camt053("001.02", entries=[{**PAYMENT, "amount_text": "123.455"}])
    assert "more than 2 decimals" in reason_of(data)


def test_negative_and_missing_amounts_are_refused() -> None:
    negative = camt053("001.02", entries=[{**PAYMENT, "amount_text": "-123.45"}])
    assert "invalid amount" in reason_of(negative)
    missing = camt053("001.02", entries=[PAYMENT]).replace(b'<Amt Ccy="EUR">123.45</Amt>', b"")
    assert "no amount" in reason_of(missing)
    exponent = camt053("001.02", entries=[{**PAYMENT, "amount_text": "1E2"}])
    assert "invalid amount" in reason_of(exponent)


def test_missing_or_invalid_account_iban_is_refused() -> None:
    assert "no account IBAN" in reason_of(camt053("001.02", iban=""))
    bad = camt053("001.02").replace(OWN_IBAN.encode(), b"NL92ABNA0417164300")
    assert "invalid account IBAN" in reason_of(bad)


def test_missing_balance_date_and_bad_dates_are_refused() -> None:
    data = camt053("001.02").replace(b"<Dt><Dt>2024-03-03</Dt></Dt>", b"<Dt></Dt>")
    assert "OPBD has no date" in reason_of(data)
    bad = camt053("001.02", entries=[PAYMENT]).replace(
        b"<BookgDt><Dt>2024-03-04</Dt>", b"<BookgDt><Dt>2024-02-30</Dt>"
    )
    assert "invalid date '2024-02-30'" in reason_of(bad)


def test_missing_status_and_booking_date_are_refused() -> None:
    data = camt053("001.02", entries=[PAYMENT])
    assert "no status" in reason_of(data.replace(b"<Sts>BOOK</Sts>", b""))
    no_date = data.replace(b"<BookgDt><Dt>2024-03-04</Dt></BookgDt>", b"")
    assert "no booking date" in reason_of(no_date)


def test_no_statement_in_camt() -> None:
    assert "no statement" in reason_of(camt053_document("001.02", []))


def test_mt940_without_account_is_refused() -> None:
    assert ":25:" in reason_of(mt940(bank="abnamro", entries=[PAYMENT], with_account=False))


def test_mt940_with_a_non_iban_account_is_refused() -> None:
    data = mt940(bank="abnamro").replace(b":25:NL91ABNA0417164300", b":25:417164300")
    assert "no IBAN in :25:" in reason_of(data)


def test_mt940_usd_and_three_decimals_and_bad_date() -> None:
    assert "'USD'" in reason_of(mt940(bank="abnamro", currency="USD"))
    three = mt940(bank="abnamro", entries=[{**PAYMENT, "amount_text": "123,455"}])
    assert "more than 2 decimals" in reason_of(three)
    bad_date = mt940(bank="abnamro", entries=[PAYMENT]).replace(b":61:240304", b":61:240230")
    assert "could not be parsed" in reason_of(bad_date)


def test_mt940_without_closing_balance_is_refused() -> None:
    data = mt940(bank="abnamro", entries=[PAYMENT])
    truncated = data[: data.index(b":62F:")]
    assert ":62F:" in reason_of(truncated)


def test_mt940_garbled_statement_line_is_refused_without_logging_it(caplog) -> None:
    data = mt940(bank="abnamro", entries=[PAYMENT]).replace(b":61:240304", b":61:XX0304")
    with caplog.at_level(logging.INFO):
        assert "could not be parsed" in reason_of(data)
    assert "NTRF" not in caplog.text


# --- fuzz -----------------------------------------------------------------------------------

VALID_FILES = [
    camt053("001.02", entries=[PAYMENT, DONATION, RETURNED, BATCH]),
    camt053("001.08", entries=[PAYMENT, {**DONATION, "status": "PDNG"}, BATCH]),
    mt940(bank="ing", entries=[PAYMENT, DONATION, RETURNED]),
    mt940(bank="rabobank", entries=[PAYMENT, DONATION]),
    mt940(bank="abnamro", entries=[PAYMENT, RETURNED], swift_envelope=True),
]


def _parses_or_refuses(data: bytes) -> None:
    try:
        statements = parse_statement(data)
    except StatementInvalid as exc:
        assert isinstance(exc.reason, str) and exc.reason
    else:
        assert all(isinstance(statement, Statement) for statement in statements)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2_000))
def test_fuzz_random_bytes_only_raise_statement_invalid(data: bytes) -> None:
    _parses_or_refuses(data)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200), st.sampled_from([b"<", b":20:", b"{1:", b":940:\n:20:"]))
def test_fuzz_random_bytes_behind_a_format_marker(data: bytes, marker: bytes) -> None:
    _parses_or_refuses(marker + data)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(VALID_FILES), st.floats(min_value=0, max_value=1))
def test_fuzz_truncated_valid_files(data: bytes, fraction: float) -> None:
    _parses_or_refuses(data[: int(len(data) * fraction)])


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(VALID_FILES),
    st.lists(st.tuples(st.floats(min_value=0, max_value=1), st.binary(min_size=1, max_size=4))),
)
def test_fuzz_mutated_valid_files(data: bytes, edits: list[tuple[float, bytes]]) -> None:
    for fraction, replacement in edits:
        at = int(len(data) * fraction)
        data = data[:at] + replacement + data[at + len(replacement) :]
    _parses_or_refuses(data)


def test_valid_files_parse() -> None:
    counts = [sum(len(s.lines) for s in parse_statement(data)) for data in VALID_FILES]
    assert counts == [6, 4, 3, 2, 2]
