"""Helpers for tests that run Haneul: a served cloud on loopback and its clients."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ADMIN_PASSWORD = "admin-secret-password"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(check: Callable[[], bool], timeout: float = 30.0, what: str = "condition") -> None:
    """Poll ``check`` until it is true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    delay = 0.02
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(delay)
        delay = min(delay * 2, 0.5)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")


def write_config(state: Path, port: int, extra: str = "",
                 services: Sequence[str] | None = None) -> Path:
    """``extra`` lands in the [identity] table unless it opens tables of its own;
    ``services`` replaces the default enabled_services."""
    config = state / "haneul.toml"
    enabled = f"enabled_services = {json.dumps(list(services))}\n" if services else ""
    config.write_text(
        f'state_dir = "{state}"\n' + enabled +
        "[server]\n"
        f'host = "127.0.0.1"\nport = {port}\n'
        "[identity]\n"
        # OWASP's minimum bcrypt cost keeps test user creation quick.
        "bcrypt_rounds = 10\n" + extra
    )
    return config


@dataclass
class Cloud:
    """A `haneul serve` process on loopback, bootstrapped with an admin."""

    state: Path
    port: int
    config: Path
    clouds_yaml: Path
    process: subprocess.Popen[bytes] | None = None
    log: Path = field(default_factory=Path)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def auth_url(self) -> str:
        return self.url + "/identity/v3"

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
        env.update(OS_CLIENT_CONFIG_FILE=str(self.clouds_yaml), OS_CLOUD="haneul",
                   HANEUL_CONFIG=str(self.config))
        return env

    def openstack(self, *args: str, check: bool = True) -> Any:
        """Run the real `openstack` CLI; JSON output is parsed."""
        cmd = [str(BIN / "openstack"), *args]
        wants_json = any(a in ("show", "list", "create", "issue") for a in args[:3])
        if wants_json and "-f" not in args:
            cmd += ["-f", "json"]
        proc = subprocess.run(cmd, env=self.env, capture_output=True, text=True, timeout=120)
        if check and proc.returncode != 0:
            raise AssertionError(f"{' '.join(args)} failed: {proc.stderr}")
        if not check:
            return proc
        out = proc.stdout.strip()
        return json.loads(out) if out.startswith(("{", "[")) else out

    def sdk(self, **auth: str) -> Any:
        import openstack
        from openstack.config import OpenStackConfig

        if not auth:
            config = OpenStackConfig(config_files=[str(self.clouds_yaml)])
            return openstack.connection.Connection(config=config.get_one("haneul"))
        return openstack.connect(auth_url=self.auth_url, region_name="RegionOne",
                                 user_domain_name="Default", project_domain_name="Default",
                                 identity_api_version="3", **auth)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def bootstrap(state: Path, port: int, config_extra: str = "",
              services: Sequence[str] | None = None) -> Cloud:
    state.mkdir(parents=True, exist_ok=True)
    config = write_config(state, port, config_extra, services)
    clouds = state / "clouds.yaml"
    subprocess.run(
        [str(BIN / "haneul"), "bootstrap", "--config", str(config), "--password",
         ADMIN_PASSWORD, "--clouds-yaml", str(clouds), "--openrc", str(state / "openrc")],
        check=True, capture_output=True, timeout=120,
    )
    return Cloud(state=state, port=port, config=config, clouds_yaml=clouds)


def start(cloud: Cloud) -> Cloud:
    cloud.log = cloud.state / "serve.log"
    with open(cloud.log, "ab") as log:
        cloud.process = subprocess.Popen(
            [str(BIN / "haneul"), "serve", "--config", str(cloud.config)],
            stdout=log, stderr=subprocess.STDOUT,
        )

    def up() -> bool:
        assert cloud.process is not None
        if cloud.process.poll() is not None:
            raise RuntimeError(f"haneul serve exited: {cloud.log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(cloud.auth_url, timeout=1):
                return True
        except OSError:
            return False

    wait_for(up, 60, "haneul serve to answer")
    return cloud


@contextmanager
def running_cloud(state: Path, config_extra: str = "",
                  services: Sequence[str] | None = None) -> Iterator[Cloud]:
    cloud = start(bootstrap(state, free_port(), config_extra, services))
    try:
        yield cloud
    finally:
        cloud.stop()
