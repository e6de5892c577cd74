"""Network namespaces as hosts, each with its own sshd, for multi-node deployments.

    with NamespaceHosts(tmp_dir) as hosts:
        hosts.write_inventory(...)        # an inventory that reaches them over SSH
        hosts.run_on_lan(["haneul", "deploy", ...])  # the deployment host's side

Layout (FIELD-NOTES.md, "Hosts for multi-node tests"): one namespace per host, each
joined by a veth pair to a bridge in a namespace of its own (the *lan*), which also
plays the deployment host: the bridge holds the first address of the subnet, so
whatever runs there (`ip netns exec LAN …`) reaches every host, and nothing is added
to the root namespace. Each host runs `sshd` under
`unshare --mount --uts --pid --fork --mount-proc --propagation private`, so it has its
own hostname, its own process list and its own bind-mounted Haneul directories
(`/etc/haneul`, `/var/lib/haneul`, `/var/log/haneul`, `/run/haneul`, `/opt/haneul`) and
`/etc/hosts`; the rest of the filesystem (Python, the distribution's packages, the
local package mirror) is the machine's.

Keys (the client's and each host's) are generated per run in the base directory, and
a per-run known_hosts lists the hosts' keys: no prompt, no trust on first use.

A daemon in a PID namespace records its inner pid (1, or some small number) in its
pidfile: such a pid means something else in the root namespace and is never
signalled here. Every process is found by its real pid instead: sshd is the child of
the `unshare` this module started, checked through /proc/PID/cmdline, and every other
process of a host is one whose /proc/PID/ns/pid is that sshd's namespace. Teardown
signals exactly those pids, then deletes the namespaces. Nothing is killed by name.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from tests.support import BIN, REPO, wait_for

HOST_NAMES = ("controller", "network1", "compute1", "storage1")
GROUPS = {"control": ["controller"], "network": ["network1"],
          "compute": ["compute1"], "storage": ["storage1"]}
# Directory on each host -> the name of its per-host backing directory.
PER_HOST_DIRS = {"/etc/haneul": "etc-haneul", "/var/lib/haneul": "var-lib-haneul",
                 "/var/log/haneul": "var-log-haneul", "/run/haneul": "run-haneul",
                 "/opt/haneul": "opt-haneul"}
SSHD = Path("/usr/sbin/sshd")
SFTP_SERVER = Path("/usr/lib/openssh/sftp-server")


def wheelhouse(cache: Path | None = None) -> Path:
    """Wheels of every dependency of the haneul wheel, built once per pyproject and
    constraints (on the machine, which may use its package index).

    The hosts reach no package index: their sshd gives every session PIP_NO_INDEX and
    PIP_FIND_LINKS pointing here, as an operator's offline mirror would.
    """
    cache = cache or Path.home() / ".cache" / "haneul" / "wheelhouse"
    digest = hashlib.sha256((REPO / "pyproject.toml").read_bytes() + b"\0" +
                            (REPO / "constraints.txt").read_bytes()).hexdigest()[:16]
    target = cache / digest
    if (target / ".complete").exists():
        return target
    building = cache / f"{digest}.{os.getpid()}.tmp"
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir(parents=True)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "-w",
                    str(building), "-c", str(REPO / "constraints.txt"),
                    "--no-build-isolation", str(REPO)],
                   check=True, capture_output=True, timeout=600)
    for own in building.glob("haneul-*.whl"):
        own.unlink()  # the deployment ships its own
    (building / ".complete").touch()
    try:
        building.rename(target)
    except OSError:  # built meanwhile by someone else
        shutil.rmtree(building, ignore_errors=True)
    return target


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True)


def _cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def _is_sshd(pid: int, config: Path) -> bool:
    """Whether ``pid`` is the sshd started with ``config`` (sshd rewrites its
    command line to "sshd: /usr/sbin/sshd -D -e -f CONFIG [listener] ...")."""
    cmdline = " ".join(_cmdline(pid))
    return cmdline.startswith((str(SSHD), "sshd:")) and str(config) in cmdline


def _pid_namespace(pid: int) -> str | None:
    try:
        return os.readlink(f"/proc/{pid}/ns/pid")
    except OSError:
        return None


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _listening(pid: int, port: int) -> bool:
    """Whether something listens on TCP ``port`` in the network namespace of ``pid``."""
    try:
        lines = Path(f"/proc/{pid}/net/tcp").read_text().splitlines()[1:]
    except OSError:
        return False
    return any(f[1].endswith(f":{port:04X}") and f[3] == "0A"
               for f in (line.split() for line in lines))


def _sshd_of(host: Host) -> int | None:
    """The real pid of the host's sshd: `ip netns exec` execs unshare, whose one child
    becomes the host's pid 1 and execs sshd."""
    if host.unshare is None:
        return None
    pid = host.unshare.pid
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return None
    for child in map(int, children):
        if _is_sshd(child, host.dir / "sshd_config"):
            return child
    return None


@dataclass
class Host:
    name: str
    address: str
    netns: str
    dir: Path  # this host's files: sshd config and keys, bind-mounted directories
    unshare: subprocess.Popen[bytes] | None = None
    sshd_pid: int | None = None

    def backing(self, path: str) -> Path:
        """The directory on the machine that is ``path`` on this host."""
        return self.dir / PER_HOST_DIRS[path]

    def processes(self) -> list[int]:
        """Real pids of every process in this host's PID namespace (sshd included)."""
        if self.sshd_pid is None or not _alive(self.sshd_pid):
            return []
        namespace = _pid_namespace(self.sshd_pid)
        pids = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit() and _pid_namespace(int(entry.name)) == namespace:
                pids.append(int(entry.name))
        return pids

    def programs(self) -> dict[int, str]:
        """This host's processes other than sshd and its SSH sessions: pid -> command."""
        out = {}
        for pid in self.processes():
            cmdline = " ".join(_cmdline(pid))
            if cmdline and not cmdline.startswith((str(SSHD), "sshd:")):
                out[pid] = cmdline
        return out


@dataclass
class NamespaceHosts:
    base: Path
    names: tuple[str, ...] = HOST_NAMES
    subnet: str = "10.231.0"  # a /24; .1 is the lan (deployment host), hosts from .10
    # Environment of every SSH session on the hosts (sshd's SetEnv).
    environment: dict[str, str] = field(default_factory=dict)
    tag: str = field(default_factory=lambda: secrets.token_hex(2))
    hosts: dict[str, Host] = field(default_factory=dict)
    _created_mountpoints: list[Path] = field(default_factory=list)
    _namespaces: list[str] = field(default_factory=list)

    @property
    def lan(self) -> str:
        return f"hn{self.tag}-lan"

    @property
    def key(self) -> Path:
        return self.base / "id_ed25519"

    @property
    def known_hosts(self) -> Path:
        return self.base / "known_hosts"

    @property
    def control_path_dir(self) -> Path:
        return self.base / "cp"

    def __enter__(self) -> NamespaceHosts:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, _t: type[BaseException] | None, _e: BaseException | None,
                 _tb: TracebackType | None) -> None:
        self.stop()

    # -- setup ---------------------------------------------------------------------

    def start(self) -> None:
        if not SSHD.exists():
            raise RuntimeError("no /usr/sbin/sshd: apt-get install openssh-server")
        self.base.mkdir(parents=True, exist_ok=True)
        self.control_path_dir.mkdir(mode=0o700, exist_ok=True)
        for index, name in enumerate(self.names):
            self.hosts[name] = Host(name=name, address=f"{self.subnet}.{10 + index}",
                                    netns=f"hn{self.tag}-{name}"[:15],
                                    dir=self.base / name)
        self._network()
        self._keys()
        for path in PER_HOST_DIRS:
            mountpoint = Path(path)
            if not mountpoint.exists():
                mountpoint.mkdir(parents=True)
                self._created_mountpoints.append(mountpoint)
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation
        for host in self.hosts.values():
            self._start_sshd(host)
        for host in self.hosts.values():
            pid = host.sshd_pid
            assert pid is not None
            wait_for(lambda pid=pid: _listening(pid, 22), 30,  # type: ignore[misc]
                     f"sshd of {host.name} to listen")
        for host in self.hosts.values():
            done = self.run_on_lan(["ssh", *self.ssh_options(), f"root@{host.address}",
                                    "hostname"], timeout=30)
            if done.stdout.strip() != host.name:
                raise RuntimeError(f"ssh to {host.name}: {done.stdout!r} {done.stderr!r}")

    def _network(self) -> None:
        _ip("netns", "add", self.lan)
        self._namespaces.append(self.lan)
        _ip("-n", self.lan, "link", "set", "lo", "up")
        _ip("-n", self.lan, "link", "add", "br0", "type", "bridge")
        _ip("-n", self.lan, "addr", "add", f"{self.subnet}.1/24", "dev", "br0")
        _ip("-n", self.lan, "link", "set", "br0", "up")
        for index, host in enumerate(self.hosts.values()):
            _ip("netns", "add", host.netns)
            self._namespaces.append(host.netns)
            _ip("-n", host.netns, "link", "set", "lo", "up")
            port = f"vh{index}"
            _ip("-n", self.lan, "link", "add", port, "type", "veth", "peer", "name",
                "eth0", "netns", host.netns)
            _ip("-n", self.lan, "link", "set", port, "master", "br0", "up")
            _ip("-n", host.netns, "addr", "add", f"{host.address}/24", "dev", "eth0")
            _ip("-n", host.netns, "link", "set", "eth0", "up")

    def _keys(self) -> None:
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "haneul-e2e",
                        "-f", str(self.key)], check=True)
        authorized = self.base / "authorized_keys"
        authorized.write_text(self.key.with_suffix(".pub").read_text())
        known = []
        etc_hosts = ["127.0.0.1 localhost", f"{self.subnet}.1 deployer"]
        for host in self.hosts.values():
            host.dir.mkdir(parents=True)
            for name in PER_HOST_DIRS.values():
                (host.dir / name).mkdir()
            hostkey = host.dir / "ssh_host_ed25519_key"
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", host.name,
                            "-f", str(hostkey)], check=True)
            kind, blob = hostkey.with_suffix(".pub").read_text().split()[:2]
            known.append(f"{host.address} {kind} {blob}")
            etc_hosts.append(f"{host.address} {host.name}")
            (host.dir / "sshd_config").write_text("\n".join([
                f"ListenAddress {host.address}", "Port 22", f"HostKey {hostkey}",
                "PidFile none", "UsePAM no", "StrictModes no",
                "PermitRootLogin prohibit-password", "PasswordAuthentication no",
                "KbdInteractiveAuthentication no", f"AuthorizedKeysFile {authorized}",
                f"Subsystem sftp {SFTP_SERVER}", "LogLevel ERROR", "MaxStartups 100",
                "MaxSessions 100",
                *([f"SetEnv {' '.join(f'{k}={v}' for k, v in self.environment.items())}"]
                  if self.environment else []), ""]))
        self.known_hosts.write_text("\n".join(known) + "\n")
        (self.base / "hosts").write_text("\n".join(etc_hosts) + "\n")

    def _start_sshd(self, host: Host) -> None:
        mounts = [f"mount --bind {shlex.quote(str(host.backing(path)))} {path}"
                  for path in PER_HOST_DIRS]
        mounts.append(f"mount --bind {shlex.quote(str(self.base / 'hosts'))} /etc/hosts")
        script = "; ".join(["set -e", f"hostname {host.name}", *mounts,
                            f"exec {SSHD} -D -e -f {shlex.quote(str(host.dir / 'sshd_config'))}"])
        log = (host.dir / "sshd.log").open("ab")
        with log:
            host.unshare = subprocess.Popen(
                ["ip", "netns", "exec", host.netns, "unshare", "--mount", "--uts", "--pid",
                 "--fork", "--mount-proc", "--propagation", "private", "sh", "-c", script],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        unshare = host.unshare

        def sshd_started() -> bool:
            if unshare.poll() is not None:
                raise RuntimeError(f"sshd of {host.name} exited: "
                                   f"{(host.dir / 'sshd.log').read_text()[-2000:]}")
            host.sshd_pid = _sshd_of(host)
            return host.sshd_pid is not None

        wait_for(sshd_started, 30, f"sshd of {host.name} to start")

    # -- use -----------------------------------------------------------------------

    def power_off(self, name: str) -> None:
        """The host goes away (its sshd and every process of it end): unreachable."""
        host = self.hosts[name]
        self._stop_host(host)
        host.sshd_pid = None

    def power_on(self, name: str) -> None:
        """The host comes back with what its disks hold, and its sshd answers again."""
        self._start_sshd(self.hosts[name])

    def ssh_options(self) -> list[str]:
        return ["-i", str(self.key), "-o", f"UserKnownHostsFile={self.known_hosts}",
                "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes",
                "-o", "ControlMaster=no"]

    def run_on_lan(self, argv: list[str], timeout: float = 900,
                   env: dict[str, str] | None = None, cwd: Path | None = None,
                   ) -> subprocess.CompletedProcess[str]:
        """Run a command on the deployment host's side (the lan namespace)."""
        return subprocess.run(["ip", "netns", "exec", self.lan, *argv], env=env, cwd=cwd,
                              capture_output=True, text=True, timeout=timeout)

    def ssh(self, host: str, command: str, timeout: float = 60,
            ) -> subprocess.CompletedProcess[str]:
        return self.run_on_lan(["ssh", *self.ssh_options(),
                                f"root@{self.hosts[host].address}", command],
                               timeout=timeout)

    def inventory_text(self, variables: dict[str, object]) -> str:
        """A YAML inventory of these hosts in the four groups, reached over SSH."""
        lines = ["all:", "  vars:", "    ansible_user: root",
                 f"    ansible_ssh_private_key_file: {self.key}",
                 f"    ansible_ssh_common_args: \"-o UserKnownHostsFile={self.known_hosts}"
                 " -o StrictHostKeyChecking=yes\"",
                 # The hosts' own Python (Debian's), not the deployment host's venv.
                 "    ansible_python_interpreter: /usr/bin/python3"]
        lines += [f"    {key}: {value}" for key, value in variables.items()]
        lines.append("  hosts:")
        for host in self.hosts.values():
            lines += [f"    {host.name}:", f"      ansible_host: {host.address}"]
        lines.append("  children:")
        for group, members in GROUPS.items():
            lines += [f"    {group}:", "      hosts:"]
            lines += [f"        {m}:" for m in members if m in self.hosts]
        return "\n".join(lines) + "\n"

    # -- teardown ------------------------------------------------------------------

    def stop(self) -> None:
        # Ansible's SSH connection masters (ControlPersist) end with their sockets.
        for socket in sorted(self.control_path_dir.glob("*")):
            subprocess.run(["ssh", "-o", f"ControlPath={socket}", "-O", "exit", "host"],
                           capture_output=True, timeout=30)
        for host in self.hosts.values():
            self._stop_host(host)
        for netns in reversed(self._namespaces):
            subprocess.run(["ip", "netns", "del", netns], capture_output=True)
        self._namespaces.clear()
        for mountpoint in self._created_mountpoints:
            with contextlib.suppress(OSError):  # only if empty: someone else's otherwise
                mountpoint.rmdir()
        self._created_mountpoints.clear()

    def _stop_host(self, host: Host) -> None:
        config = host.dir / "sshd_config"
        sshd = host.sshd_pid = host.sshd_pid or _sshd_of(host)
        if sshd is not None and _alive(sshd) and _is_sshd(sshd, config):
            # Every other process of the host first (haneul daemons stop their
            # children on SIGTERM), then sshd, the namespace's init: its end kills
            # whatever is left in the namespace.
            namespace = _pid_namespace(sshd)
            others = [pid for pid in host.processes() if pid != sshd]
            for pid in others:
                if _pid_namespace(pid) == namespace:  # still the same process
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGTERM)
            with contextlib.suppress(TimeoutError):
                wait_for(lambda: not any(map(_alive, others)), 20,
                         f"the processes of {host.name} to stop")
            os.kill(sshd, signal.SIGTERM)
            with contextlib.suppress(TimeoutError):
                wait_for(lambda: not _alive(sshd), 20, f"sshd of {host.name} to stop")
            if _alive(sshd) and _is_sshd(sshd, config):
                os.kill(sshd, signal.SIGKILL)
        if host.unshare is not None:
            try:
                host.unshare.wait(timeout=20)
            except subprocess.TimeoutExpired:
                host.unshare.kill()  # the pid this module started itself
                host.unshare.wait(timeout=20)
            host.unshare = None
        host.sshd_pid = None


class MultinodeDeployment:
    """A four-host cloud deployed by `haneul` from the lan namespace (the deployment
    host's side) into NamespaceHosts: SQLite on the controller, the fake compute driver,
    no test image (see tests/e2e/installer/test_multinode.py for why)."""

    def __init__(self, hosts: NamespaceHosts, base: Path) -> None:
        self.hosts = hosts
        self.base = base
        self.inventory = base / "inventory.yml"
        self.inventory.write_text(hosts.inventory_text({
            "haneul_api_bind": "0.0.0.0",
            "haneul_database": "sqlite",
            "haneul_manage_packages": "false",
            "haneul_compute_driver": "fake",
            "haneul_test_image": "false",
            "haneul_clouds_yaml": base / "clouds.yaml",
            "haneul_openrc": base / "openrc",
            "haneul_secrets_file": base / "secrets.yml"}))
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
        self.env |= {"HANEUL_RUNS_DIR": str(self.runs_dir),
                     "ANSIBLE_SSH_CONTROL_PATH_DIR": str(hosts.control_path_dir),
                     "OS_CLIENT_CONFIG_FILE": str(base / "clouds.yaml")}
        # One wheel for every run: the checkout is shared with people editing it, and a
        # re-run must see the same code to be a no-change run.
        from installer.deployment import wheel_cache
        from installer.wheel import build_wheel
        wheel = build_wheel(wheel_cache())
        self.pinned = ["-e", f"haneul_wheel_file={wheel.path}",
                       "-e", f"haneul_wheel_digest={wheel.digest}"]

    @property
    def runs_dir(self) -> Path:
        return self.base / "runs"

    @property
    def api_url(self) -> str:
        return f"http://{self.hosts.hosts['controller'].address}:5000"

    def haneul(self, *args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
        return self.hosts.run_on_lan([str(BIN / "haneul"), *args, "-i", str(self.inventory),
                                      *self.pinned], env=self.env, cwd=REPO,
                                     timeout=timeout)

    def openstack(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.hosts.run_on_lan([str(BIN / "openstack"), "--os-cloud", "haneul",
                                      *args], env=self.env, timeout=120)


def hosts_environment() -> dict[str, str]:
    """What every SSH session on the hosts gets: pip uses the wheelhouse, no index."""
    return {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheelhouse())}
