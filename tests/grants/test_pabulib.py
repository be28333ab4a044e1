"""Reading and writing pabulib files, and replaying them with the pabulib_select command."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from grants.pabulib import Election, PabulibError, dump, parse

DATA = Path(__file__).resolve().parent.parent / "data" / "pabulib"
SMALL = """META
key;value
budget;100,50
PROJECTS
project_id;cost;name;selected
a;60;"Park ""Noord""; with a semicolon";1
b;40.25;Bench;1
VOTES
voter_id;vote
1;a,b
2;b
3;
"""


@pytest.mark.parametrize("path", sorted(DATA.glob("*.pb")), ids=lambda p: p.stem)
def test_real_files_parse_as_their_meta_says_and_write_back_unchanged(path: Path) -> None:
    election = parse(path.read_text(encoding="utf-8"))
    assert len(election.projects) == int(election.meta["num_projects"])
    assert len(election.votes) == int(election.meta["num_votes"])
    assert parse(dump(election)) == election


def test_quirks_bom_crlf_quotes_decimal_comma_and_empty_votes() -> None:
    election = parse("\ufeff" + SMALL.replace("\n", "\r\n"))
    assert election.projects["a"]["name"] == 'Park "Noord"; with a semicolon'
    assert election.ballots() == [frozenset({"a", "b"}), frozenset({"b"}), frozenset()]
    assert election.selected() == {"a", "b"}
    # 100,50 and 40.25 have cents: everything is counted in hundredths
    assert election.money() == (10050, {"a": 6000, "b": 4025}, 100)
    assert parse(dump(election)) == election


def test_whole_amounts_written_with_a_point_zero_stay_in_units() -> None:
    election = parse(SMALL.replace("100,50", "400000.0").replace("40.25", "40"))
    assert election.money() == (400000, {"a": 60, "b": 40}, 1)


def test_an_election_built_in_code_is_written_as_pabulib_reads_it() -> None:
    election = Election(
        meta={"budget": "1000", "vote_type": "approval"},
        projects={"x": {"project_id": "x", "cost": "700"}},
        votes=[{"voter_id": "v1", "vote": "x"}],
    )
    text = dump(election)
    assert text.startswith("META\nkey;value\nbudget;1000\n")
    assert parse(text) == election


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        (SMALL.replace("b;40.25;Bench;1", "b;40.25;1"), 7, "3 fields where the header has 4"),
        (SMALL.replace("2;b", "2;b,zz"), 11, "unknown project zz"),
        (SMALL.replace("40.25", "veertig"), 7, "cost of project b is not a number"),
        (SMALL.replace("40.25", "-1"), 7, "at least 0"),
        (SMALL.replace("budget;100,50", "budget;None"), 3, "budget is not a number"),
        (SMALL.replace("budget;100,50", "rule;greedy"), 13, "META has no budget"),
        (SMALL.replace("project_id;cost", "id;cost"), 5, "PROJECTS header lacks project_id"),
        (SMALL.split("VOTES")[0], 8, "no VOTES section"),
        ("key;value\nbudget;1\n", 1, "expected a META, PROJECTS or VOTES line first"),
        (SMALL.replace("a;60", "b;60"), 7, "project b appears twice"),
    ],
)
def test_malformed_files_name_the_line(text: str, line: int, words: str) -> None:
    with pytest.raises(PabulibError) as caught:
        parse(text)
    assert caught.value.line == line
    assert words in str(caught.value)
    assert str(caught.value).startswith(f"line {line}: ")


def test_command_prints_the_selected_ids_sorted_and_nothing_else() -> None:
    out = StringIO()
    call_command(
        "pabulib_select", str(DATA / "Netherlands_Assen_2024.pb"), rule="equal_shares", stdout=out
    )
    assert out.getvalue() == "11\n12\n13\n14\n2\n3\n5\n6\n9\n"
    out = StringIO()
    path = DATA / "Poland_Warszawa_2017_Plac_Wojska_Polskiego.pb"
    call_command("pabulib_select", str(path), "--rule", "greedy", stdout=out)
    assert out.getvalue() == "1623\n2567\n427\n915\n"


def test_command_refuses_a_malformed_file_naming_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pb"
    bad.write_text(SMALL.replace("2;b", "2;b,zz"), encoding="utf-8")
    with pytest.raises(CommandError, match=r"bad\.pb: line 11: vote for unknown project zz"):
        call_command("pabulib_select", str(bad), rule="greedy", stdout=StringIO())


def test_command_refuses_an_unknown_rule() -> None:
    with pytest.raises(CommandError, match="invalid choice: 'borda'"):
        call_command("pabulib_select", str(DATA / "Netherlands_Assen_2024.pb"), "--rule", "borda")
