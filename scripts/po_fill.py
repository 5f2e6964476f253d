"""Fill untranslated entries of a .po file from a JSON object {msgid: msgstr}.

    python scripts/po_fill.py locale/ko/LC_MESSAGES/django.po translations.json
    python scripts/po_fill.py locale/ko/LC_MESSAGES/django.po --missing   # list what is missing

The .po file stays the source of truth; this only saves typing when many strings land at once.
"""

import json
import sys

import polib


def main() -> None:
    po = polib.pofile(sys.argv[1])
    if sys.argv[2] == "--missing":
        missing = [e.msgid for e in po if not e.translated() and not e.obsolete]
        print(json.dumps(dict.fromkeys(missing, ""), ensure_ascii=False, indent=1))
        return
    with open(sys.argv[2], encoding="utf-8") as fh:
        table = json.load(fh)
    filled = 0
    for entry in po:
        if table.get(entry.msgid):
            if entry.msgid_plural:
                entry.msgstr_plural = {0: table[entry.msgid]}
            else:
                entry.msgstr = table[entry.msgid]
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
            filled += 1
    po.save()
    left = sum(1 for e in po if not e.translated() and not e.obsolete)
    print(f"filled {filled}, untranslated left {left}")


if __name__ == "__main__":
    main()
