#!/usr/bin/env python3
"""Run Tempest's API tests for one service against a running cloud.

Standard library only: Tempest itself lives in its own virtualenv
(``~/.cache/haneul/tempest-venv`` by default), created and filled from
``requirements.txt`` beside this file on first use.

The committed list (``identity.txt`` for identity) names the tests that must
pass: the script exits 1 if any listed test did not pass, 2 if Tempest could
not run at all, else 0. ``--update`` adds the tests that passed this run to
the list (it only grows and stays sorted).

Example (Haneul's identity service on its default port)::

    python3 tests/conformance/run_tempest.py --password secret

See README.md beside this file.
"""

from __future__ import annotations

import argparse
import configparser
import contextlib
import dataclasses
import datetime as dt
import json
import os
import re
import selectors
import signal
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

HERE = Path(__file__).resolve().parent
REQUIREMENTS = HERE / "requirements.txt"
CACHE = Path.home() / ".cache" / "haneul"
DEFAULT_VENV = CACHE / "tempest-venv"
DEFAULT_WORKSPACE = CACHE / "tempest-workspace"

# Tempest API package (tempest.api.<name>) -> its [service_available] option.
# Identity has none: Tempest always assumes it. Every service other than the
# one under test is marked unavailable, so their clients and cross-service
# tests stay out of the run.
SERVICE_AVAILABLE: dict[str, str | None] = {
    "identity": None,
    "compute": "nova",
    "image": "glance",
    "network": "neutron",
    "volume": "cinder",
    "object_storage": "swift",
}
UNCONDITIONALLY_OFF = ("horizon",)

# Identity feature flags, as upstream Keystone (30.0.0, stock keystone.conf)
# serves them. Tempest's option -> value, with why:
IDENTITY_FEATURES: dict[str, str] = {
    # v2 tests were removed from Tempest; keep both off so nothing probes v2.
    "api_v2": "False",
    "api_v2_admin": "False",
    "api_v3": "True",
    # Keystone enables trusts by default ([trust] enabled = True):
    # runs tempest.api.identity.admin.v3.test_trusts.
    "trust": "True",
    # Application credential access rules, always on since Train:
    # runs test_access_rules and the access-rule application credential test.
    "access_rules": "True",
    # Every extension (OS-INHERIT, OS-EC2, ...) is part of stock Keystone.
    "api_extensions": "all",
    # Off in stock Keystone (no [security_compliance] lockout / password
    # history / minimum age settings). When True, Tempest also reads
    # [identity] user_lockout_failure_attempts, user_lockout_duration,
    # user_unique_last_password_count, user_minimum_password_age, which must
    # equal the server's settings; it enables the lockout and password
    # history tests in tempest.api.identity.v3.test_users and
    # tempest.api.identity.admin.v3.test_users.
    "security_compliance": "False",
    # Off in stock Keystone ([identity] domain_specific_drivers_enabled).
    "domain_specific_drivers": "False",
    # True would skip every test that creates or changes users (LDAP
    # read-only backends); never with dynamic credentials.
    "immutable_user_source": "False",
}

ATTRIBUTE_SUFFIX = re.compile(r"\[[^\[\]]*\]$")
FIXTURE_ID = re.compile(
    r"^(?P<fixture>setUpClass|tearDownClass|setUpModule|tearDownModule) \((?P<owner>[^)]+)\)$"
)
FINAL_STATUSES = {"success", "fail", "skip", "xfail", "uxsuccess"}
PASSING = {"success", "xfail"}


# --------------------------------------------------------------------- subunit


@dataclasses.dataclass(frozen=True)
class Packet:
    """One subunit v2 packet (see python-subunit's v2.py for the format)."""

    test_id: str | None
    status: str | None
    timestamp: dt.datetime | None
    tags: frozenset[str]
    file_name: str | None
    file_bytes: bytes
    mime_type: str | None
    eof: bool
    route_code: str | None


_SIGNATURE = 0xB3
_FLAG_TEST_ID = 0x0800
_FLAG_ROUTE_CODE = 0x0400
_FLAG_TIMESTAMP = 0x0200
_FLAG_TAGS = 0x0080
_FLAG_FILE_CONTENT = 0x0040
_FLAG_MIME_TYPE = 0x0020
_FLAG_EOF = 0x0010
_STATUSES: tuple[str | None, ...] = (
    None,
    "exists",
    "inprogress",
    "success",
    "uxsuccess",
    "skip",
    "fail",
    "xfail",
)
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class SubunitError(ValueError):
    """A packet that cannot be decoded."""


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    """Decode a subunit v2 number at pos; return (value, new position)."""
    if pos >= len(data):
        raise SubunitError("number past end of packet")
    first = data[pos]
    size = (first >> 6) + 1
    if pos + size > len(data):
        raise SubunitError("number past end of packet")
    value = first & 0x3F
    for byte in data[pos + 1 : pos + size]:
        value = (value << 8) | byte
    return value, pos + size


def _utf8(data: bytes, pos: int) -> tuple[str, int]:
    length, pos = _varint(data, pos)
    if pos + length > len(data):
        raise SubunitError("string past end of packet")
    return data[pos : pos + length].decode("utf-8", "replace"), pos + length


def decode_packet(packet: bytes) -> Packet:
    """Decode one whole packet (signature through CRC32)."""
    if len(packet) < 8 or packet[0] != _SIGNATURE:
        raise SubunitError("not a subunit v2 packet")
    (crc,) = struct.unpack(">I", packet[-4:])
    if zlib.crc32(packet[:-4]) & 0xFFFFFFFF != crc:
        raise SubunitError("bad checksum")
    (flags,) = struct.unpack(">H", packet[1:3])
    if flags >> 12 != 0x2:
        raise SubunitError(f"unsupported subunit version {flags >> 12}")
    body = packet[:-4]
    _, pos = _varint(body, 3)  # packet length, already used by the framer
    timestamp = None
    if flags & _FLAG_TIMESTAMP:
        (seconds,) = struct.unpack(">I", body[pos : pos + 4])
        nanos, pos = _varint(body, pos + 4)
        timestamp = _EPOCH + dt.timedelta(seconds=seconds, microseconds=nanos // 1000)
    test_id = None
    if flags & _FLAG_TEST_ID:
        test_id, pos = _utf8(body, pos)
    tags: set[str] = set()
    if flags & _FLAG_TAGS:
        count, pos = _varint(body, pos)
        for _ in range(count):
            tag, pos = _utf8(body, pos)
            tags.add(tag)
    mime_type = None
    if flags & _FLAG_MIME_TYPE:
        mime_type, pos = _utf8(body, pos)
    file_name = None
    file_bytes = b""
    if flags & _FLAG_FILE_CONTENT:
        file_name, pos = _utf8(body, pos)
        length, pos = _varint(body, pos)
        if pos + length > len(body):
            raise SubunitError("file content past end of packet")
        file_bytes = bytes(body[pos : pos + length])
        pos += length
    route_code = None
    if flags & _FLAG_ROUTE_CODE:
        route_code, pos = _utf8(body, pos)
    return Packet(
        test_id=test_id,
        status=_STATUSES[flags & 0x7],
        timestamp=timestamp,
        tags=frozenset(tags),
        file_name=file_name,
        file_bytes=file_bytes,
        mime_type=mime_type,
        eof=bool(flags & _FLAG_EOF),
        route_code=route_code,
    )


class SubunitReader:
    """Incremental subunit v2 decoder that skips bytes which are not packets."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self.skipped_bytes = 0

    def feed(self, data: bytes) -> Iterator[Packet]:
        self._buf += data
        while True:
            start = self._buf.find(_SIGNATURE)
            if start < 0:
                self.skipped_bytes += len(self._buf)
                self._buf.clear()
                return
            if start:
                self.skipped_bytes += start
                del self._buf[:start]
            if len(self._buf) < 4:
                return
            try:
                length, _ = _varint(bytes(self._buf[3:7]), 0)
            except SubunitError:
                return  # length not complete yet
            if length < 8 or (self._buf[3] >> 6) == 3 or (self._buf[1] >> 4) != 0x2:
                self._resync()
                continue
            if len(self._buf) < length:
                return
            try:
                packet = decode_packet(bytes(self._buf[:length]))
            except SubunitError:
                self._resync()
                continue
            del self._buf[:length]
            yield packet

    def finish(self) -> Iterator[Packet]:
        """At end of stream: salvage packets behind a torn or bogus one."""
        while self._buf:
            self._resync()
            yield from self.feed(b"")

    def _resync(self) -> None:
        self.skipped_bytes += 1
        del self._buf[:1]


# --------------------------------------------------------------------- results


@dataclasses.dataclass
class TestResult:
    test_id: str  # without the [id-...,smoke] attribute suffix
    status: str = "inprogress"
    start: dt.datetime | None = None
    stop: dt.datetime | None = None
    attachments: dict[str, bytearray] = dataclasses.field(default_factory=dict)

    @property
    def seconds(self) -> float | None:
        if self.start and self.stop:
            return (self.stop - self.start).total_seconds()
        return None

    def text(self, name: str) -> str:
        return bytes(self.attachments.get(name, b"")).decode("utf-8", "replace").strip()

    @property
    def reason(self) -> str:
        """Skip reason, or the last line of the traceback of a failure."""
        if self.status == "skip":
            return self.text("reason")
        traceback = self.text("traceback")
        lines = [line for line in traceback.splitlines() if line.strip()]
        return lines[-1].strip() if lines else self.text("reason")


def stable_id(test_id: str) -> str:
    """tempest.x.Class.test_y[id-...,smoke] -> tempest.x.Class.test_y."""
    return ATTRIBUTE_SUFFIX.sub("", test_id.strip())


class ResultCollector:
    def __init__(self) -> None:
        self.results: dict[str, TestResult] = {}

    def add(self, packet: Packet) -> TestResult | None:
        """Record a packet; return the result when the packet finished a test."""
        if not packet.test_id:
            return None
        tid = stable_id(packet.test_id)
        result = self.results.setdefault(tid, TestResult(tid))
        if packet.file_name is not None:
            result.attachments.setdefault(packet.file_name, bytearray()).extend(packet.file_bytes)
        if packet.status == "inprogress":
            result.start = packet.timestamp
        elif packet.status in FINAL_STATUSES:
            result.status = packet.status
            result.stop = packet.timestamp
            return result
        return None


def classify(listed: Iterable[str], results: dict[str, TestResult]) -> dict[str, TestResult]:
    """Give every listed test a result.

    A test with no final result of its own takes its class's (or module's)
    setUpClass/setUpModule result when that failed or skipped; otherwise it
    stays "missing" (never ran).
    """
    fixtures: dict[str, TestResult] = {}
    for result in results.values():
        match = FIXTURE_ID.match(result.test_id)
        if match and match["fixture"].startswith("setUp"):
            fixtures[match["owner"]] = result
    final: dict[str, TestResult] = {}
    for tid in listed:
        if tid in results and results[tid].status in FINAL_STATUSES:
            final[tid] = results[tid]
            continue
        owner_class, _, _ = tid.rpartition(".")
        owner_module, _, _ = owner_class.rpartition(".")
        fixture = fixtures.get(owner_class) or fixtures.get(owner_module)
        if fixture is not None and fixture.status in {"fail", "skip"}:
            final[tid] = TestResult(
                tid, fixture.status, fixture.start, fixture.stop, fixture.attachments
            )
        else:
            final[tid] = TestResult(tid, "missing")
    # Tests that ran but were not listed (e.g. a regex wider than the listing).
    for tid, result in results.items():
        if tid not in final and not FIXTURE_ID.match(tid):
            final[tid] = result if result.status in FINAL_STATUSES else TestResult(tid, "missing")
    return final


# ------------------------------------------------------------------ test lists


def read_list(path: Path) -> tuple[list[str], set[str]]:
    """Return (leading comment lines, test ids) of a list file."""
    header: list[str] = []
    ids: set[str] = set()
    if not path.exists():
        return header, ids
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            if not ids:
                header.append(line.rstrip())
        elif stripped:
            ids.add(stable_id(stripped))
    return header, ids


def write_list(path: Path, header: list[str], ids: Iterable[str]) -> None:
    lines = [*header, *sorted(set(ids))]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


# ---------------------------------------------------------------- environment


def ensure_venv(venv: Path, requirements: Path) -> Path:
    """Create the Tempest virtualenv and install requirements.txt when it changed."""
    python = venv / "bin" / "python"
    stamp = venv / ".haneul-requirements"
    wanted = requirements.read_text(encoding="utf-8")
    tempest = venv / "bin" / "tempest"
    current = stamp.read_text(encoding="utf-8") if stamp.exists() else None
    if python.exists() and tempest.exists() and current == wanted:
        return tempest
    if not python.exists():
        log(f"creating virtualenv {venv}")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "--upgrade", "pip"], check=True)
    log(f"installing {requirements.name} into {venv}")
    subprocess.run([str(python), "-m", "pip", "install", "-q", "-r", str(requirements)], check=True)
    stamp.write_text(wanted, encoding="utf-8")
    return tempest


def build_config(args: argparse.Namespace, workspace: Path) -> configparser.ConfigParser:
    conf = configparser.ConfigParser(interpolation=None)
    conf.optionxform = str  # type: ignore[assignment,method-assign]
    conf["DEFAULT"] = {
        "log_dir": str(workspace),
        "log_file": "tempest.log",
        "use_stderr": "False",
    }
    conf["oslo_concurrency"] = {"lock_path": str(workspace / "locks")}
    conf["auth"] = {
        "use_dynamic_credentials": "True",
        "create_isolated_networks": "False",
        "admin_username": args.username,
        "admin_password": args.password,
        "admin_project_name": args.project,
        "admin_domain_name": args.domain,
        "default_credentials_domain_name": args.domain,
    }
    conf["identity"] = {
        "uri_v3": args.auth_url,
        "auth_version": "v3",
        "region": args.region,
        "v3_endpoint_type": "public",
    }
    conf["identity-feature-enabled"] = dict(IDENTITY_FEATURES)
    available = {name: "False" for name in SERVICE_AVAILABLE.values() if name}
    available.update({name: "False" for name in UNCONDITIONALLY_OFF})
    under_test = SERVICE_AVAILABLE[args.service]
    if under_test:
        available[under_test] = "True"
    conf["service_available"] = available
    conf["validation"] = {"run_validation": "False"}
    for item in args.set:
        key, sep, value = item.partition("=")
        section, dot, option = key.rpartition(".")
        if not sep or not dot or not section or not option:
            raise SystemExit(f"--set wants SECTION.OPTION=VALUE, got {item!r}")
        if not conf.has_section(section) and section != "DEFAULT":
            conf.add_section(section)
        conf.set(section, option, value)
    return conf


def write_config(conf: configparser.ConfigParser, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        handle.write("# Written by tests/conformance/run_tempest.py; edits are overwritten.\n")
        conf.write(handle)


def tempest_env(conf_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    env["TEMPEST_CONFIG_DIR"] = str(conf_path.parent)
    env["TEMPEST_CONFIG"] = conf_path.name
    env.setdefault("PYTHONWARNINGS", "ignore")
    return env


def list_tests(tempest: Path, conf_path: Path, regex: str, workspace: Path) -> list[str]:
    proc = subprocess.run(
        [str(tempest), "run", "--config-file", str(conf_path), "--regex", regex, "--list-tests"],
        cwd=workspace,
        env=tempest_env(conf_path),
        capture_output=True,
        text=True,
        timeout=600,
    )
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
        raise SystemExit(2)
    return sorted(
        {stable_id(line) for line in proc.stdout.splitlines() if line.startswith("tempest.")}
    )


def run_tests(
    tempest: Path,
    conf_path: Path,
    regex: str,
    workspace: Path,
    workers: int,
    timeout: float,
    verbose: bool,
) -> tuple[int, dict[str, TestResult]]:
    """Run Tempest with subunit output, streaming it into results.subunit."""
    stream_path = workspace / "results.subunit"
    stderr_path = workspace / "tempest-run.stderr"
    cmd = [
        str(tempest),
        "run",
        "--config-file",
        str(conf_path),
        "--regex",
        regex,
        "--subunit",
    ]
    cmd += ["--concurrency", str(workers)] if workers > 1 else ["--serial"]
    log(" ".join(cmd))
    reader = SubunitReader()
    collector = ResultCollector()
    progress = Progress(verbose)
    deadline = time.monotonic() + timeout
    with stream_path.open("wb") as raw, stderr_path.open("wb") as err:
        proc = subprocess.Popen(
            cmd,
            cwd=workspace,
            env=tempest_env(conf_path),
            stdout=subprocess.PIPE,
            stderr=err,
            start_new_session=True,
        )
        assert proc.stdout is not None
        try:
            _pump(proc.stdout, raw, reader, collector, deadline, progress)
            progress.end_line()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(deadline - time.monotonic(), 1))
        finally:
            if proc.poll() is None:
                log(f"stopping tempest (pid {proc.pid}): {timeout:.0f} s passed or interrupted")
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
            rc = proc.wait()
    if reader.skipped_bytes:
        log(f"note: {reader.skipped_bytes} non-subunit bytes in Tempest's output")
    return rc, collector.results


def _pump(
    source: IO[bytes],
    sink: IO[bytes],
    reader: SubunitReader,
    collector: ResultCollector,
    deadline: float,
    progress: Progress,
) -> None:
    with selectors.DefaultSelector() as selector:
        selector.register(source, selectors.EVENT_READ)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            if not selector.select(timeout=min(remaining, 30)):
                continue
            chunk = os.read(source.fileno(), 65536)
            sink.write(chunk)
            packets = reader.feed(chunk) if chunk else reader.finish()
            for packet in packets:
                done = collector.add(packet)
                if done is not None:
                    progress(done)
            if not chunk:
                return


class Progress:
    """Dots for passing tests (one line each with --verbose), a line for the rest."""

    def __init__(self, verbose: bool) -> None:
        self.verbose = verbose
        self.dots = 0

    def __call__(self, result: TestResult) -> None:
        mark = {"success": "ok", "skip": "skip", "xfail": "xfail"}.get(result.status, "FAIL")
        if mark == "ok" and not self.verbose:
            self.dots += 1
            print(".", end="\n" if self.dots % 70 == 0 else "", flush=True)
            return
        self.end_line()
        took = f" ({result.seconds:.1f}s)" if result.seconds is not None else ""
        reason = f": {result.reason[:300]}" if mark != "ok" and result.reason else ""
        print(f"{mark:5} {result.test_id}{took}{reason}", flush=True)

    def end_line(self) -> None:
        if self.dots % 70:
            print(flush=True)
        self.dots = 0


def reachable(url: str, timeout: float = 10) -> str | None:
    """None when url answers HTTP at all (any status), else why not."""
    try:
        with urllib.request.urlopen(url, timeout=timeout):
            return None
    except urllib.error.HTTPError:
        return None
    except (OSError, ValueError) as exc:
        return str(exc)


def log(message: str) -> None:
    print(f"[run_tempest] {message}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------------ main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--auth-url", default="http://127.0.0.1:5000/identity/v3")
    parser.add_argument("--username", default="admin")
    parser.add_argument(
        "--password",
        default=os.environ.get("HANEUL_ADMIN_PASSWORD", "password"),
        help="admin password (default: $HANEUL_ADMIN_PASSWORD or 'password')",
    )
    parser.add_argument("--project", default="admin")
    parser.add_argument("--domain", default="Default", help="domain name of user and project")
    parser.add_argument("--region", default="RegionOne")
    parser.add_argument(
        "--service",
        default="identity",
        choices=sorted(SERVICE_AVAILABLE),
        help="Tempest API package to run (tempest.api.SERVICE)",
    )
    parser.add_argument(
        "--list",
        type=Path,
        default=None,
        help="tests that must pass (default: tests/conformance/SERVICE.txt)",
    )
    parser.add_argument(
        "--update", action="store_true", help="add the tests that passed to the list"
    )
    parser.add_argument("--workers", type=int, default=2, help="Tempest worker processes")
    parser.add_argument(
        "--workspace",
        type=Path,
        default=None,
        help=f"where tempest.conf and results go (default {DEFAULT_WORKSPACE}/SERVICE)",
    )
    parser.add_argument("--venv", type=Path, default=DEFAULT_VENV, help="Tempest's virtualenv")
    parser.add_argument(
        "--regex", default=None, help=r"test selection (default ^tempest\.api\.SERVICE\.)"
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="SECTION.OPTION=VALUE",
        help="extra or overriding tempest.conf option; repeatable",
    )
    parser.add_argument("--timeout", type=float, default=3600, help="seconds for the whole run")
    parser.add_argument(
        "--write-passed",
        type=Path,
        default=None,
        metavar="FILE",
        help="also write every test that passed to FILE (sorted)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="one line per test")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    list_path: Path = args.list or HERE / f"{args.service}.txt"
    workspace: Path = (args.workspace or DEFAULT_WORKSPACE / args.service).resolve()
    workspace.mkdir(parents=True, exist_ok=True)
    (workspace / "locks").mkdir(exist_ok=True)
    regex = args.regex or rf"^tempest\.api\.{args.service}\."

    problem = reachable(args.auth_url)
    if problem:
        log(f"{args.auth_url} does not answer: {problem}")
        return 2
    tempest = ensure_venv(args.venv, REQUIREMENTS)
    conf_path = workspace / "etc" / "tempest.conf"
    write_config(build_config(args, workspace), conf_path)
    log(f"config {conf_path}")

    # Tempest writes .stestr.conf (pointing into its venv) when it is missing;
    # drop ours so a different --venv never runs stale paths.
    (workspace / ".stestr.conf").unlink(missing_ok=True)
    if not (workspace / ".stestr").is_dir():
        subprocess.run(
            [str(tempest.parent / "stestr"), "init"],
            cwd=workspace,
            check=True,
            stdout=subprocess.DEVNULL,
        )

    header, required = read_list(list_path)
    all_tests = list_tests(tempest, conf_path, regex, workspace)
    log(f"{len(all_tests)} tests match {regex}")
    rc, results = run_tests(
        tempest, conf_path, regex, workspace, args.workers, args.timeout, args.verbose
    )
    final = classify(all_tests, results)
    counts = Counter(r.status for r in final.values())
    fixture_failures = [
        r for tid, r in results.items() if FIXTURE_ID.match(tid) and r.status == "fail"
    ]

    report = {
        tid: {"status": r.status, "reason": r.reason, "seconds": r.seconds}
        for tid, r in sorted(final.items())
    }
    (workspace / "results.json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")

    passed = {tid for tid, r in final.items() if r.status in PASSING}
    not_passed = sorted(required - passed)
    for r in fixture_failures:
        print(f"FIXTURE FAILED {r.test_id}: {r.reason}")
    for tid in sorted(final):
        r = final[tid]
        if r.status not in PASSING and r.status != "skip":
            print(f"{r.status.upper():8} {tid}: {r.reason[:300]}")
    failed = counts["fail"] + counts["uxsuccess"] + counts["missing"]
    print(f"results: {workspace / 'results.json'}  stream: {workspace / 'results.subunit'}")
    print(
        f"tempest.api.{args.service}: {len(passed)} passed, {failed} failed, "
        f"{counts['skip']} skipped (of {len(final)}; not run {counts['missing']})"
    )

    if args.write_passed:
        write_list(args.write_passed, [], passed)
    if args.update:
        new = passed - required
        if not list_path.exists():
            header = [f"# Tempest tests for {args.service} that must pass; only ever grows."]
        write_list(list_path, header, required | passed)
        log(f"--update: {len(new)} tests added to {list_path}")

    if not results:
        log(f"Tempest produced no results (exit {rc}); see {workspace / 'tempest-run.stderr'}")
        return 2
    if not_passed:
        print(f"{len(not_passed)} of {len(required)} listed tests did not pass:")
        for tid in not_passed:
            print(f"  {final.get(tid, TestResult(tid, 'missing')).status:8} {tid}")
        return 1
    print(f"all {len(required)} listed tests passed ({list_path})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
