"""The Russian and English catalogues are complete: every string the code marks for
translation is in them, translated, and none is fuzzy.

makemessages runs on a copy of the package (it rewrites the catalogues it finds), so a string
added without its translation — or hidden from extraction, as an aliased gettext once hid the
task list's headings — fails here instead of showing English in the Russian UI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
IGNORED = shutil.ignore_patterns("__pycache__", "dist", "*.mo", "node_modules")

pytestmark = pytest.mark.skipif(
    shutil.which("xgettext") is None or bool(os.environ.get("DATABASE_URL")),
    reason="needs GNU gettext; the catalogues do not depend on the database (run once)")


def _entries(po: Path, *flags: str) -> str:
    out = subprocess.run(["msgattrib", *flags, "--no-obsolete", str(po)], check=True,
                         capture_output=True, text=True).stdout
    # msgattrib prints the header entry (msgid "") along with any match: drop it.
    return "\n\n".join(block for block in out.split("\n\n")
                       if block.strip() and 'msgid ""\nmsgstr ""' not in block)


def test_catalogues_are_complete(tmp_path):
    shutil.copytree(ROOT / "voronka", tmp_path / "voronka", ignore=IGNORED)
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "DJANGO_SETTINGS_MODULE":
           "voronka.settings", "SECRET_KEY": "catalogue-test", "DATABASE_URL": ""}
    subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", "ru", "-l", "en", "-v", "0",
         "--ignore=tests", "--ignore=node_modules", "--ignore=static/dist"],
        cwd=tmp_path, env=env, check=True, capture_output=True, text=True)
    for lang in ("ru", "en"):
        po = tmp_path / "voronka" / "locale" / lang / "LC_MESSAGES" / "django.po"
        untranslated = _entries(po, "--untranslated")
        fuzzy = _entries(po, "--only-fuzzy")
        assert not untranslated, f"{lang}: untranslated strings:\n{untranslated[:3000]}"
        assert not fuzzy, f"{lang}: fuzzy strings:\n{fuzzy[:3000]}"
