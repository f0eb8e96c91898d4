"""Rebuild the catalogs: extract the strings from the code, take French from bot/locale/fr/*.json.

Each feature keeps its French in its own fragment (core.json, telegram.json, ...): an entry is
"English": "Français", or for plurals "singular": {"plural": "...", "fr": ["un", "plusieurs"]}.
Run `python -m bot.locale.update`; it prints the strings that still lack French.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


def french() -> dict:
    merged: dict = {}
    for fragment in sorted((HERE / "fr").glob("*.json")):
        merged.update(json.loads(fragment.read_text(encoding="utf-8")))
    return merged


def extract() -> Catalog:
    with tempfile.TemporaryDirectory() as tmp:
        pot = Path(tmp) / "relais.pot"
        subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "N_", "-k", "t",
                        "-k", "n:1,2", "-k", "tn:1,2", "--no-location", "--sort-output", "-o", str(pot), "."], cwd=ROOT, check=True,
                       capture_output=True)
        with pot.open("rb") as fh:
            return read_po(fh)


def main() -> int:
    pot, fr = extract(), french()
    missing = []
    for code in ("fr", "en"):
        catalog = Catalog(locale=code, project="Relais", charset="utf-8")
        for msg in pot:
            if not msg.id:
                continue
            plural = isinstance(msg.id, tuple)
            key = msg.id[0] if plural else msg.id
            entry = fr.get(key) if code == "fr" else None
            if code == "fr" and entry is None:
                missing.append(key)
            if plural:
                catalog.add(msg.id, tuple(entry["fr"]) if entry else ("", ""))
            else:
                catalog.add(msg.id, entry or "")
        with (HERE / code / "LC_MESSAGES" / "relais.po").open("wb") as fh:
            write_po(fh, catalog, width=120, sort_output=True, omit_header=False)
    for key in missing:
        print("no French for:", key)
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main())
