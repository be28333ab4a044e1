"""Fill locale/nl from JSON files of {English: Dutch}; clears fuzzy guesses makemessages left.

    .venv/bin/python manage.py makemessages -l nl --no-wrap --no-location --ignore=.venv \
        --ignore=tests --ignore=benchmarks
    .venv/bin/python scripts/translate.py locale/nl.json
    .venv/bin/python manage.py compilemessages --ignore=.venv
"""

import json
import re
import sys
from pathlib import Path

PO = Path(__file__).resolve().parent.parent / "locale" / "nl" / "LC_MESSAGES" / "django.po"


def main(paths: list[str]) -> None:
    translations: dict[str, str] = {}
    for path in paths:
        translations.update(json.loads(Path(path).read_text()))
    text = PO.read_text()
    text = re.sub(r"^#, fuzzy\n", "", text, flags=re.M)
    text = re.sub(r"^#, fuzzy, ", "#, ", text, flags=re.M)
    text = re.sub(r"^#\| msgid .*\n", "", text, flags=re.M)

    def fill(match: re.Match[str]) -> str:
        msgid = match.group(1)
        if msgid in translations:
            return f'msgid "{msgid}"\nmsgstr "{translations[msgid]}"'
        return match.group(0)

    text = re.sub(r'msgid "((?:[^"\\]|\\.)+)"\nmsgstr "(?:[^"\\]|\\.)*"', fill, text)
    PO.write_text(text)
    missing = re.findall(r'msgid "((?:[^"\\]|\\.)+)"\nmsgstr ""\n', text)
    if missing:
        sys.exit("untranslated: " + "; ".join(missing))


if __name__ == "__main__":
    main(sys.argv[1:])
