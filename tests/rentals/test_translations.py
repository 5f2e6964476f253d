"""Every message of the rentals app has a Korean translation waiting in
``locale/pending/rentals.ko.json`` (merged into the catalogue by whoever owns ``locale/``)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import polib
import pytest
from django.utils.translation.template import templatize

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "rentals"
PENDING = ROOT / "locale" / "pending" / "rentals.ko.json"
KEYWORDS = ["gettext", "gettext_lazy", "_", "ngettext:1,2", "ngettext_lazy:1,2", "pgettext:1c,2"]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def app_msgids(tmp_path: Path) -> set[str]:
    sources = []
    for path in sorted(APP.rglob("*.py")):
        if "migrations" not in path.parts:
            sources.append(path)
    for path in sorted(APP.rglob("*.html")):
        out = tmp_path / (path.name + ".py")
        out.write_text(
            templatize(path.read_text(encoding="utf-8"), origin=str(path)), encoding="utf-8"
        )
        sources.append(out)
    pot = tmp_path / "rentals.pot"
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
    msgids = set()
    for entry in polib.pofile(str(pot)):
        msgids.add(entry.msgid)
        if entry.msgid_plural:
            msgids.add(entry.msgid_plural)
    msgids.discard("")
    return msgids


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="gettext tools are not installed")
def test_every_rentals_message_has_a_pending_korean_translation(tmp_path):
    pending = json.loads(PENDING.read_text(encoding="utf-8"))
    missing = sorted(app_msgids(tmp_path) - set(pending))
    assert not missing, "add to locale/pending/rentals.ko.json:\n" + "\n".join(missing)


def test_pending_translations_keep_their_placeholders():
    pending = json.loads(PENDING.read_text(encoding="utf-8"))
    for msgid, msgstr in pending.items():
        assert msgstr.strip(), msgid
        assert set(PLACEHOLDER.findall(msgid)) == set(PLACEHOLDER.findall(msgstr)), msgid
