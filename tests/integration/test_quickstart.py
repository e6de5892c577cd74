"""The README's first command brings up a cloud the real `openstack` CLI can use."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.support import BIN, REPO, free_port


def test_scripts_up_serves_a_cloud_and_is_safe_to_rerun(tmp_path: Path) -> None:
    env = {**os.environ, "HOME": str(tmp_path), "HANEUL_PORT": str(free_port())}
    env = {k: v for k, v in env.items() if not k.startswith(("OS_", "HANEUL_CONFIG"))}
    up = subprocess.run([str(REPO / "scripts" / "up")], env=env, capture_output=True, text=True,
                        timeout=600)
    assert up.returncode == 0, up.stderr
    pidfile = tmp_path / ".local/share/haneul/haneul-serve.pid"
    pid = int(pidfile.read_text())
    try:
        clouds = tmp_path / ".config/openstack/clouds.yaml"
        assert clouds.stat().st_mode & 0o077 == 0
        issued = subprocess.run([str(BIN / "openstack"), "--os-cloud", "haneul", "token",
                                 "issue", "-f", "value", "-c", "user_id"], env=env,
                                capture_output=True, text=True, timeout=120)
        assert issued.returncode == 0 and issued.stdout.strip(), issued.stderr
        again = subprocess.run([str(REPO / "scripts" / "up")], env=env, capture_output=True,
                               text=True, timeout=600)
        assert again.returncode == 0 and "already serving" in again.stdout
    finally:
        cmdline = Path(f"/proc/{pid}/cmdline")
        if cmdline.exists() and b"haneul" in cmdline.read_bytes():
            os.kill(pid, 15)
