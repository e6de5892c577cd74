"""Upstream Keystone from PyPI, for comparison: install, configure, bootstrap, serve.

Keystone runs from its own virtual environment (by default
~/.cache/haneul/bench-keystone-venv) under gunicorn or uWSGI with two worker processes
(one thread each), on SQLite,
with fernet tokens and bcrypt at a chosen cost. Optionally it caches in a memcached
that this module starts on loopback. Every process started here is recorded by PID and
stopped by PID (its own process group) in `stop()`.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.identity.client import Keystone

DEFAULT_VENV = Path.home() / ".cache" / "haneul" / "bench-keystone-venv"
DEFAULT_SPEC = "keystone==30.0.0"
# The Keystone extras the benchmark uses: a WSGI server and the memcached clients
# oslo.cache's backends import.
EXTRA_PACKAGES = ("gunicorn", "uwsgi", "pymemcache", "python-memcached")


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def pick_port(preferred: int) -> int:
    """`preferred` if it is free on loopback, else a free port the kernel chooses."""
    if port_free(preferred):
        return preferred
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    log(f"port {preferred} is taken: using {port}")
    return port


def ensure_venv(venv: Path, spec: str) -> Path:
    """Create the venv and install Keystone + uWSGI into it unless already there."""
    py = venv / "bin" / "python"
    want = spec.split("==")[1] if "==" in spec else None
    if py.exists():
        probe = subprocess.run(
            [str(py), "-c", "import importlib.metadata as m; print(m.version('keystone'))"],
            capture_output=True,
            text=True,
            check=False,
        )
        have = probe.stdout.strip()
        servers_ok = all((venv / "bin" / b).exists() for b in ("uwsgi", "gunicorn"))
        if probe.returncode == 0 and servers_ok and (want is None or have == want):
            return venv
    if not py.exists():
        log(f"creating {venv}")
        venv.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    log(f"pip install {spec} {' '.join(EXTRA_PACKAGES)} into {venv} (a few minutes)")
    subprocess.run(
        [str(py), "-m", "pip", "install", "-q", spec, *EXTRA_PACKAGES],
        check=True,
    )
    return venv


def bcrypt_check_seconds(python: str, rounds: int, samples: int = 3) -> float | None:
    """Seconds for one bcrypt check at `rounds` with the bcrypt `python` has (best of N)."""
    code = (
        "import bcrypt, time\n"
        f"h = bcrypt.hashpw(b'benchmark-password', bcrypt.gensalt({rounds}))\n"
        "best = 1e9\n"
        f"for _ in range({samples}):\n"
        "    t = time.perf_counter(); bcrypt.checkpw(b'benchmark-password', h)\n"
        "    best = min(best, time.perf_counter() - t)\n"
        "print(best)\n"
    )
    proc = subprocess.run([python, "-c", code], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        return None
    try:
        return float(proc.stdout.strip())
    except ValueError:
        return None


@dataclass
class Upstream:
    """One upstream Keystone deployment in a temporary state directory."""

    venv: Path
    port: int = 5001
    memcached_port: int = 11212
    workers: int = 2
    bcrypt_rounds: int = 12
    admin_password: str = field(default_factory=lambda: secrets.token_urlsafe(18))
    state: Path = field(
        default_factory=lambda: Path(tempfile.mkdtemp(prefix="haneul-bench-keystone-"))
    )
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    cache: bool = False
    server: str = "gunicorn"
    wal: bool = True

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v3"

    @property
    def conf(self) -> Path:
        return self.state / "keystone.conf"

    def _bin(self, name: str) -> str:
        return str(self.venv / "bin" / name)

    def write_config(self, cache: bool) -> None:
        self.cache = cache
        s = self.state
        self.conf.write_text(
            f"""\
[DEFAULT]
debug = false
log_file = {s}/keystone.log

[database]
connection = sqlite:///{s}/keystone.db

[token]
provider = fernet

[fernet_tokens]
key_repository = {s}/fernet-keys

[fernet_receipts]
key_repository = {s}/fernet-keys

[credential]
key_repository = {s}/credential-keys

[identity]
password_hash_algorithm = bcrypt
password_hash_rounds = {self.bcrypt_rounds}

[cache]
enabled = {str(cache).lower()}
backend = dogpile.cache.pymemcache
memcache_servers = 127.0.0.1:{self.memcached_port}
"""
        )

    def _manage(self, *args: str) -> None:
        cmd = [self._bin("keystone-manage"), "--config-file", str(self.conf), *args]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd[:4])} … failed:\n{proc.stdout}\n{proc.stderr}")

    def bootstrap(self) -> None:
        """db_sync, fernet and credential keys, and the admin user/project/catalog."""
        self.write_config(cache=False)
        log(f"bootstrapping upstream Keystone in {self.state} (bcrypt cost {self.bcrypt_rounds})")
        self._manage("db_sync")
        if self.wal:
            # Haneul runs SQLite in WAL mode; give upstream the same. Either way,
            # overlapping first logins of different users now and then answer 500
            # "database is locked": Keystone writes user.last_active_at on a user's
            # first successful password authentication of the day.
            with contextlib.closing(sqlite3.connect(self.state / "keystone.db")) as db:
                db.execute("PRAGMA journal_mode=WAL")
        for what in ("fernet_setup", "credential_setup"):
            self._manage(what, "--keystone-user", "root", "--keystone-group", "root")
        self._manage(
            "bootstrap",
            "--bootstrap-password",
            self.admin_password,
            "--bootstrap-username",
            "admin",
            "--bootstrap-project-name",
            "admin",
            "--bootstrap-role-name",
            "admin",
            "--bootstrap-service-name",
            "keystone",
            "--bootstrap-region-id",
            "RegionOne",
            "--bootstrap-admin-url",
            self.url,
            "--bootstrap-internal-url",
            self.url,
            "--bootstrap-public-url",
            self.url,
        )

    def _spawn(self, name: str, cmd: list[str], env: dict[str, str] | None = None) -> None:
        logf = open(self.state / f"{name}.out", "ab")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(
            cmd,
            stdout=logf,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
        logf.close()
        self.procs[name] = proc
        log(f"started {name} pid {proc.pid}")

    def start(self, cache: bool) -> None:
        """Start Keystone (and memcached first when `cache`), and wait until it answers."""
        self.write_config(cache)
        if cache and "memcached" not in self.procs:
            if not port_free(self.memcached_port):
                raise RuntimeError(f"port {self.memcached_port} is taken (memcached)")
            memcached = shutil.which("memcached")
            if memcached is None:
                raise RuntimeError("memcached is not installed (apt-get install memcached)")
            self._spawn(
                "memcached",
                [
                    memcached,
                    "-l",
                    "127.0.0.1",
                    "-p",
                    str(self.memcached_port),
                    "-U",
                    "0",
                    "-m",
                    "256",
                    "-u",
                    "root",
                ],
            )
            _wait_port(self.memcached_port, 10.0)
        if not port_free(self.port):
            raise RuntimeError(f"port {self.port} is taken (upstream Keystone)")
        env = dict(os.environ, OS_KEYSTONE_CONFIG_FILES=str(self.conf))
        self._spawn("keystone", self._server_command(), env=env)
        self._wait_ready(120.0)

    def _server_command(self) -> list[str]:
        """The WSGI server's command line: `self.workers` processes, one thread each.

        gunicorn's sync workers answer each request with `Connection: close` and the
        clients reconnect. uWSGI is the other choice, but each of its HTTP modes has a
        flaw under a closed-loop load: the HTTP router with --http-keepalive now and then
        never delivers a response (the client waits out its timeout), --http11-socket
        binds a worker to one kept-alive connection so the other clients starve, and
        --http-socket (used here, with `Connection: close` added) drops a connection now
        and then.
        """
        addr = f"127.0.0.1:{self.port}"
        if self.server == "gunicorn":
            # keystone parses sys.argv with oslo.config: hide gunicorn's arguments.
            (self.state / "keystone_wsgi.py").write_text(
                "import sys\n\nsys.argv = sys.argv[:1]\n"
                "from keystone.wsgi.api import application  # noqa: E402,F401\n"
            )
            return [
                self._bin("gunicorn"),
                "--bind", addr,
                "--workers", str(self.workers),
                "--worker-class", "sync",
                "--chdir", str(self.state),
                "--timeout", "300",
                "--backlog", "128",
                "keystone_wsgi:application",
            ]  # fmt: skip
        return [
            self._bin("uwsgi"),
            "--http-socket", addr,
            "--add-header", "Connection: close",
            "--module", "keystone.wsgi.api:application",
            "--home", str(self.venv),
            "--master",
            "--processes", str(self.workers),
            "--threads", "1",
            "--lazy-apps",
            "--need-app",
            "--die-on-term",
            "--disable-logging",
            "--listen", "128",
            "--buffer-size", "65535",
        ]  # fmt: skip

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last: Exception | None = None
        proc = self.procs["keystone"]
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"{self.server} exited with {proc.returncode}; see {self.state}/keystone.out"
                )
            try:
                with Keystone(self.url, timeout=5) as ks:
                    ks.version()
                return
            except Exception as exc:
                last = exc
                time.sleep(0.3)
        raise TimeoutError(f"upstream Keystone did not answer in {timeout}s: {last}")

    def stop_process(self, name: str) -> None:
        """Stop one process we started, and the children in its process group."""
        proc = self.procs.pop(name, None)
        if proc is not None:
            stop_group(proc)
            log(f"stopped {name} pid {proc.pid}")

    def stop(self, keep_state: bool = False) -> None:
        for name in ("keystone", "memcached"):
            self.stop_process(name)
        if not keep_state:
            shutil.rmtree(self.state, ignore_errors=True)


def stop_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group `proc` leads (it was started with start_new_session).

    The group's members are recorded first, by PID, and any that outlive the leader
    by ten seconds get SIGKILL.
    """
    members = _group_members(proc.pid)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)
    deadline = time.monotonic() + 10
    for pid in members - {proc.pid}:
        while pid in _group_members(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if pid in _group_members(proc.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _wait_port(port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def _group_members(pgid: int) -> set[int]:
    """PIDs of the live processes in process group `pgid` (from /proc)."""
    found: set[int] = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # Fields after the command name (which may hold spaces) start at the last ')'.
        fields = stat[stat.rindex(")") + 2 :].split()
        if fields[0] != "Z" and int(fields[2]) == pgid:
            found.add(int(entry.name))
    return found
