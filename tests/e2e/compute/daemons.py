"""libvirtd and virtlogd for e2e tests, started here (no systemd) and stopped by PID.

If a libvirtd already answers on qemu:///system it is used and left alone: only the
processes this module started are stopped, each by the PID it recorded.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from tests.support import wait_for

QEMU_CONF = Path("/etc/libvirt/qemu.conf")
URI = "qemu:///system"


def missing_tools() -> list[str]:
    wanted = ("libvirtd", "virtlogd", "qemu-system-x86_64", "qemu-img")
    missing = [t for t in wanted if shutil.which(t) is None
               and not Path("/usr/sbin", t).exists()]
    try:
        import libvirt  # noqa: F401
    except ImportError:
        missing.append("libvirt-python")
    return missing


def ensure_qemu_conf(path: Path = QEMU_CONF) -> bool:
    """Run guests as root: without it libvirt re-probes QEMU for ~40 s on every define
    (the QEMU user cannot open /dev/kvm). True if the file was changed."""
    text = path.read_text()
    changed = False
    for key in ("user", "group"):
        if not re.search(rf'^{key}\s*=\s*"root"', text, re.M):
            text = re.sub(rf"^{key}\s*=.*\n", "", text, flags=re.M)
            text += f'{key} = "root"\n'
            changed = True
    if changed:
        path.write_text(text)
    return changed


def libvirt_answers() -> bool:
    proc = subprocess.run(["virsh", "-c", URI, "version"], capture_output=True,
                          timeout=30, check=False)
    return proc.returncode == 0


def _pid_of(pidfile: Path, name: str) -> int | None:
    try:
        pid = int(pidfile.read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return None
    return pid if name.encode() in cmdline else None


@dataclass
class Daemons:
    started: dict[str, int] = field(default_factory=dict)

    def stop(self) -> None:
        # libvirtd first: it holds connections to virtlogd.
        for name in ("libvirtd", "virtlogd"):
            pid = self.started.pop(name, None)
            if pid is None:
                continue
            try:
                if name.encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                    os.kill(pid, signal.SIGTERM)
            except OSError:
                continue
            wait_for(lambda p=pid: not Path(f"/proc/{p}").exists(), 30, f"{name} to exit")


def start() -> Daemons:
    """Make sure libvirtd answers; start virtlogd and libvirtd if it does not."""
    daemons = Daemons()
    ensure_qemu_conf()
    if libvirt_answers():
        return daemons
    for name in ("virtlogd", "libvirtd"):
        pidfile = Path(f"/run/{name}.pid")
        if _pid_of(pidfile, name) is None:
            subprocess.run([name, "-d"], check=True, timeout=60)
            wait_for(lambda n=name, f=pidfile: _pid_of(f, n) is not None, 30,
                     f"{name} to write its pid")
            pid = _pid_of(pidfile, name)
            assert pid is not None
            daemons.started[name] = pid
    wait_for(libvirt_answers, 60, "libvirtd to answer")
    return daemons
