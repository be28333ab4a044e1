"""Dutch bank statements (CAMT.053 v02-v08 and MT940) read into one normalised shape.

Pure Python: no Django, no project apps. Every failure to read a file raises StatementInvalid
with a short English reason; nothing else escapes parse_statement.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import mt940
from lxml import etree
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

MAX_BYTES = 10 * 1024 * 1024
CURRENCY = "EUR"
CAMT053_NAMESPACE = re.compile(r"urn:iso:std:iso:20022:tech:xsd:camt\.053\.001\.0([2-8])")


@dataclass(frozen=True)
class StatementLine:
    """One booked transaction: a camt entry (or one TxDtls of a batch), or an MT940 :61:."""

    position: int
    entry_reference: str
    booking_date: date
    value_date: date | None
    amount_cents: int
    currency: str
    counterparty_name: str
    counterparty_iban: str
    remittance: str
    end_to_end_id: str
    is_return: bool
    return_reason: str
    bank_transaction_code: str


@dataclass(frozen=True)
class Statement:
    """One account statement with its balances and booked lines."""

    format: str
    statement_id: str
    account_iban: str
    currency: str
    opening_balance_cents: int | None
    opening_date: date | None
    closing_balance_cents: int | None
    closing_date: date | None
    lines: tuple[StatementLine, ...]


class StatementInvalid(Exception):
    """Why a file could not be read: .reason is a short English sentence naming what is wrong."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# --- shared helpers -------------------------------------------------------------------------


def normalise_iban(raw: str) -> str:
    """Strip all whitespace and upper-case."""
    return re.sub(r"\s+", "", raw).upper()


def _valid_iban(raw: str) -> bool:
    try:
        IBAN(raw)
    except (SchwiftyException, ValueError):
        return False
    return True


def _account_iban(raw: str, where: str) -> str:
    iban = normalise_iban(raw)
    if not iban:
        raise StatementInvalid(f"{where} has no account IBAN.")
    if not _valid_iban(iban):
        raise StatementInvalid(f"{where} has an invalid account IBAN {iban[:40]!r}.")
    return iban


def _cents(text: str, where: str) -> int:
    """Unsigned amount text ("12.34" or MT940 "12,34") to int cents, exactly."""
    cleaned = text.strip().replace(",", ".")
    if not re.fullmatch(r"\d{1,15}(\.\d*)?", cleaned):
        raise StatementInvalid(f"{where} has an invalid amount {text[:40]!r}.")
    return _decimal_cents(Decimal(cleaned), where)


def _decimal_cents(value: Decimal, where: str) -> int:
    cents = value * 100
    if not cents.is_finite() or cents != cents.to_integral_value():
        raise StatementInvalid(f"{where} has an amount with more than 2 decimals: {value}.")
    return int(cents)


def _currency(code: str | None, where: str) -> str:
    if code != CURRENCY:
        shown = (code or "")[:10]
        raise StatementInvalid(f"{where} is in currency {shown!r}; only EUR is supported.")
    return CURRENCY


# --- entry point ----------------------------------------------------------------------------


def parse_statement(data: bytes) -> list[Statement]:
    """Detect CAMT.053 or MT940 and parse every statement in the file."""
    head = _strip_start(_checked_size(data))
    if head.startswith(b"<"):
        return parse_camt053(data)
    if _looks_like_mt940(head):
        return parse_mt940(data)
    raise StatementInvalid("The file is not a CAMT.053 or MT940 file.")


def _checked_size(data: bytes) -> bytes:
    if not isinstance(data, bytes | bytearray):
        raise StatementInvalid("The statement must be given as bytes.")
    if len(data) > MAX_BYTES:
        raise StatementInvalid("The file is larger than 10 MB.")
    if not data.strip():
        raise StatementInvalid("The file is empty.")
    return bytes(data)


def _strip_start(data: bytes) -> bytes:
    return data.removeprefix(b"\xef\xbb\xbf").lstrip()


# A bank's header of a few short lines before the first :20: (ABN AMRO: "ABNANL2A\n940\n...").
_MT940_BANK_HEADER = re.compile(rb"(?:[^\r\n:<{][^\r\n]{0,40}\r?\n){1,4}:20:")


def _looks_like_mt940(head: bytes) -> bool:
    return head.startswith((b":20:", b"{1:", b":940:")) or bool(_MT940_BANK_HEADER.match(head))


# --- CAMT.053 -------------------------------------------------------------------------------


def _xml_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        remove_comments=True,
        load_dtd=False,
    )


class _Camt:
    """Namespace-bound lookups on one camt.053 document."""

    def __init__(self, namespace: str) -> None:
        self.ns = {"c": namespace}

    def _path(self, path: str) -> str:
        return "/".join(f"c:{step}" for step in path.split("/"))

    def find(self, el: Any, path: str) -> Any:
        return el.find(self._path(path), self.ns)

    def findall(self, el: Any, path: str) -> list[Any]:
        return list(el.findall(self._path(path), self.ns))

    def text(self, el: Any, path: str) -> str:
        found = self.find(el, path)
        if found is None or found.text is None:
            return ""
        return str(found.text).strip()

    def first_text(self, el: Any, *paths: str) -> str:
        for path in paths:
            value = self.text(el, path)
            if value:
                return value
        return ""


def parse_camt053(data: bytes) -> list[Statement]:
    """Parse a camt.053.001.02 to .08 document (several Stmt give several statements)."""
    data = _strip_start(_checked_size(data))
    if b"<!DOCTYPE" in data:  # before parsing: libxml2 would still weigh its entities
        raise StatementInvalid("The XML has a DOCTYPE, which statements never need.")
    try:
        root = etree.fromstring(data, parser=_xml_parser())
    except etree.XMLSyntaxError as exc:
        raise StatementInvalid(f"The XML is malformed: {str(exc)[:200]}") from exc
    except (etree.LxmlError, ValueError) as exc:
        raise StatementInvalid(f"The XML could not be read: {str(exc)[:200]}") from exc
    if root is None:
        raise StatementInvalid("The XML has no root element.")
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise StatementInvalid("The XML has a DOCTYPE, which statements never need.")
    qname = etree.QName(root)
    namespace = qname.namespace or ""
    match = CAMT053_NAMESPACE.fullmatch(namespace)
    if match is None:
        shown = namespace[:100] if namespace else "no namespace"
        raise StatementInvalid(f"Unsupported XML namespace {shown!r}: expected camt.053.001.02-08.")
    if qname.localname != "Document":
        raise StatementInvalid("The root element of a camt.053 file must be Document.")
    version = int(match.group(1))
    camt = _Camt(namespace)
    statements = camt.findall(root, "BkToCstmrStmt/Stmt")
    if not statements:
        raise StatementInvalid("The camt.053 file holds no statement (BkToCstmrStmt/Stmt).")
    return [
        _camt_statement(camt, stmt, f"camt.053.001.0{version}", index)
        for index, stmt in enumerate(statements, start=1)
    ]


def _camt_date(camt: _Camt, el: Any, where: str) -> date | None:
    """Dt or DtTm under el, as a date; None when el is absent."""
    if el is None:
        return None
    day = camt.text(el, "Dt")
    if day:
        try:
            return date.fromisoformat(day)
        except ValueError as exc:
            raise StatementInvalid(f"{where} has an invalid date {day[:40]!r}.") from exc
    stamp = camt.text(el, "DtTm")
    if stamp:
        try:
            return datetime.fromisoformat(stamp).date()
        except ValueError as exc:
            raise StatementInvalid(f"{where} has an invalid date-time {stamp[:40]!r}.") from exc
    raise StatementInvalid(f"{where} has no date (Dt or DtTm).")


def _camt_amount(camt: _Camt, el: Any, path: str, where: str) -> int | None:
    """Unsigned cents of the Amt at path (EUR only), None when absent."""
    amt = camt.find(el, path)
    if amt is None:
        return None
    _currency(amt.get("Ccy"), where)
    return _cents(amt.text or "", where)


def _sign(indicator: str, where: str) -> int:
    if indicator == "CRDT":
        return 1
    if indicator == "DBIT":
        return -1
    raise StatementInvalid(f"{where} has no valid credit/debit indicator (CRDT or DBIT).")


def _camt_statement(camt: _Camt, stmt: Any, fmt: str, index: int) -> Statement:
    where = f"Statement {index}"
    statement_id = camt.text(stmt, "Id")
    if not statement_id:
        raise StatementInvalid(f"{where} has no Id.")
    where = f"Statement {statement_id[:35]!r}"
    account_iban = _account_iban(camt.text(stmt, "Acct/Id/IBAN"), where)
    account_currency = camt.text(stmt, "Acct/Ccy")
    if account_currency:
        _currency(account_currency, f"{where} account")
    opening: tuple[int, date] | None = None
    previous_closing: tuple[int, date] | None = None
    closing: tuple[int, date] | None = None
    for bal in camt.findall(stmt, "Bal"):
        code = camt.first_text(bal, "Tp/CdOrPrtry/Cd", "Tp/CdOrPrtry/Prtry")
        bal_where = f"{where} balance {code[:10] or '(no type)'}"
        cents = _camt_amount(camt, bal, "Amt", bal_where)
        if cents is None:
            raise StatementInvalid(f"{bal_where} has no amount.")
        signed = cents * _sign(camt.text(bal, "CdtDbtInd"), bal_where)
        when = _camt_date(camt, camt.find(bal, "Dt"), bal_where)
        if when is None:
            raise StatementInvalid(f"{bal_where} has no date.")
        if code == "OPBD":
            opening = (signed, when)
        elif code == "PRCD":
            previous_closing = (signed, when)
        elif code == "CLBD":
            closing = (signed, when)
    opening = opening or previous_closing
    lines: list[StatementLine] = []
    for number, ntry in enumerate(camt.findall(stmt, "Ntry"), start=1):
        for line in _camt_entry(camt, ntry, account_iban, f"{where} entry {number}"):
            lines.append(_with_position(line, len(lines) + 1))
    return Statement(
        format=fmt,
        statement_id=statement_id,
        account_iban=account_iban,
        currency=CURRENCY,
        opening_balance_cents=opening[0] if opening else None,
        opening_date=opening[1] if opening else None,
        closing_balance_cents=closing[0] if closing else None,
        closing_date=closing[1] if closing else None,
        lines=tuple(lines),
    )


def _with_position(line: StatementLine, position: int) -> StatementLine:
    return StatementLine(**{**line.__dict__, "position": position})


def _bank_code(camt: _Camt, el: Any) -> str:
    """Domn/Fmly/SubFmly as "PMNT/ICDT/ESCT", else the proprietary code."""
    if el is None:
        return ""
    parts = [
        camt.text(el, "Domn/Cd"),
        camt.text(el, "Domn/Fmly/Cd"),
        camt.text(el, "Domn/Fmly/SubFmlyCd"),
    ]
    if all(parts):
        return "/".join(parts)
    return camt.text(el, "Prtry/Cd")


def _camt_entry(camt: _Camt, ntry: Any, account_iban: str, where: str) -> Iterator[StatementLine]:
    status = camt.first_text(ntry, "Sts/Cd", "Sts", "Sts/Prtry")
    if not status:
        raise StatementInvalid(f"{where} has no status.")
    if status != "BOOK":
        return
    cents = _camt_amount(camt, ntry, "Amt", where)
    if cents is None:
        raise StatementInvalid(f"{where} has no amount.")
    sign = _sign(camt.text(ntry, "CdtDbtInd"), where)
    booking = _camt_date(camt, camt.find(ntry, "BookgDt"), where)
    if booking is None:
        raise StatementInvalid(f"{where} is booked but has no booking date.")
    value = _camt_date(camt, camt.find(ntry, "ValDt"), where)
    reversal = camt.text(ntry, "RvslInd").lower() in {"true", "1"}
    entry_code = _bank_code(camt, camt.find(ntry, "BkTxCd"))
    entry_ref = camt.first_text(ntry, "NtryRef", "AcctSvcrRef")
    details = camt.findall(ntry, "NtryDtls/TxDtls")
    if not details:
        yield _camt_line(
            camt, None, where, cents * sign, sign, booking, value, entry_ref, entry_code,
            reversal, account_iban,
        )  # fmt: skip
        return
    total = 0
    for number, tx in enumerate(details, start=1):
        tx_where = f"{where} transaction {number}" if len(details) > 1 else where
        tx_cents = _camt_amount(camt, tx, "Amt", tx_where)
        if tx_cents is None:
            tx_cents = _camt_amount(camt, tx, "AmtDtls/TxAmt/Amt", tx_where)
        if tx_cents is None:
            if len(details) > 1:
                raise StatementInvalid(f"{tx_where} of a batch booking has no amount.")
            tx_cents = cents
        tx_indicator = camt.text(tx, "CdtDbtInd")
        tx_sign = _sign(tx_indicator, tx_where) if tx_indicator else sign
        total += tx_cents * tx_sign
        reference = entry_ref
        tx_ref = camt.text(tx, "Refs/AcctSvcrRef")
        if tx_ref and (len(details) > 1 or not reference):
            reference = tx_ref
        code = _bank_code(camt, camt.find(tx, "BkTxCd")) or entry_code
        yield _camt_line(
            camt, tx, tx_where, tx_cents * tx_sign, tx_sign, booking, value, reference, code,
            reversal, account_iban,
        )  # fmt: skip
    if total != cents * sign:
        raise StatementInvalid(f"{where}: the amounts of its transactions do not add up to it.")


_RETURN_CODES = {"PMNT/ICDT/RRTN", "PMNT/RCDT/RRTN"}


def _camt_line(
    camt: _Camt,
    tx: Any,
    where: str,
    amount_cents: int,
    sign: int,
    booking: date,
    value: date | None,
    reference: str,
    code: str,
    reversal: bool,
    account_iban: str,
) -> StatementLine:
    name = iban = remittance = end_to_end = reason = ""
    has_return_info = False
    if tx is not None:
        name, iban = _counterparty(camt, tx, sign, account_iban)
        unstructured = [
            str(el.text).strip()
            for el in camt.findall(tx, "RmtInf/Ustrd")
            if el.text and el.text.strip()
        ]
        remittance = " ".join(unstructured) or camt.text(tx, "RmtInf/Strd/CdtrRefInf/Ref")
        end_to_end = camt.text(tx, "Refs/EndToEndId")
        if end_to_end.upper() == "NOTPROVIDED":
            end_to_end = ""
        has_return_info = camt.find(tx, "RtrInf") is not None
        reason = camt.first_text(tx, "RtrInf/Rsn/Cd", "RtrInf/Rsn/Prtry")
    return StatementLine(
        position=0,
        entry_reference=reference,
        booking_date=booking,
        value_date=value,
        amount_cents=amount_cents,
        currency=CURRENCY,
        counterparty_name=name,
        counterparty_iban=iban,
        remittance=remittance,
        end_to_end_id=end_to_end,
        is_return=has_return_info or reversal or code in _RETURN_CODES,
        return_reason=reason,
        bank_transaction_code=code,
    )


def _party(camt: _Camt, tx: Any, role: str) -> tuple[str, str]:
    name = camt.first_text(tx, f"RltdPties/{role}/Pty/Nm", f"RltdPties/{role}/Nm")
    iban = normalise_iban(camt.text(tx, f"RltdPties/{role}Acct/Id/IBAN"))
    return name, iban


def _counterparty(camt: _Camt, tx: Any, sign: int, account_iban: str) -> tuple[str, str]:
    """The creditor for a debit, the debtor for a credit; the other party when that is us."""
    first, second = ("Dbtr", "Cdtr") if sign > 0 else ("Cdtr", "Dbtr")
    party = _party(camt, tx, first)
    if party[1] == account_iban:
        other = _party(camt, tx, second)
        if any(other) and other[1] != account_iban:
            return other
    return party


# --- MT940 ----------------------------------------------------------------------------------

# The library logs every line it cannot match at ERROR, with the line's content (names, IBANs).
# We report the failure as StatementInvalid instead; keep statement contents out of the logs.
_MT940_TAG_LOGGER = logging.getLogger("mt940.tags")
if _MT940_TAG_LOGGER.level == logging.NOTSET:
    _MT940_TAG_LOGGER.setLevel(logging.CRITICAL)

_SWIFT_BLOCK = re.compile(r"\{[1235]:(?:[^{}]|\{[^{}]*\})*\}")
_TAG_START = re.compile(r"(?m)^:(?P<tag>[0-9]{2}|NS)(?P<sub>[A-Z])?:")
_KNOWN_TAGS = {str(tag_id) for tag_id in mt940.tags.TAG_BY_ID}
# The structured :86: of Dutch banks: /KEY/value/KEY/value/ (values may hold slashes).
_STRUCTURED_KEYS = (
    "TRCD", "EREF", "CNTP", "REMI", "IBAN", "BIC", "NAME", "ADDR", "TRTP", "CSID", "MARF",
    "RTRN", "ORDP", "BENM", "ULTC", "ULTD", "ULTB", "PURP", "ISDT", "SVCL", "PREF", "KREF",
    "FX", "EXCH", "CHGS", "SUM", "BUSP", "RREF", "OCMT", "INFO",
)  # fmt: skip
_STRUCTURED_KEY = re.compile(r"/(" + "|".join(_STRUCTURED_KEYS) + r")/")
_IBAN_LIKE = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}")


def _decode_mt940(data: bytes) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def _unwrap_swift(text: str) -> str:
    """Drop SWIFT envelope blocks {1:}{2:}{3:}{5:} and the {4: ... -} wrapper."""
    text = _SWIFT_BLOCK.sub("", text)
    text = text.replace("{4:", "\n")
    return re.sub(r"(?m)^-\}\s*$", "", text)


def _statement_blocks(text: str) -> list[str]:
    return [block for block in re.split(r"(?m)^(?=:20:)", text) if block.startswith(":20:")]


def _drop_orphan_details(block: str) -> str:
    """Remove :86: fields not directly after a :61: (statement information, e.g. ING's after
    :62F:): the library would glue them onto the last transaction's details."""
    matches = [m for m in _TAG_START.finditer(block) if m.group("tag") in _KNOWN_TAGS]
    kept: list[str] = [block[: matches[0].start()]] if matches else [block]
    previous = ""
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(block)
        tag = match.group("tag")
        if tag == "86" and previous == "61":
            # The library reads a later ":NN:" line of unknown id as part of the :86:.
            kept.append(block[match.start() : end])
        elif tag != "86":
            kept.append(block[match.start() : end])
        previous = tag
    return "".join(kept)


def parse_mt940(data: bytes) -> list[Statement]:
    """Parse an MT940 file; each :20: block is one statement."""
    text = _unwrap_swift(_decode_mt940(_checked_size(data)))
    blocks = _statement_blocks(text)
    if not blocks:
        raise StatementInvalid("The MT940 file holds no statement (no :20: field).")
    return [_mt940_statement(block, index) for index, block in enumerate(blocks, start=1)]


def _mt940_transactions(block: str, where: str) -> mt940.models.Transactions:
    transactions = mt940.models.Transactions(
        processors={
            # No date_fixup_pre_processor: a 30 February is an error, not the 28th.
            "pre_statement": [],
            # The German ?NN :86: parser does not fit Dutch banks; _structured_details does.
            "post_transaction_details": [],
        },
        options=mt940.Options(unbounded_details=True, case_insensitive_marks=True),
    )
    try:
        transactions.parse(_drop_orphan_details(block))
    except (RuntimeError, ValueError, ArithmeticError, KeyError, IndexError, TypeError) as exc:
        raise StatementInvalid(f"{where} could not be parsed: {_short(exc)}") from exc
    return transactions


def _short(exc: Exception) -> str:
    first = exc.args[0] if exc.args else exc
    return str(first)[:200]


def _mt940_statement(block: str, index: int) -> Statement:
    where = f"MT940 statement {index}"
    transactions = _mt940_transactions(block, where)
    info = transactions.data
    reference = str(info.get("transaction_reference") or "").strip()
    if not reference:
        raise StatementInvalid(f"{where} has an empty :20: reference.")
    number = str(info.get("statement_number") or "")
    sequence = str(info.get("sequence_number") or "")
    statement_id = "/".join(part for part in (reference, number, sequence) if part)
    if "account_identification" not in info:
        raise StatementInvalid(f"{where} has no :25: account identification.")
    account_iban = _mt940_account(str(info.get("account_identification") or ""), where)
    opening = _mt940_balance(info, ("final_opening_balance", "intermediate_opening_balance",
                                    "opening_balance"), f"{where} :60F:")  # fmt: skip
    closing = _mt940_balance(info, ("final_closing_balance", "intermediate_closing_balance",
                                    "closing_balance"), f"{where} :62F:")  # fmt: skip
    lines = tuple(
        _mt940_line(tx.data, position, f"{where} line {position}")
        for position, tx in enumerate(transactions.transactions, start=1)
    )
    return Statement(
        format="mt940",
        statement_id=statement_id,
        account_iban=account_iban,
        currency=CURRENCY,
        opening_balance_cents=opening[0],
        opening_date=opening[1],
        closing_balance_cents=closing[0],
        closing_date=closing[1],
        lines=lines,
    )


def _mt940_account(raw: str, where: str) -> str:
    """NL91ABNA0417164300, NL91ABNA0417164300EUR, ABNANL2A/NL91ABNA0417164300 -> the IBAN."""
    cleaned = normalise_iban(raw)
    if "/" in cleaned:
        cleaned = cleaned.rsplit("/", 1)[-1] or cleaned.split("/", 1)[0]
    for candidate in (cleaned, cleaned[:-3] if cleaned.endswith(CURRENCY) else ""):
        if candidate and _valid_iban(candidate):
            return candidate
    raise StatementInvalid(f"{where} has no IBAN in :25: ({raw[:40]!r}).")


def _mt940_balance(info: dict[str, Any], keys: tuple[str, ...], where: str) -> tuple[int, date]:
    balance = next((info[key] for key in keys if key in info), None)
    if balance is None:
        raise StatementInvalid(f"{where} balance is missing.")
    amount = balance.amount
    if not isinstance(amount, mt940.models.Amount) or balance.date is None:
        raise StatementInvalid(f"{where} balance has no amount or date.")
    _currency(amount.currency, where)
    cents = _decimal_cents(abs(amount.amount), where)
    sign = -1 if str(balance.status).upper() == "D" else 1
    return cents * sign, date(balance.date.year, balance.date.month, balance.date.day)


# C credit, D debit, RC reversal of a credit (money out), RD reversal of a debit (money in).
_MT940_SIGNS = {"C": 1, "D": -1, "RC": -1, "RD": 1}


def _mt940_line(data: dict[str, Any], position: int, where: str) -> StatementLine:
    amount = data.get("amount")
    status = str(data.get("status") or "").upper()
    if not isinstance(amount, mt940.models.Amount) or status not in _MT940_SIGNS:
        raise StatementInvalid(f"{where} has no amount or debit/credit mark.")
    _currency(amount.currency, where)
    cents = _decimal_cents(abs(amount.amount), where) * _MT940_SIGNS[status]
    value = _plain_date(data.get("date"))
    if value is None:
        raise StatementInvalid(f"{where} has no date.")
    booking = _plain_date(data.get("entry_date")) or value
    details = str(data.get("transaction_details") or "")
    fields = _structured_details(details)
    name, iban = _mt940_counterparty(fields, str(data.get("extra_details") or ""))
    end_to_end = fields.get("EREF", "")
    if end_to_end.upper() == "NOTPROVIDED":
        end_to_end = ""
    reason = fields.get("RTRN", "").strip("/").split("/")[0]
    if fields:
        remittance = _remittance(fields.get("REMI", ""))
    else:
        remittance = " ".join(line.strip() for line in details.splitlines() if line.strip())
    return StatementLine(
        position=position,
        entry_reference=str(data.get("bank_reference") or "").strip(),
        booking_date=booking,
        value_date=value,
        amount_cents=cents,
        currency=CURRENCY,
        counterparty_name=name,
        counterparty_iban=iban,
        remittance=remittance,
        end_to_end_id=end_to_end,
        is_return=status in {"RC", "RD"} or "RTRN" in fields,
        return_reason=reason,
        bank_transaction_code=str(data.get("id") or "").strip(),
    )


def _plain_date(value: object) -> date | None:
    if isinstance(value, date):
        return date(value.year, value.month, value.day)
    return None


# After the sender's text (/REMI/) a bank writes only these of its own; the sender can type
# anything there, "/RTRN/" or "/IBAN/" included, so nothing else is read after /REMI/.
_AFTER_REMITTANCE = ("EREF", "ISDT", "CSID", "MARF", "ORDP", "BENM", "PURP")


def _structured_details(details: str) -> dict[str, str]:
    """/KEY/value/KEY/value/ to {KEY: value}; {} for free text. Wrapped lines are joined.

    The text before /REMI/ is the bank's: there the first occurrence of a key counts. After
    it comes the sender's text, then perhaps a few fields the bank adds (ABN AMRO's /EREF/):
    of those only the last occurrence counts (the bank writes after the sender), a key the
    bank wrote before /REMI/ is never replaced, and the remittance runs up to them."""
    joined = "".join(line.strip("\n") for line in details.splitlines()).strip()
    if not joined.startswith("/"):
        return {}
    matches = list(_STRUCTURED_KEY.finditer(joined))
    if not matches or matches[0].start() != 0:
        return {}
    remi = next((i for i, m in enumerate(matches) if m.group(1) == "REMI"), len(matches))
    fields: dict[str, str] = {}

    def value(i: int, end: int) -> str:
        return joined[matches[i].end() : end].rstrip("/").strip()

    for i in range(remi):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(joined)
        fields.setdefault(matches[i].group(1), value(i, end))
    if remi == len(matches):
        return fields
    # The bank's trailing fields: the last occurrence of each, in the order they stand.
    last: dict[str, int] = {}
    for i in range(remi + 1, len(matches)):
        key = matches[i].group(1)
        if key in _AFTER_REMITTANCE and key not in fields:
            last[key] = i
    trailing = sorted(last.values())
    remi_end = matches[trailing[0]].start() if trailing else len(joined)
    fields["REMI"] = value(remi, remi_end)
    for n, i in enumerate(trailing):
        end = matches[trailing[n + 1]].start() if n + 1 < len(trailing) else len(joined)
        fields[matches[i].group(1)] = value(i, end)
    return fields


def _remittance(value: str) -> str:
    """REMI: "USTD//text" -> text, "STRD/CUR/ref" -> ref, plain text (ABN AMRO) as is."""
    upper = value.upper()
    if upper == "USTD" or upper.startswith("USTD/"):
        return value[4:].lstrip("/").strip()
    if upper.startswith("STRD/"):
        parts = value.split("/")
        return parts[-1].strip() if len(parts) >= 3 else ""
    return value.strip()


def _mt940_counterparty(fields: dict[str, str], extra: str) -> tuple[str, str]:
    """/CNTP/iban/bic/name/city/, or /IBAN/ with /NAME/; else an IBAN on the :61: second line."""
    name = fields.get("NAME", "").strip()
    iban = normalise_iban(fields.get("IBAN", ""))
    if "CNTP" in fields:
        parts = fields["CNTP"].split("/")
        iban = iban or normalise_iban(parts[0])
        if len(parts) > 2:
            name = name or parts[2].strip()
    if not iban:
        candidate = normalise_iban(extra)
        if _IBAN_LIKE.fullmatch(candidate):
            iban = candidate
    return name, iban


__all__: list[str] = [
    "Statement",
    "StatementInvalid",
    "StatementLine",
    "parse_camt053",
    "parse_mt940",
    "parse_statement",
]
