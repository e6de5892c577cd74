"""The wheel deployments install: rebuilt only when the sources change, and a failed
build says why in pip's words."""

from __future__ import annotations

from pathlib import Path

import pytest

from installer.wheel import build_wheel, source_digest


def project(root: Path, pyproject: str) -> Path:
    (root / "haneul").mkdir(parents=True)
    (root / "haneul" / "__init__.py").write_text("")
    (root / "pyproject.toml").write_text(pyproject)
    return root


GOOD = """[build-system]
requires = ["setuptools>=77"]
build-backend = "setuptools.build_meta"
[project]
name = "haneul"
version = "0.0.1"
license = "Apache-2.0"
[tool.setuptools]
packages = ["haneul"]
"""


def test_the_digest_follows_the_sources(tmp_path: Path) -> None:
    root = project(tmp_path / "src", GOOD)
    before = source_digest(root)
    assert source_digest(root) == before
    (root / "haneul" / "__init__.py").write_text("VERSION = 2\n")
    assert source_digest(root) != before


def test_an_unchanged_checkout_reuses_its_wheel(tmp_path: Path) -> None:
    root = project(tmp_path / "src", GOOD)
    first = build_wheel(tmp_path / "cache", root)
    assert first.path.name.startswith("haneul-0.0.1-") and first.path.exists()
    mtime = first.path.stat().st_mtime_ns
    again = build_wheel(tmp_path / "cache", root)
    assert again == first and again.path.stat().st_mtime_ns == mtime


def test_a_failed_build_reports_what_pip_said(tmp_path: Path) -> None:
    root = project(tmp_path / "src", GOOD.replace('version = "0.0.1"', "version = 1"))
    with pytest.raises(RuntimeError, match=r"building the haneul wheel from .* failed") as err:
        build_wheel(tmp_path / "cache", root)
    assert "version" in str(err.value)
