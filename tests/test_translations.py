"""Korean first: every message of the project has a Korean translation, with the same
placeholders, and the compiled catalogue matches the source."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import polib
import pytest
from django.utils.translation.template import templatize

ROOT = Path(__file__).resolve().parents[1]
APPS = [
    "accounts",
    "campaigns",
    "cities",
    "dashboard",
    "districts",
    "jeonju_prepay",
    "ledger",
    "merchants",
    "rentals",
    "vouchers",
]
PO = ROOT / "locale" / "ko" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
KEYWORDS = ["gettext", "gettext_lazy", "_", "ngettext:1,2", "ngettext_lazy:1,2", "pgettext:1c,2"]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def source_msgids(tmp_path: Path) -> set[str]:
    sources = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts:
                sources.append(path)
    templates = [p for app in APPS for p in (ROOT / app).rglob("*.html")]
    templates += list((ROOT / "templates").rglob("*.html"))
    for n, path in enumerate(sorted(templates)):
        out = tmp_path / f"t{n}.py"
        out.write_text(
            templatize(path.read_text(encoding="utf-8"), origin=str(path)), encoding="utf-8"
        )
        sources.append(out)
    pot = tmp_path / "all.pot"
    subprocess.run(
        [
            "xgettext",
            "--language=Python",
            "--from-code=UTF-8",
            "--no-location",
            *(f"--keyword={k}" for k in KEYWORDS),
            "-o",
            str(pot),
            *map(str, sources),
        ],
        check=True,
    )
    ids = set()
    for entry in polib.pofile(str(pot)):
        ids.add(entry.msgid)
    ids.discard("")
    return ids


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="gettext tools are not installed")
def test_every_message_in_the_code_has_a_korean_translation(tmp_path):
    translated = {e.msgid for e in polib.pofile(str(PO)) if e.translated() and not e.obsolete}
    missing = sorted(source_msgids(tmp_path) - translated)
    assert not missing, "run `make messages` and translate:\n" + "\n".join(missing)


def test_translations_keep_their_placeholders_and_none_is_fuzzy():
    for entry in polib.pofile(str(PO)):
        if entry.obsolete:
            continue
        assert "fuzzy" not in entry.flags, entry.msgid
        translations = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        for text in translations:
            assert text.strip(), entry.msgid
            assert set(PLACEHOLDER.findall(entry.msgid)) == set(PLACEHOLDER.findall(text)), (
                entry.msgid
            )


def test_the_compiled_catalogue_matches_the_source():
    def table(catalogue):
        return {
            e.msgid: (dict(e.msgstr_plural) if e.msgid_plural else e.msgstr)
            for e in catalogue
            if e.msgid and not e.obsolete and (e.msgstr or e.msgstr_plural)
        }

    po, mo = table(polib.pofile(str(PO))), table(polib.mofile(str(MO)))
    assert mo == po, "run `make messages` to compile locale/ko/LC_MESSAGES/django.mo"
