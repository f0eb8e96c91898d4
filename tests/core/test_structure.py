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
TRANSPORTS = {"aiogram", "nio", "aiosmtpd", "aiosmtplib", "mailmanclient", "aiohttp"}
PACKAGES = ("bot", "mail", "scheduler", "models")
CORE_DIRS = ["bot/core", "bot/runtime", "bot/handlers", "bot/services", "models", "scheduler"]
# Each floor and the packages it must not import (type-checking imports included): the vocabulary below the
# services, the runtime above them and below the features and the platforms.
FLOORS = {"bot/core": ("bot.runtime", "bot.services", "bot.handlers", "bot.adapters", "bot.cli", "bot.app", "mail", "scheduler"),
          "bot/runtime": ("bot.handlers", "bot.adapters", "bot.cli", "bot.app", "mail", "scheduler")}


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


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """Module → the project modules it imports (every import, TYPE_CHECKING ones included)."""
    modules = {}
    for package in PACKAGES:
        for path in (root / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(root).with_suffix("").parts).removesuffix(".__init__")
            modules[name] = path
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")
                    base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
                targets = [base] + [f"{base}.{a.name}" for a in node.names]
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name and not (path.name == "__init__.py" and target.startswith(name + ".")):
                    graph[name].add(target)
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
    return names


def floor_offenders(root: Path) -> list[str]:
    offenders = []
    for folder, above in FLOORS.items():
        for path in sorted((root / folder).rglob("*.py")):
            bad = sorted(n for n in imported_modules(path) if any(n == a or n.startswith(a + ".") for a in above))
            if bad:
                offenders.append(f"{path.relative_to(root)}: {bad}")
    return offenders


def test_no_import_runs_up_a_floor():
    assert floor_offenders(ROOT) == []


def test_the_floor_check_sees_an_import_running_up(tmp_path):
    (tmp_path / "bot" / "core").mkdir(parents=True)
    (tmp_path / "bot" / "runtime").mkdir()
    (tmp_path / "bot" / "core" / "a.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from bot.services import Services\n")
    (tmp_path / "bot" / "runtime" / "b.py").write_text("from bot import handlers\nfrom bot.services import Services\n")
    assert floor_offenders(tmp_path) == ["bot/core/a.py: ['bot.services', 'bot.services.Services']",
                                         "bot/runtime/b.py: ['bot.handlers']"]


def test_no_import_circle():
    assert circles(import_graph()) == []


def test_the_circle_check_finds_a_circle(tmp_path):
    (tmp_path / "bot").mkdir()
    (tmp_path / "bot" / "__init__.py").write_text("")
    (tmp_path / "bot" / "a.py").write_text("from bot.b import x\n")
    (tmp_path / "bot" / "b.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from bot import a\n")
    assert circles(import_graph(tmp_path)) == [["bot.a", "bot.b"]]


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
