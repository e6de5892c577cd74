"""A throw-away Haneul for the benchmark: `haneul bootstrap` + `haneul serve`.

Used by `--start-haneul`: a temporary state directory, a generated admin password, a
free loopback port, and the same number of worker processes as upstream Keystone.
The server and its workers are stopped by PID at the end.
"""

from __future__ import annotations

import secrets
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.identity.client import Keystone
from bench.identity.upstream import log, pick_port, stop_group

REPO = Path(__file__).resolve().parents[2]
DEFAULT_BIN = REPO / ".venv" / "bin" / "haneul"


@dataclass
class Haneul:
    """One Haneul server in a temporary state directory."""

    binary: Path = DEFAULT_BIN
    port: int = 5002
    workers: int = 2
    password: str = field(default_factory=lambda: secrets.token_urlsafe(18))
    state: Path = field(
        default_factory=lambda: Path(tempfile.mkdtemp(prefix="haneul-bench-haneul-"))
    )
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/identity/v3"

    def _common(self) -> list[str]:
        return ["--state-dir", str(self.state), "--host", "127.0.0.1", "--port", str(self.port)]

    def start(self) -> None:
        if not self.binary.exists():
            raise RuntimeError(f"{self.binary} does not exist: install Haneul first (scripts/up)")
        self.port = pick_port(self.port)
        log(f"bootstrapping Haneul in {self.state}")
        boot = subprocess.run(
            [str(self.binary), "bootstrap", *self._common(), "--password", self.password,
             "--no-clouds-yaml"],
            capture_output=True,
            text=True,
            check=False,
        )  # fmt: skip
        if boot.returncode != 0:
            raise RuntimeError(f"haneul bootstrap failed:\n{boot.stdout}\n{boot.stderr}")
        logf = open(self.state / "serve.log", "ab")  # noqa: SIM115 - handed to the child
        self.proc = subprocess.Popen(
            [str(self.binary), "serve", *self._common(), "--workers", str(self.workers)],
            stdout=logf,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        logf.close()
        log(f"started haneul serve pid {self.proc.pid} on port {self.port}")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"haneul serve exited; see {self.state}/serve.log")
            try:
                with Keystone(self.url, timeout=5) as ks:
                    ks.version()
                return
            except (OSError, RuntimeError):
                time.sleep(0.2)
        raise TimeoutError(f"haneul serve did not answer at {self.url}")

    def stop(self, keep_state: bool = False) -> None:
        if self.proc is not None:
            stop_group(self.proc)
            log(f"stopped haneul serve pid {self.proc.pid}")
            self.proc = None
        if not keep_state:
            shutil.rmtree(self.state, ignore_errors=True)
