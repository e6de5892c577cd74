"""Install mode keeps the walls: it talks to the installer's Python API, never to the
runtime, and loads neither ansible-runner (the run is another process) nor paramiko
(until a host is tested)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


def test_install_mode_loads_no_runtime_ansible_or_paramiko() -> None:
    code = "import sys, tui.install.app, tui.install.replay; print('\\n'.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=REPO).stdout
    assert not {m.split(".")[0] for m in out.split()} & {"runtime", "ansible_runner",
                                                         "paramiko"}
