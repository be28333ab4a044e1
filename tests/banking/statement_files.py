"""Writers of realistic Dutch bank statement files (CAMT.053 v02-v08, MT940) for tests.

An entry is a dict. Keys (all optional except amount_cents):
  amount_cents (signed int: credit positive), booking_date, value_date (date),
  counterparty_name, counterparty_iban, remittance (unstructured text),
  structured_reference (Strd/CdtrRefInf/Ref), end_to_end_id, entry_reference (NtryRef / the
  MT940 bank reference), account_servicer_reference (Ntry/AcctSvcrRef),
  return_reason (e.g. "AC04": a returned transfer with RtrInf), reversal (bool: RvslInd),
  status ("BOOK", "PDNG", "INFO"), bank_transaction_code ("PMNT/ICDT/ESCT", or MT940 "NTRF"),
  currency ("EUR"), amount_text (raw amount text, e.g. "12.345"),
  batch (list of transaction dicts with amount_cents (signed), counterparty_name,
  counterparty_iban, remittance, end_to_end_id, account_servicer_reference: a batch booking
  whose entry amount is their sum).
"""

from __future__ import annotations

from datetime import date
from typing import Any
from xml.sax.saxutils import escape

OWN_IBAN = "NL91ABNA0417164300"
ING_IBAN = "NL20INGB0001234567"
RABO_IBAN = "NL44RABO0123456789"
RABO_IBAN_2 = "NL39RABO0300065264"
ING_IBAN_2 = "NL69INGB0123456789"
ABN_IBAN_2 = "NL02ABNA0123456789"

DAY = date(2024, 3, 4)

BIC_OF = {"ABNA": "ABNANL2A", "INGB": "INGBNL2A", "RABO": "RABONL2U"}


def _money(cents: int) -> str:
    return f"{abs(cents) // 100}.{abs(cents) % 100:02d}"


def _sum(entries: list[dict[str, Any]]) -> int:
    return sum(_entry_cents(entry) for entry in entries if entry.get("status", "BOOK") == "BOOK")


def _entry_cents(entry: dict[str, Any]) -> int:
    if "batch" in entry:
        return sum(int(tx["amount_cents"]) for tx in entry["batch"])
    return int(entry["amount_cents"])


# --- CAMT.053 -------------------------------------------------------------------------------


def _minor(version: str) -> int:
    return int(version.rsplit(".", 1)[-1])


def _party(version: str, role: str, name: str, iban: str) -> str:
    out = ""
    if name:
        nm = f"<Nm>{escape(name)}</Nm>"
        out += (
            f"<{role}><Pty>{nm}</Pty></{role}>"
            if _minor(version) >= 8
            else f"<{role}>{nm}</{role}>"
        )
    if iban:
        out += f"<{role}Acct><Id><IBAN>{iban}</IBAN></Id></{role}Acct>"
    return out


def _default_code(cents: int, entry: dict[str, Any]) -> str:
    if entry.get("bank_transaction_code"):
        return str(entry["bank_transaction_code"])
    if entry.get("return_reason"):
        return "PMNT/ICDT/RRTN"
    return "PMNT/RCDT/ESCT" if cents > 0 else "PMNT/ICDT/ESCT"


def _bk_tx_cd(code: str) -> str:
    if code.count("/") != 2:
        return f"<BkTxCd><Prtry><Cd>{escape(code)}</Cd><Issr>ABNAMRO</Issr></Prtry></BkTxCd>"
    domain, family, sub = code.split("/")
    return (
        f"<BkTxCd><Domn><Cd>{domain}</Cd><Fmly><Cd>{family}</Cd>"
        f"<SubFmlyCd>{sub}</SubFmlyCd></Fmly></Domn></BkTxCd>"
    )


def _tx_details(
    version: str,
    tx: dict[str, Any],
    own_iban: str,
    currency: str,
    with_amount: bool,
    code: str,
) -> str:
    cents = int(tx["amount_cents"])
    indicator = "CRDT" if cents > 0 else "DBIT"
    refs = ""
    if tx.get("account_servicer_reference"):
        refs += f"<AcctSvcrRef>{escape(tx['account_servicer_reference'])}</AcctSvcrRef>"
    refs += f"<EndToEndId>{escape(tx.get('end_to_end_id') or 'NOTPROVIDED')}</EndToEndId>"
    amount = ""
    if with_amount:
        text = tx.get("amount_text") or _money(cents)
        if _minor(version) >= 4:
            amount = f'<Amt Ccy="{currency}">{text}</Amt><CdtDbtInd>{indicator}</CdtDbtInd>'
        else:
            amount = f'<AmtDtls><TxAmt><Amt Ccy="{currency}">{text}</Amt></TxAmt></AmtDtls>'
    name = str(tx.get("counterparty_name", ""))
    iban = str(tx.get("counterparty_iban", ""))
    returned = bool(tx.get("return_reason"))
    if cents > 0 and not returned:  # money in: they are the debtor, we the creditor
        parties = _party(version, "Dbtr", name, iban) + _party(version, "Cdtr", "", own_iban)
    else:  # money out, or a returned outgoing transfer: original roles, we are the debtor
        parties = _party(version, "Dbtr", "", own_iban) + _party(version, "Cdtr", name, iban)
    remittance = ""
    if tx.get("remittance"):
        remittance = f"<RmtInf><Ustrd>{escape(tx['remittance'])}</Ustrd></RmtInf>"
    elif tx.get("structured_reference"):
        remittance = (
            "<RmtInf><Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry>"
            "<Issr>CUR</Issr></Tp>"
            f"<Ref>{escape(tx['structured_reference'])}</Ref></CdtrRefInf></Strd></RmtInf>"
        )
    return_info = ""
    if returned:
        return_info = (
            "<RtrInf><OrgnlBkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>ICDT</Cd>"
            "<SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></OrgnlBkTxCd>"
            f"<Rsn><Cd>{tx['return_reason']}</Cd></Rsn></RtrInf>"
        )
    return (
        f"<TxDtls><Refs>{refs}</Refs>{amount}{_bk_tx_cd(code)}"
        f"<RltdPties>{parties}</RltdPties>{remittance}{return_info}</TxDtls>"
    )


def _camt_entry(version: str, entry: dict[str, Any], own_iban: str, closing: date) -> str:
    cents = _entry_cents(entry)
    currency = entry.get("currency", "EUR")
    booking = entry.get("booking_date", closing)
    value = entry.get("value_date", booking)
    status = entry.get("status", "BOOK")
    sts = f"<Sts><Cd>{status}</Cd></Sts>" if _minor(version) >= 8 else f"<Sts>{status}</Sts>"
    code = _default_code(cents, entry)
    out = "<Ntry>"
    if entry.get("entry_reference"):
        out += f"<NtryRef>{escape(entry['entry_reference'])}</NtryRef>"
    text = entry.get("amount_text") or _money(cents)
    out += f'<Amt Ccy="{currency}">{text}</Amt>'
    out += f"<CdtDbtInd>{'CRDT' if cents > 0 else 'DBIT'}</CdtDbtInd>"
    if entry.get("reversal"):
        out += "<RvslInd>true</RvslInd>"
    out += sts
    out += f"<BookgDt><Dt>{booking.isoformat()}</Dt></BookgDt>"
    out += f"<ValDt><Dt>{value.isoformat()}</Dt></ValDt>"
    if entry.get("account_servicer_reference"):
        out += f"<AcctSvcrRef>{escape(entry['account_servicer_reference'])}</AcctSvcrRef>"
    out += _bk_tx_cd(code)
    if "batch" in entry:
        batch = entry["batch"]
        out += (
            f"<NtryDtls><Btch><NbOfTxs>{len(batch)}</NbOfTxs>"
            f'<TtlAmt Ccy="{currency}">{_money(cents)}</TtlAmt>'
            f"<CdtDbtInd>{'CRDT' if cents > 0 else 'DBIT'}</CdtDbtInd></Btch>"
        )
        for tx in batch:
            out += _tx_details(version, tx, own_iban, currency, True, code)
        out += "</NtryDtls>"
    else:
        tx = {**entry, "amount_cents": cents}
        out += f"<NtryDtls>{_tx_details(version, tx, own_iban, currency, False, code)}</NtryDtls>"
    out += "</Ntry>"
    return out


def _balance(code: str, cents: int, day: date, currency: str) -> str:
    return (
        f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp>"
        f'<Amt Ccy="{currency}">{_money(cents)}</Amt>'
        f"<CdtDbtInd>{'CRDT' if cents >= 0 else 'DBIT'}</CdtDbtInd>"
        f"<Dt><Dt>{day.isoformat()}</Dt></Dt></Bal>"
    )


def camt053_statement(
    version: str = "001.02",
    *,
    iban: str = OWN_IBAN,
    statement_id: str = "STMT-2024-03-04",
    opening_cents: int = 100_000,
    closing_cents: int | None = None,
    entries: list[dict[str, Any]] | None = None,
    opening_date: date = date(2024, 3, 3),
    closing_date: date = DAY,
    currency: str = "EUR",
) -> str:
    """One <Stmt> element; closing_cents defaults to opening plus the booked entries."""
    entries = entries or []
    if closing_cents is None:
        closing_cents = opening_cents + _sum(entries)
    account = (
        f"<Id><IBAN>{iban}</IBAN></Id>" if iban else "<Id><Othr><Id>417164300</Id></Othr></Id>"
    )
    return (
        f"<Stmt><Id>{escape(statement_id)}</Id><ElctrncSeqNb>64</ElctrncSeqNb>"
        f"<CreDtTm>{closing_date.isoformat()}T23:15:00+01:00</CreDtTm>"
        f"<FrToDt><FrDtTm>{closing_date.isoformat()}T00:00:00+01:00</FrDtTm>"
        f"<ToDtTm>{closing_date.isoformat()}T23:59:59+01:00</ToDtTm></FrToDt>"
        f"<Acct>{account}<Ccy>{currency}</Ccy><Svcr><FinInstnId>"
        f"<{'BICFI' if _minor(version) >= 4 else 'BIC'}>{BIC_OF.get(iban[4:8], 'ABNANL2A')}"
        f"</{'BICFI' if _minor(version) >= 4 else 'BIC'}></FinInstnId></Svcr></Acct>"
        + _balance("OPBD", opening_cents, opening_date, currency)
        + _balance("CLBD", closing_cents, closing_date, currency)
        + "".join(_camt_entry(version, entry, iban, closing_date) for entry in entries)
        + "</Stmt>"
    )


def camt053_document(version: str, statements: list[str], *, namespace: str = "") -> bytes:
    """A whole camt.053 file around <Stmt> elements from camt053_statement."""
    ns = namespace or f"urn:iso:std:iso:20022:tech:xsd:camt.053.{version}"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<Document xmlns="{ns}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        "<BkToCstmrStmt><GrpHdr><MsgId>ABNAMRO20240304231500</MsgId>"
        "<CreDtTm>2024-03-04T23:15:00+01:00</CreDtTm></GrpHdr>"
        + "".join(statements)
        + "</BkToCstmrStmt></Document>\n"
    ).encode()


def camt053(
    version: str = "001.02",
    *,
    iban: str = OWN_IBAN,
    statement_id: str = "STMT-2024-03-04",
    opening_cents: int = 100_000,
    closing_cents: int | None = None,
    entries: list[dict[str, Any]] | None = None,
    opening_date: date = date(2024, 3, 3),
    closing_date: date = DAY,
    currency: str = "EUR",
) -> bytes:
    """A camt.053.<version> file with one statement."""
    statement = camt053_statement(
        version,
        iban=iban,
        statement_id=statement_id,
        opening_cents=opening_cents,
        closing_cents=closing_cents,
        entries=entries,
        opening_date=opening_date,
        closing_date=closing_date,
        currency=currency,
    )
    return camt053_document(version, [statement])


# --- MT940 ----------------------------------------------------------------------------------


def _mt_money(cents: int) -> str:
    return f"{abs(cents) // 100},{abs(cents) % 100:02d}"


def _mt_balance(tag: str, cents: int, day: date, currency: str) -> str:
    mark = "C" if cents >= 0 else "D"
    return f":{tag}:{mark}{day:%y%m%d}{currency}{_mt_money(cents)}"


def _wrap(text: str, width: int = 65) -> list[str]:
    return [text[i : i + width] for i in range(0, len(text), width)] or [""]


def _mt_details(entry: dict[str, Any], bank: str) -> str:
    if entry.get("free_text") is not None:
        return "\n".join(str(entry["free_text"]).split("\n"))
    eref = entry.get("end_to_end_id") or "NOTPROVIDED"
    name = entry.get("counterparty_name", "")
    iban = entry.get("counterparty_iban", "")
    bic = BIC_OF.get(iban[4:8], "")
    remittance = entry.get("remittance", "")
    if bank == "abnamro":
        text = "/TRTP/SEPA OVERBOEKING"
        if iban:
            text += f"/IBAN/{iban}/BIC/{bic}/NAME/{name}"
        text += f"/REMI/{remittance}/EREF/{eref}"
        if entry.get("return_reason"):
            text = f"/RTRN/{entry['return_reason']}" + text
        return "\n".join(_wrap(text))
    text = f"/EREF/{eref}//CNTP/{iban}/{bic}/{name}/UTRECHT/"
    if entry.get("return_reason"):
        text += f"/RTRN/{entry['return_reason']}/"
    if entry.get("structured_reference"):
        text += f"/REMI/STRD/CUR/{entry['structured_reference']}/"
    else:
        text += f"/REMI/USTD//{remittance}/"
    if bank == "ing":
        text = "/TRCD/00100/" + text
    return "\n".join(_wrap(text))


def _mt_line(entry: dict[str, Any], bank: str, closing: date) -> str:
    cents = int(entry["amount_cents"])
    booking = entry.get("booking_date", closing)
    value = entry.get("value_date", booking)
    mark = entry.get("mark") or ("C" if cents > 0 else "D")
    code = entry.get("bank_transaction_code") or "NTRF"
    amount = entry.get("amount_text") or _mt_money(cents)
    if bank == "rabobank":
        # Rabobank: zero-padded amount, code like N541, counterparty IBAN on the second line.
        amount = amount.rjust(15, "0")
        line = f":61:{value:%y%m%d}{mark}{amount}{code}EREF"
        if entry.get("counterparty_iban"):
            line += f"\n{entry['counterparty_iban']}"
        return line
    reference = entry.get("entry_reference", "")
    customer = "EREF" if entry.get("end_to_end_id") else "NONREF"
    line = f":61:{value:%y%m%d}{booking:%m%d}{mark}{amount}{code}{customer}"
    if reference:
        line += f"//{reference}"
    return line


def mt940(
    *,
    iban: str = OWN_IBAN,
    statement_id: str = "P240304000000001",
    statement_number: str = "00064",
    opening_cents: int = 100_000,
    closing_cents: int | None = None,
    entries: list[dict[str, Any]] | None = None,
    opening_date: date = date(2024, 3, 3),
    closing_date: date = DAY,
    bank: str = "ing",
    currency: str = "EUR",
    account_suffix: str = "EUR",
    with_account: bool = True,
    swift_envelope: bool = False,
) -> bytes:
    """One MT940 statement in ING, Rabobank or ABN AMRO flavour (bank="ing"/"rabobank"/
    "abnamro"). Entry keys as above, plus free_text (a free-text :86:) and mark (C/D/RC/RD)."""
    entries = entries or []
    if closing_cents is None:
        closing_cents = opening_cents + _sum(entries)
    lines = [f":20:{statement_id}"]
    if with_account:
        account = f"{iban}{account_suffix}" if bank != "rabobank" else f"{iban} {account_suffix}"
        if bank == "abnamro":
            account = iban
        lines.append(f":25:{account.strip()}")
    lines.append(f":28C:{statement_number}")
    lines.append(_mt_balance("60F", opening_cents, opening_date, currency))
    for entry in entries:
        lines.append(_mt_line(entry, bank, closing_date))
        lines.append(":86:" + _mt_details(entry, bank))
    lines.append(_mt_balance("62F", closing_cents, closing_date, currency))
    if bank == "ing":
        lines.append(_mt_balance("64", closing_cents, closing_date, currency))
        credits = [e for e in entries if int(e["amount_cents"]) > 0]
        debits = [e for e in entries if int(e["amount_cents"]) < 0]
        lines.append(
            f":86:/SUM/{len(debits)}/{len(credits)}/"
            f"{_mt_money(sum(int(e['amount_cents']) for e in debits))}/"
            f"{_mt_money(sum(int(e['amount_cents']) for e in credits))}/"
        )
    body = "\n".join(lines)
    if bank == "ing":
        body = "{1:F01INGBNL2ABXXX0000000000}\n{2:I940INGBNL2AXXXN}\n{4:\n" + body + "\n-}"
    elif swift_envelope:
        body = "{1:F01ABNANL2AXXX0000000000}{2:I940ABNANL2AXXXN}{4:\n" + body + "\n-}"
    elif bank == "rabobank":
        body = ":940:\n" + body
    return (body + "\n").replace("\n", "\r\n").encode("latin-1")


def mt940_file(*statements: bytes) -> bytes:
    """Several MT940 statements in one file (ING: one envelope per statement)."""
    return b"".join(statements)
