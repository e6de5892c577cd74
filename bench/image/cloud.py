"""A throw-away Haneul for the image benchmark: `haneul bootstrap` + `haneul serve` with
identity and image only, state (and so the image store) in a directory the caller picks
so that dd measures the same filesystem. Every process is stopped by its PID."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

BIN = Path(sys.executable).parent
PASSWORD = "bench-image-admin-password"


def log(msg: str) -> None:
    print(f"[bench.image] {msg}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def token(url: str, username: str, password: str, project: str) -> str:
    """A project-scoped Keystone token from Haneul's identity service."""
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": username, "domain": {"name": "Default"}, "password": password}}},
        "scope": {"project": {"name": project, "domain": {"name": "Default"}}}}}
    req = urllib.request.Request(url + "/identity/v3/auth/tokens", method="POST",
                                 data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return str(resp.headers["X-Subject-Token"])


@dataclass
class BenchCloud:
    parent: Path
    workers: int = 1
    haneul: Path = BIN / "haneul"
    state: Path = field(init=False)
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    def __post_init__(self) -> None:
        self.parent.mkdir(parents=True, exist_ok=True)
        self.state = Path(tempfile.mkdtemp(prefix="haneul-bench-image-", dir=self.parent))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def store_dir(self) -> Path:
        return self.state / "images"

    @property
    def clouds_yaml(self) -> Path:
        return self.state / "clouds.yaml"

    def start(self) -> None:
        config = self.state / "haneul.toml"
        config.write_text(
            f'state_dir = "{self.state}"\n'
            'enabled_services = ["identity", "image"]\n'
            f'[server]\nhost = "127.0.0.1"\nport = {self.port}\nworkers = {self.workers}\n'
            'log_level = "WARNING"\n'
            "[identity]\nbcrypt_rounds = 10\n")
        subprocess.run([str(self.haneul), "bootstrap", "--config", str(config),
                        "--password", PASSWORD, "--clouds-yaml", str(self.clouds_yaml),
                        "--openrc", str(self.state / "openrc")], check=True,
                       capture_output=True)
        with (self.state / "serve.log").open("ab") as out:
            self.proc = subprocess.Popen([str(self.haneul), "serve", "--config", str(config)],
                                         stdout=out, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"haneul serve exited; see {self.state}/serve.log")
            try:
                with urllib.request.urlopen(self.url + "/image/", timeout=1):
                    break
            except urllib.error.HTTPError:
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise TimeoutError("haneul serve did not answer")
        self.store_dir.mkdir(parents=True, exist_ok=True)
        log(f"haneul serve pid {self.proc.pid} at {self.url}, state in {self.state}")

    def cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by the server and its worker processes."""
        if self.proc is None:
            return 0.0
        tick = os.sysconf("SC_CLK_TCK")
        total = 0.0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rpartition(")")[2].split()
            except OSError:
                continue
            pid, ppid = int(stat.parent.name), int(fields[1])
            if self.proc.pid in (pid, ppid):
                total += (int(fields[11]) + int(fields[12])) / tick
        return total

    def peak_rss_mib(self) -> float:
        """The largest resident memory any server process reached (VmHWM): stays flat
        whatever the image size when data is streamed, never held whole."""
        if self.proc is None:
            return 0.0
        peak = 0
        for status in Path("/proc").glob("[0-9]*/status"):
            try:
                text = status.read_text()
            except OSError:
                continue
            fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
            if self.proc.pid in (int(status.parent.name), int(fields.get("PPid", "0"))):
                peak = max(peak, int(fields.get("VmHWM", "0 kB").split()[0]))
        return peak / 1024

    def stop(self, keep_state: bool = False) -> None:
        if self.proc is not None and self.proc.poll() is None:
            # Its own session: the signal reaches uvicorn's worker processes too.
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None
        if not keep_state:
            shutil.rmtree(self.state, ignore_errors=True)
