"""The walls between packages (DESIGN.md), and that our top-level names are ours."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.support import REPO


def loaded_modules(statement: str) -> set[str]:
    code = f"{statement}\nimport sys; print('\\n'.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=REPO).stdout
    return set(out.split())


@pytest.mark.parametrize("package", ["runtime", "installer", "tui", "haneul"])
def test_top_level_packages_resolve_inside_this_tree(package: str) -> None:
    out = subprocess.run([sys.executable, "-c", f"import {package}; print({package}.__file__)"],
                         capture_output=True, text=True, check=True, cwd="/").stdout
    assert out.strip().startswith(str(REPO / package))


def test_runtime_never_imports_installer_tui_textual_or_ansible() -> None:
    mods = loaded_modules("import runtime.server, runtime.identity.api, runtime.models")
    assert not {m.split(".")[0] for m in mods} & {"installer", "tui", "textual",
                                                  "ansible_runner"}


def test_serve_command_loads_no_textual_or_ansible() -> None:
    mods = loaded_modules("import haneul.cli as c; c.build_parser(); import runtime.server")
    assert not {m.split(".")[0] for m in mods} & {"textual", "ansible_runner", "tui",
                                                  "installer"}


def test_installer_never_imports_tui() -> None:
    mods = loaded_modules("import installer")
    assert not {m.split(".")[0] for m in mods} & {"tui", "textual"}


def test_tui_never_imports_runtime() -> None:
    mods = loaded_modules("import tui")
    assert "runtime" not in {m.split(".")[0] for m in mods}
