"""Read and write pabulib's ``.pb`` format, without Django.

A ``.pb`` file (https://pabulib.org/format) has three ``;``-separated CSV sections, each started
by a line ``META``, ``PROJECTS`` or ``VOTES`` (any case) and a header row: META's rows are
``key;value`` (``budget`` is required), PROJECTS' rows need ``project_id`` and ``cost``, VOTES'
rows need ``voter_id`` and ``vote`` (the project ids a voter chose, comma-separated). Files may
start with a byte-order mark, use CRLF line ends, quote fields, and write money with a decimal
point or a decimal comma.

- ``parse(text) -> Election``; a malformed file raises ``PabulibError`` with the 1-based line.
- ``dump(election) -> str`` writes it back; ``parse(dump(e)) == e``.
- ``Election.money()`` gives the budget and costs as integers (in hundredths when a file has
  cents), ``Election.ballots()`` the approval sets, ``Election.selected()`` the ``selected``
  column (what the city funded).

Every cell is kept as the text it was, so a file written back has the columns it came with.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

SECTIONS = ("META", "PROJECTS", "VOTES")
MAX_AMOUNT = Decimal(10) ** 12
_REQUIRED = {
    "META": ("key", "value"),
    "PROJECTS": ("project_id", "cost"),
    "VOTES": ("voter_id", "vote"),
}


class PabulibError(ValueError):
    """A ``.pb`` file that cannot be read, with the (1-based) line where reading failed."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message


@dataclass
class Election:
    """The contents of a ``.pb`` file: META as a dict, PROJECTS and VOTES as rows of text."""

    meta: dict[str, str] = field(default_factory=dict)
    project_columns: list[str] = field(default_factory=lambda: ["project_id", "cost"])
    projects: dict[str, dict[str, str]] = field(default_factory=dict)
    vote_columns: list[str] = field(default_factory=lambda: ["voter_id", "vote"])
    votes: list[dict[str, str]] = field(default_factory=list)

    def ballots(self) -> list[frozenset[str]]:
        """Each voter's chosen projects, as an approval set."""
        return [_vote_ids(row["vote"]) for row in self.votes]

    def selected(self) -> set[str]:
        """The projects whose ``selected`` cell is 1 (empty when the file has no such column)."""
        return {p for p, row in self.projects.items() if row.get("selected", "").strip() == "1"}

    def money(self) -> tuple[int, dict[str, int], int]:
        """``(budget, costs, unit)`` as integers in the smallest unit the file writes.

        ``unit`` is one currency unit in those integers: 1 for whole amounts, 100 when any
        amount has cents.
        """
        amounts = {p: _number(row["cost"]) for p, row in self.projects.items()}
        budget = _number(self.meta["budget"])
        places = max(_places(x) for x in [budget, *amounts.values()])
        unit = 10**places
        return int(budget * unit), {p: int(x * unit) for p, x in amounts.items()}, unit


def parse(text: str) -> Election:
    """Read a ``.pb`` file's text; raises ``PabulibError`` naming the line of the first fault."""
    election = Election()
    section: str | None = None
    header: list[str] | None = None
    seen: set[str] = set()
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""), delimiter=";")
    line = 0
    try:
        for row in reader:
            line = reader.line_num
            if not row or all(not cell.strip() for cell in row):
                continue
            name = row[0].strip().upper()
            if len(row) == 1 and name in SECTIONS:
                if name in seen:
                    raise PabulibError(line, f"second {name} section")
                seen.add(name)
                section, header = name, None
                continue
            if section is None:
                raise PabulibError(line, "expected a META, PROJECTS or VOTES line first")
            if header is None:
                header = [cell.strip() for cell in row]
                missing = [c for c in _REQUIRED[section] if c not in header]
                if missing:
                    raise PabulibError(line, f"{section} header lacks {', '.join(missing)}")
                if section == "PROJECTS":
                    election.project_columns = header
                elif section == "VOTES":
                    election.vote_columns = header
                continue
            if len(row) != len(header):
                raise PabulibError(line, f"{len(row)} fields where the header has {len(header)}")
            _add_row(election, section, dict(zip(header, row, strict=True)), line)
    except csv.Error as exc:
        raise PabulibError(reader.line_num, str(exc)) from exc
    for name in SECTIONS:
        if name not in seen:
            raise PabulibError(line + 1, f"no {name} section")
    if "budget" not in election.meta:
        raise PabulibError(line + 1, "META has no budget")
    return election


def dump(election: Election) -> str:
    """Write an election as a ``.pb`` file's text."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow(["META"])
    writer.writerow(["key", "value"])
    writer.writerows(election.meta.items())
    writer.writerow(["PROJECTS"])
    writer.writerow(election.project_columns)
    for row in election.projects.values():
        writer.writerow([row.get(c, "") for c in election.project_columns])
    writer.writerow(["VOTES"])
    writer.writerow(election.vote_columns)
    for row in election.votes:
        writer.writerow([row.get(c, "") for c in election.vote_columns])
    return out.getvalue()


def _add_row(election: Election, section: str, row: dict[str, str], line: int) -> None:
    if section == "META":
        key = row["key"].strip()
        if key == "budget":
            _checked_number(row["value"], line, "budget")
        election.meta[key] = row["value"]
    elif section == "PROJECTS":
        project = row["project_id"].strip()
        if not project:
            raise PabulibError(line, "empty project_id")
        if project in election.projects:
            raise PabulibError(line, f"project {project} appears twice")
        _checked_number(row["cost"], line, f"cost of project {project}")
        row["project_id"] = project
        election.projects[project] = row
    else:
        unknown = sorted(_vote_ids(row["vote"]) - election.projects.keys())
        if unknown:
            raise PabulibError(line, f"vote for unknown project {', '.join(unknown)}")
        election.votes.append(row)


def _vote_ids(cell: str) -> frozenset[str]:
    return frozenset(p.strip() for p in cell.split(",") if p.strip())


def _number(text: str) -> Decimal:
    return Decimal(text.strip().replace(",", "."))


def _checked_number(text: str, line: int, what: str) -> None:
    try:
        value = _number(text)
    except InvalidOperation:
        raise PabulibError(line, f"{what} is not a number: {text!r}") from None
    if not value.is_finite() or value < 0:
        raise PabulibError(line, f"{what} must be a number of at least 0: {text!r}")
    # Money: at most a trillion, in at most cents (a million-digit number would take the
    # reader minutes, and the rules' floats overflow).
    if value > MAX_AMOUNT or _places(value) > 2:
        raise PabulibError(line, f"{what} must be below 10^12 with at most 2 decimals: {text!r}")


def _places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    assert isinstance(exponent, int)
    return max(0, -exponent)
