"""`haneul daemon`: keep a service running where there is no systemd.

Containers and minimal hosts have no init system to restart a crashed API or agent.
`haneul daemon start` detaches a small supervisor (its own session, a pidfile) that runs
the command, restarts it when it exits with a failure (with a growing back-off), and
stops it on SIGTERM. `stop`, `restart` and `status` act through the pidfile, and never
signal a process that is not this supervisor for this pidfile (a pidfile can outlive
its process, and its pid can be reused).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

STOP_TIMEOUT = 30.0
MAX_BACKOFF = 30.0
# A child that ran this long before failing counts as healthy: back-off starts over.
HEALTHY_AFTER = 60.0


def supervisor_pid(pidfile: Path) -> int | None:
    """The pid of the supervisor that owns ``pidfile``, if it is still running."""
    try:
        pid = int(pidfile.read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except (OSError, ValueError):
        return None
    words = [w.decode(errors="replace") for w in cmdline]
    if "daemon" in words and any(w.endswith(pidfile.name) for w in words):
        return pid
    return None


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not Path(f"/proc/{pid}").exists():
            return True
        try:
            if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                return True
        except OSError:
            return True
        time.sleep(0.05)
    return False


def _supervise(command: list[str], pidfile: Path, log: Path) -> None:
    """The supervisor's body (in the detached grandchild): never returns."""
    child: subprocess.Popen[bytes] | None = None
    stopping = False

    def on_term(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        if child is not None and child.poll() is None:
            child.terminate()

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    backoff = 1.0
    with log.open("ab", buffering=0) as out:
        while not stopping:
            started = time.monotonic()
            child = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out,
                                     stderr=subprocess.STDOUT)
            try:
                rc = child.wait(timeout=None)
            except KeyboardInterrupt:  # pragma: no cover - SIGINT is handled above
                rc = child.wait()
            if stopping:
                break
            if rc == 0:
                out.write(b"haneul daemon: the service exited cleanly; not restarting\n")
                break
            if time.monotonic() - started > HEALTHY_AFTER:
                backoff = 1.0
            out.write(f"haneul daemon: the service exited with {rc}; restarting in "
                      f"{backoff:.0f} s\n".encode())
            deadline = time.monotonic() + backoff
            while not stopping and time.monotonic() < deadline:
                time.sleep(0.1)
            backoff = min(backoff * 2, MAX_BACKOFF)
        if child is not None and child.poll() is None:
            try:
                child.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
    pidfile.unlink(missing_ok=True)
    os._exit(0)


def start(command: list[str], pidfile: Path, log: Path) -> str:
    """Start the supervisor unless it runs already: "started" or "running"."""
    if supervisor_pid(pidfile) is not None:
        return "running"
    pidfile.parent.mkdir(parents=True, exist_ok=True)
    log.parent.mkdir(parents=True, exist_ok=True)
    pidfile.unlink(missing_ok=True)
    first = os.fork()
    if first == 0:
        os.setsid()
        if os.fork() != 0:
            os._exit(0)
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        tmp = pidfile.with_name(pidfile.name + ".tmp")
        tmp.write_text(str(os.getpid()))
        tmp.replace(pidfile)
        _supervise(command, pidfile, log)
    os.waitpid(first, 0)
    deadline = time.monotonic() + 10
    while supervisor_pid(pidfile) is None:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the supervisor did not write {pidfile}")
        time.sleep(0.02)
    return "started"


def stop(pidfile: Path) -> str:
    """Stop the supervisor and its service: "stopped" or "not running"."""
    pid = supervisor_pid(pidfile)
    if pid is None:
        pidfile.unlink(missing_ok=True)
        return "not running"
    os.kill(pid, signal.SIGTERM)
    if not _wait_gone(pid, STOP_TIMEOUT + 5):
        raise RuntimeError(f"supervisor {pid} did not stop within {STOP_TIMEOUT + 5:.0f} s")
    return "stopped"


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="haneul daemon", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("op", choices=("start", "stop", "restart", "status"))
    p.add_argument("--pidfile", type=Path, required=True)
    p.add_argument("--log", type=Path, help="where the service's output goes (start)")
    p.epilog = "start and restart take the service's command after --"
    # Everything after `--` is the service's command, whatever options it has.
    split = argv.index("--") if "--" in argv else len(argv)
    args = p.parse_args(argv[:split])
    command = argv[split + 1:]
    pidfile = args.pidfile.resolve()
    if args.op in ("start", "restart") and (not command or args.log is None):
        p.error(f"{args.op} needs --log and -- COMMAND")
    if args.op == "status":
        pid = supervisor_pid(pidfile)
        print(f"running (pid {pid})" if pid else "not running")
        return 0 if pid else 3
    if args.op == "stop":
        print(stop(pidfile))
        return 0
    if args.op == "restart":
        stop(pidfile)
    print(start(command, pidfile, args.log.resolve()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
