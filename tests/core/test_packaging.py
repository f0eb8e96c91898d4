"""The first run is clean: `pyproject.toml` declares its license as today's packaging wants it (an SPDX expression and
its file; the TOML table form makes setuptools print deprecation warnings at every `make run`), and the LICENSE file
it names is in the repository, the AGPL's full text."""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
AGPL_3_MD5 = "eb1e647870add0502f8f010b19de32af"  # the FSF's text of the GNU AGPL v3, as distributions check it


def test_the_license_is_an_spdx_expression_with_its_file():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    meta = project["project"]
    assert meta["license"] == "AGPL-3.0-or-later"
    assert meta["license-files"] == ["LICENSE"]
    assert not any(c.startswith("License ::") for c in meta.get("classifiers", []))  # superseded by the expression
    requires = project["build-system"]["requires"]
    assert any(r.replace(" ", "") == "setuptools>=77" for r in requires)  # the first setuptools that reads it


def test_the_license_file_is_the_agpl_full_text():
    text = (ROOT / "LICENSE").read_bytes()
    assert text.lstrip().startswith(b"GNU AFFERO GENERAL PUBLIC LICENSE") and b"Version 3, 19 November 2007" in text
    assert hashlib.md5(text).hexdigest() == AGPL_3_MD5


def test_the_image_builds_with_the_file_the_license_names():
    """`license-files` makes the build read LICENSE: the Dockerfile copies it before `pip install .`."""
    docker = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    copy = next(line for line in docker.splitlines() if line.startswith("COPY pyproject.toml"))
    assert "LICENSE" in copy.split()
