"""The compiled Dutch catalogue (.mo) matches the source (.po): no string ships untranslated."""

import ast
import gettext
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "locale" / "nl" / "LC_MESSAGES" / "django.po"


def parse_po(text: str) -> dict[str, str]:
    """A small reader for our .po files (written with --no-wrap, no plurals)."""
    entries: dict[str, str] = {}
    msgid = None
    for line in text.splitlines():
        if line.startswith("msgid "):
            msgid = ast.literal_eval(line[6:])
        elif line.startswith("msgstr ") and msgid is not None:
            entries[msgid] = ast.literal_eval(line[7:])
            msgid = None
    entries.pop("", None)
    return entries


def test_every_message_is_translated_and_compiled():
    source = parse_po(PO.read_text())
    assert source, "no messages found"
    untranslated = [k for k, v in source.items() if not v]
    assert untranslated == []
    compiled = gettext.GNUTranslations(PO.with_suffix(".mo").open("rb"))
    stale = {k: v for k, v in source.items() if compiled.gettext(k) != v}
    assert stale == {}, "run compilemessages and commit the .mo file"
