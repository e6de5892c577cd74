"""`haneul deploy --check` on the all-in-one inventory (into a throwaway prefix) runs to
the end without changing anything: read-only probes run in check mode, and the tasks
after a skipped command cope with its missing result."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.e2e.installer.aio import aio_inventory
from tests.support import BIN, REPO, free_port

pytestmark = pytest.mark.slow


def test_check_mode_runs_through_and_changes_nothing(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("the all-in-one inventory deploys as root")
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(aio_inventory(tmp_path, free_port()))
    env = {**os.environ, "HANEUL_RUNS_DIR": str(tmp_path / "runs")}
    done = subprocess.run([str(BIN / "haneul"), "deploy", "-i", str(inventory), "--check",
                           "--json"], env=env, capture_output=True, text=True,
                          timeout=600, cwd=REPO)
    events = [json.loads(line) for line in done.stdout.splitlines()]
    failed = [e for e in events if e["kind"] == "result" and e["status"] == "failed"]
    assert done.returncode == 0, failed or done.stdout[-3000:]
    assert events[-1] == {"kind": "finished", "status": "successful", "rc": 0}
    # Only what the installer keeps on the deployment host itself: nothing deployed.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inventory.yml", "runs",
                                                          "secrets.yml"]
