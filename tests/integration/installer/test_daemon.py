"""`haneul daemon` keeps a service running where there is no systemd, and never signals
a process that is not its own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support import BIN, wait_for


def daemon(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "haneul"), "daemon", *args], capture_output=True,
                          text=True, timeout=60)


def service(tmp_path: Path, body: str) -> list[str]:
    script = tmp_path / "service.py"
    script.write_text(body)
    return [sys.executable, str(script)]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_start_status_stop(tmp_path: Path) -> None:
    marker = tmp_path / "child.pid"
    command = service(tmp_path, f"import os, time\nopen({str(marker)!r}, 'w').write("
                                "str(os.getpid()))\ntime.sleep(600)\n")
    pidfile, log = tmp_path / "svc.pid", tmp_path / "svc.log"
    started = daemon("start", "--pidfile", str(pidfile), "--log", str(log), "--", *command)
    assert started.stdout.strip() == "started", started.stderr
    assert daemon("start", "--pidfile", str(pidfile), "--log", str(log), "--",
                  *command).stdout.strip() == "running"
    wait_for(marker.exists, 30, "the service to start")
    child = int(marker.read_text())
    status = daemon("status", "--pidfile", str(pidfile))
    assert status.returncode == 0 and status.stdout.startswith("running")
    assert daemon("stop", "--pidfile", str(pidfile)).stdout.strip() == "stopped"
    assert not alive(child), "the service outlived its supervisor"
    assert not pidfile.exists()
    assert daemon("status", "--pidfile", str(pidfile)).returncode == 3


def test_a_failing_service_is_restarted(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    command = service(tmp_path, f"open({str(runs)!r}, 'a').write('x')\nraise SystemExit(1)\n")
    pidfile, log = tmp_path / "svc.pid", tmp_path / "svc.log"
    daemon("start", "--pidfile", str(pidfile), "--log", str(log), "--", *command)
    try:
        wait_for(lambda: runs.exists() and len(runs.read_text()) >= 2, 30,
                 "the failed service to be started again")
        assert "exited with 1; restarting" in log.read_text()
    finally:
        daemon("stop", "--pidfile", str(pidfile))


def test_a_stale_pidfile_never_signals_someone_else(tmp_path: Path) -> None:
    bystander = subprocess.Popen(["sleep", "600"])
    try:
        pidfile = tmp_path / "svc.pid"
        pidfile.write_text(str(bystander.pid))
        assert daemon("status", "--pidfile", str(pidfile)).stdout.strip() == "not running"
        assert daemon("stop", "--pidfile", str(pidfile)).stdout.strip() == "not running"
        assert bystander.poll() is None
    finally:
        bystander.kill()
        bystander.wait()
