"""Structure rules: no transport in the core, every command declared with help and French, catalogs complete."""

import ast
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from bot.core.commands import Registry
from bot.core.i18n import Catalogs
from bot.handlers import MODULES

ROOT = Path(__file__).resolve().parents[2]
TRANSPORTS = {"aiogram", "nio", "aiosmtpd", "aiosmtplib", "mailmanclient"}
CORE_DIRS = ["bot/core", "bot/handlers", "bot/services", "models", "scheduler"]


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_core_never_imports_a_transport():
    offenders = []
    for folder in CORE_DIRS:
        for path in (ROOT / folder).rglob("*.py"):
            bad = imported_roots(path) & TRANSPORTS
            if bad:
                offenders.append(f"{path.relative_to(ROOT)}: {sorted(bad)}")
    assert offenders == []


def test_the_import_check_sees_a_transport(tmp_path):
    sample = tmp_path / "x.py"
    sample.write_text("from aiogram import Bot\nimport nio.api\n")
    assert imported_roots(sample) == {"aiogram", "nio"}


def test_every_command_has_help_a_section_and_a_french_name():
    registry = Registry(MODULES)
    assert len(registry.commands) >= 20
    for cmd in registry.commands:
        assert cmd.help, cmd.name
        assert cmd.aliases.get("fr"), f"{cmd.name} has no French name"


def test_every_string_has_a_french_translation(tmp_path):
    pot = tmp_path / "relais.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "N_", "-k", "t",
                    "-k", "n:1,2", "-k", "tn:1,2", "--no-location", "-o", str(pot), "."], cwd=ROOT, check=True)
    with pot.open("rb") as fh:
        wanted = [m.id for m in read_po(fh) if m.id]
    with (ROOT / "bot/locale/fr/LC_MESSAGES/relais.po").open("rb") as fh:
        french = read_po(fh, locale="fr")
    missing = [m for m in wanted if not (french.get(m) and all(french.get(m).string if isinstance(m, tuple) else [french.get(m).string]))]
    assert missing == [], f"untranslated: {missing[:5]}"
    assert len(wanted) > 100


def test_catalogs_translate_and_pluralize():
    catalogs = Catalogs()
    fr, en = catalogs.get("fr"), catalogs.get("en")
    assert fr("Undo") == "Annuler" and en("Undo") == "Undo"
    assert fr.n("{count} follower", "{count} followers", 3) == "3 abonné·es"
    assert en.n("{count} follower", "{count} followers", 1) == "1 follower"
    assert catalogs.get("de-DE").locale == "fr"  # unknown languages fall back to the default
