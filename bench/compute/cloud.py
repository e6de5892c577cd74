"""Throw-away clouds for the compute benchmark: `haneul bootstrap`, `haneul serve` and
`haneul agent compute` in a temporary directory, every process stopped by its PID."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PASSWORD = "bench-admin-password"


def log(msg: str) -> None:
    print(f"[bench.compute] {msg}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait(check: Any, timeout: float, what: str, step: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(step)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")


@dataclass
class BenchCloud:
    driver: str  # libvirt or fake
    compute_extra: str = ""
    state: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(
        prefix="haneul-bench-compute-")))
    port: int = field(default_factory=free_port)
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        config = self.state / "haneul.toml"
        config.write_text(
            f'state_dir = "{self.state}"\n'
            'enabled_services = ["identity", "image", "compute"]\n'
            f'[server]\nhost = "127.0.0.1"\nport = {self.port}\n'
            "[identity]\nbcrypt_rounds = 10\n"
            f'[compute]\ndriver = "{self.driver}"\nhost = "bench-{os.getpid()}"\n'
            + self.compute_extra)
        subprocess.run([str(BIN / "haneul"), "bootstrap", "--config", str(config),
                        "--password", PASSWORD, "--clouds-yaml",
                        str(self.state / "clouds.yaml"), "--openrc",
                        str(self.state / "openrc")], check=True, capture_output=True)
        for name, args in (("serve", ["serve"]), ("agent", ["agent", "compute"])):
            out = (self.state / f"{name}.log").open("ab")
            self.procs[name] = subprocess.Popen([str(BIN / "haneul"), *args, "--config",
                                                 str(config)], stdout=out,
                                                stderr=subprocess.STDOUT)

        def up() -> bool:
            try:
                with urllib.request.urlopen(self.url + "/compute/", timeout=1) as r:
                    return bool(json.load(r)["versions"])
            except OSError:
                return False

        wait(up, 60, "haneul serve")
        log(f"{self.driver} cloud up at {self.url} (state in {self.state})")

    def sdk(self) -> Any:
        import openstack
        from openstack.config import OpenStackConfig

        cfg = OpenStackConfig(config_files=[str(self.state / "clouds.yaml")])
        return openstack.connection.Connection(config=cfg.get_one("haneul"))

    def stop(self) -> None:
        for name in ("agent", "serve"):
            proc = self.procs.pop(name, None)
            if proc is None or proc.poll() is not None:
                continue
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
