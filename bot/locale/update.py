"""Rebuild the French catalog: extract the strings from the code and merge them into fr/LC_MESSAGES/relais.po.

The `.po` file is the one source of the French text (message ids are English, and English needs no catalog):
run `python -m bot.locale.update` after changing strings, write the French of the new entries in the `.po`
(any PO editor works), and run it again; it prints the strings that still lack French and exits 1 while some do.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
FRENCH = HERE / "fr" / "LC_MESSAGES" / "relais.po"
KEYWORDS = ["-k", "N_", "-k", "t", "-k", "n:1,2", "-k", "tn:1,2"]


def extract() -> Catalog:
    """The message ids of the code and templates (babel.cfg says where)."""
    with tempfile.TemporaryDirectory() as tmp:
        pot = Path(tmp) / "relais.pot"
        subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", *KEYWORDS,
                        "--no-location", "--sort-output", "-o", str(pot), "."], cwd=ROOT, check=True, capture_output=True)
        with pot.open("rb") as fh:
            return read_po(fh)


def untranslated(catalog: Catalog, template: Catalog) -> list[str]:
    missing = []
    for msg in template:
        if not msg.id:
            continue
        found = catalog.get(msg.id)
        strings = (found.string if isinstance(found.string, (list, tuple)) else [found.string]) if found else [""]
        if not found or found.fuzzy or not all(strings):
            missing.append(str(msg.id[0] if isinstance(msg.id, (list, tuple)) else msg.id))
    return missing


def main() -> int:
    template = extract()
    with FRENCH.open("rb") as fh:
        catalog = read_po(fh, locale="fr")
    catalog.update(template, no_fuzzy_matching=True)  # new ids added empty, gone ones dropped
    catalog.obsolete.clear()
    with FRENCH.open("wb") as fh:
        write_po(fh, catalog, width=120, sort_output=True, omit_header=False, ignore_obsolete=True)
    missing = untranslated(catalog, template)
    for key in missing:
        print("no French for:", key)
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main())
