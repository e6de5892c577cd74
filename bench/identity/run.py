"""bench/identity: Keystone v3 token issue and validation, Haneul against upstream.

Run from the repository root:

    OS_PASSWORD=... python -m bench.identity                 # Haneul only
    OS_PASSWORD=... python -m bench.identity --upstream      # and upstream Keystone
    python -m bench.identity --no-haneul --upstream --quick  # upstream only, smoke

Modes, each at every concurrency (default 1, 4, 8):

- issue        POST /v3/auth/tokens, password, project scope, always the same user
- issue-first  the same, but every request authenticates a different, freshly created
               user: the first verification of each password (no cache can help)
- validate     GET /v3/auth/tokens with X-Auth-Token and X-Subject-Token
"""

from __future__ import annotations

import argparse
import json
import math
import os
import secrets
import signal
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import FrameType

if __package__ in (None, ""):  # run as a script: python bench/identity/run.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.identity import haneul, load, upstream
from bench.identity.client import Credentials, Keystone, KeystoneError, password_auth_body
from bench.identity.load import Request, Result
from bench.identity.upstream import log

MODES = ("issue", "issue-first", "validate")
MODE_TITLES = {
    "issue": "Token issue, password, same user every time",
    "issue-first": "Token issue, password, first verification (a new user every request)",
    "validate": "Token validation (GET /v3/auth/tokens)",
}
HANEUL = "haneul"
UPSTREAM = "upstream"
UPSTREAM_MC = "upstream+memcached"


@dataclass
class Target:
    """A Keystone v3 endpoint to measure, with admin credentials."""

    name: str
    url: str
    creds: Credentials
    results: list[Result] = field(default_factory=list)
    created_users: list[str] = field(default_factory=list)
    idle_busy: float = 0.0
    skipped: dict[str, str] = field(default_factory=dict)


@dataclass
class Session:
    """What a target's measurements need: tokens and ids."""

    auth_token: str
    subject_token: str
    project_id: str
    domain_id: str
    fresh_role_id: str | None


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench.identity",
        description="Benchmark Keystone v3 token issue and validation (Haneul vs upstream).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument(
        "--url", default="http://127.0.0.1:5000/identity/v3", help="Haneul identity v3 URL"
    )
    p.add_argument("--username", default="admin")
    p.add_argument(
        "--password", default=os.environ.get("OS_PASSWORD"), help="default: $OS_PASSWORD"
    )
    p.add_argument("--project", default="admin")
    p.add_argument("--domain", default="Default", help="domain name of the user and project")
    p.add_argument(
        "--start-haneul",
        action="store_true",
        help="bootstrap and serve a throw-away Haneul (temporary state, free port, "
        "--haneul-workers workers) instead of using --url",
    )
    p.add_argument("--haneul-bin", type=Path, default=haneul.DEFAULT_BIN)
    p.add_argument("--haneul-workers", type=int, default=2)
    p.add_argument("--no-haneul", action="store_true", help="do not measure --url (upstream only)")
    p.add_argument(
        "--upstream", action="store_true", help="also measure upstream Keystone from PyPI"
    )
    p.add_argument(
        "--no-memcached", action="store_true", help="upstream: skip the run with memcached"
    )
    p.add_argument(
        "--bcrypt-rounds", type=int, default=12, help="upstream bcrypt cost (Haneul uses 12)"
    )
    p.add_argument(
        "--keep-state", action="store_true", help="keep the servers' state dirs (logs) for a look"
    )
    p.add_argument("--upstream-port", type=int, default=5001)
    p.add_argument("--memcached-port", type=int, default=11212)
    p.add_argument("--upstream-workers", type=int, default=2, help="WSGI worker processes")
    p.add_argument(
        "--upstream-no-wal",
        action="store_true",
        help="leave upstream's SQLite in rollback-journal mode (Haneul uses WAL)",
    )
    p.add_argument(
        "--upstream-server",
        choices=("gunicorn", "uwsgi"),
        default="gunicorn",
        help="upstream's WSGI server (see upstream.py for why gunicorn is the default)",
    )
    p.add_argument("--keystone-venv", type=Path, default=upstream.DEFAULT_VENV)
    p.add_argument("--keystone-spec", default=upstream.DEFAULT_SPEC, help="pip requirement")
    p.add_argument(
        "--serve-upstream",
        action="store_true",
        help="only bootstrap and serve upstream Keystone (with memcached unless --no-memcached) "
        "until interrupted, to point --url at it from another shell",
    )
    p.add_argument("--concurrency", default="1,4,8", help="comma-separated levels")
    p.add_argument("--modes", default=",".join(MODES), help="comma-separated: " + ", ".join(MODES))
    p.add_argument("--duration", type=float, default=10.0, help="seconds per measurement")
    p.add_argument(
        "--warmup", type=float, default=2.0, help="seconds of warm-up per mode, not counted"
    )
    p.add_argument(
        "--quick", action="store_true", help="short smoke: 2 s per measurement, 1 s warm-up"
    )
    p.add_argument(
        "--fresh-users",
        type=int,
        default=0,
        help="users created per concurrency level for issue-first (0: enough for --duration, "
        "estimated from how fast the target creates users)",
    )
    p.add_argument("--fresh-role", default="member", help="role the fresh users get on --project")
    p.add_argument(
        "--keep-users", action="store_true", help="do not delete the fresh users afterwards"
    )
    p.add_argument(
        "--client",
        choices=("auto", "wrk", "python"),
        default="auto",
        help="load generator; auto: wrk for modes faster than --wrk-above req/s in the "
        "warm-up, the Python client for slower ones",
    )
    p.add_argument("--wrk-above", type=float, default=100.0)
    p.add_argument("--wrk-threads", type=int, default=1)
    p.add_argument("--json", type=Path, help="also write all results to this JSON file")
    args = p.parse_args(argv)
    if args.quick:
        args.duration = min(args.duration, 2.0)
        args.warmup = min(args.warmup, 1.0)
    args.levels = list(dict.fromkeys(int(x) for x in args.concurrency.split(",") if x.strip()))
    args.mode_list = [m.strip() for m in args.modes.split(",") if m.strip()]
    for m in args.mode_list:
        if m not in MODES:
            p.error(f"unknown mode {m!r}; choose from {', '.join(MODES)}")
    if args.start_haneul and args.no_haneul:
        p.error("--start-haneul and --no-haneul contradict each other")
    needs_password = not (args.no_haneul or args.serve_upstream or args.start_haneul)
    if needs_password and not args.password:
        p.error("the Haneul admin password is needed: --password or $OS_PASSWORD (or --no-haneul)")
    if args.no_haneul and not args.upstream and not args.serve_upstream:
        p.error("--no-haneul leaves nothing to measure: add --upstream")
    return args


# --- preparation -----------------------------------------------------------------


def open_session(target: Target, fresh_role: str | None) -> Session:
    with Keystone(target.url) as ks:
        auth = ks.issue(target.creds)
        subject = ks.issue(target.creds)
        role_id = ks.role_id(auth.id, fresh_role) if fresh_role else None
        # The checks the measurements rely on: both requests answer 2xx.
        ks.validate(auth.id, subject.id)
    return Session(auth.id, subject.id, auth.project_id, auth.domain_id, role_id)


def create_users(
    target: Target, sess: Session, names: list[str], password_of: dict[str, str], parallel: int
) -> float:
    """Create `names` with role `fresh_role` on the project; return users per second."""

    def one(name: str) -> str:
        with Keystone(target.url) as ks:
            uid = ks.create_user(
                sess.auth_token, name, password_of[name], sess.domain_id, sess.project_id
            )
            target.created_users.append(uid)
            assert sess.fresh_role_id is not None
            ks.grant(sess.auth_token, sess.project_id, uid, sess.fresh_role_id)
            return uid

    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        list(pool.map(one, names))
    elapsed = time.perf_counter() - t0
    return len(names) / elapsed if elapsed > 0 else float("inf")


def fresh_user_bodies(
    target: Target, sess: Session, args: argparse.Namespace
) -> dict[int, list[bytes]]:
    """Create users for issue-first, a separate set per concurrency level; return bodies."""
    run_id = secrets.token_hex(3)
    parallel = max(2, os.cpu_count() or 2)
    password_of: dict[str, str] = {}

    def names(prefix: str, n: int) -> list[str]:
        out = [f"bench-{run_id}-{prefix}-{i}" for i in range(n)]
        for nm in out:
            password_of[nm] = secrets.token_urlsafe(16)
        return out

    per_level: dict[int, list[str]] = {}
    if args.fresh_users > 0:
        for c in args.levels:
            per_level[c] = names(f"c{c}", args.fresh_users)
        all_names = [n for v in per_level.values() for n in v]
        log(f"{target.name}: creating {len(all_names)} users for issue-first")
        create_users(target, sess, all_names, password_of, parallel)
    else:
        # Calibrate: how fast does this target hash passwords? User creation costs one hash,
        # as a first verification does, so its rate bounds the first-verification rate.
        calib = names("calib", 2 * parallel)
        rate = create_users(target, sess, calib, password_of, parallel)
        need = {c: math.ceil(2 * rate * args.duration) + 2 * c for c in args.levels}
        log(
            f"{target.name}: creates {rate:.1f} users/s; creating "
            f"{sum(need.values())} users for issue-first ({need})"
        )
        for c in args.levels:
            per_level[c] = names(f"c{c}", need[c])
        create_users(
            target, sess, [n for v in per_level.values() for n in v], password_of, parallel
        )
    creds = target.creds
    return {
        c: [
            json.dumps(
                password_auth_body(nm, password_of[nm], creds.project, creds.domain)
            ).encode()
            for nm in users
        ]
        for c, users in per_level.items()
    }


def delete_users(target: Target) -> None:
    if not target.created_users:
        return
    try:
        with Keystone(target.url) as ks:
            token = ks.issue(target.creds).id
        log(f"{target.name}: deleting {len(target.created_users)} benchmark users")

        def one(uid: str) -> None:
            with Keystone(target.url) as k:
                k.delete_user(token, uid)

        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(one, target.created_users))
        target.created_users.clear()
    except (OSError, KeystoneError) as exc:
        log(f"{target.name}: could not delete benchmark users (names start with 'bench-'): {exc}")


# --- measurement -----------------------------------------------------------------


def cpu_busy(seconds: float = 1.0) -> float:
    """Fraction of all CPUs busy over `seconds` (from /proc/stat), before a target runs."""

    def sample() -> tuple[int, int]:
        with open("/proc/stat") as f:
            vals = [int(x) for x in f.readline().split()[1:]]
        idle = vals[3] + (vals[4] if len(vals) > 4 else 0)
        return idle, sum(vals)

    try:
        i0, t0 = sample()
        time.sleep(seconds)
        i1, t1 = sample()
    except OSError:
        return 0.0
    return 1.0 - (i1 - i0) / (t1 - t0) if t1 > t0 else 0.0


def report_line(target: Target, r: Result) -> None:
    log(
        f"{target.name:>18} {r.mode:<11} c={r.concurrency}: {r.ok_rps:9.1f} req/s  "
        f"p50 {r.p50_ms:8.1f} ms  p99 {r.p99_ms:8.1f} ms  ({r.requests} in {r.duration_s:.1f}s, "
        f"{r.tool}){' ' + r.note if r.note else ''}"
    )
    if r.errors:
        log("!" * 78)
        log(
            f"!!! {target.name} {r.mode} c={r.concurrency}: {r.errors} ERRORS of {r.requests} "
            f"(non-2xx {r.non2xx}, socket {r.socket_errors or 0})"
        )
        if r.first_error:
            log(f"!!! first: {r.first_error[:300]}")
        log("!" * 78)


def measure(target: Target, args: argparse.Namespace) -> None:
    """Run every mode at every concurrency against `target`, appending to its results."""
    sess = open_session(target, args.fresh_role if "issue-first" in args.mode_list else None)
    target.idle_busy = cpu_busy()
    if target.idle_busy > 0.15:
        log(
            f"!!! {target.name}: the machine is {target.idle_busy:.0%} busy before the run: "
            "something else is using the CPU, so the figures will be low"
        )
    tokens_url = target.url.rstrip("/") + "/auth/tokens"
    json_headers = {"Content-Type": "application/json", "Accept": "application/json"}
    fixed = {
        "issue": Request(
            "POST", tokens_url, json_headers, json.dumps(target.creds.auth_body()).encode()
        ),
        "validate": Request(
            "GET",
            tokens_url,
            {
                "X-Auth-Token": sess.auth_token,
                "X-Subject-Token": sess.subject_token,
                "Accept": "application/json",
            },
        ),
    }
    bodies: dict[int, list[bytes]] = {}
    if "issue-first" in args.mode_list:
        try:
            bodies = fresh_user_bodies(target, sess, args)
        except (KeystoneError, LookupError) as exc:
            target.skipped["issue-first"] = f"could not create users: {exc}"
            log(f"!!! {target.name}: issue-first SKIPPED, could not create users: {exc}")

    for mode in args.mode_list:
        if mode in target.skipped:
            continue
        if mode == "issue-first":
            # Each request carries another user's password: the Python client hands out
            # each body once, and the rate is bounded by hashing (tens per second).
            for c in args.levels:
                req = Request("POST", tokens_url, json_headers)
                r = load.run_python(req, mode, c, args.duration, bodies=bodies[c])
                target.results.append(r)
                report_line(target, r)
            continue
        req = fixed[mode]
        tool = choose_client(target, req, mode, args)
        for c in args.levels:
            if tool == "wrk":
                r = load.run_wrk(req, mode, c, args.duration, threads=args.wrk_threads)
                # wrk abandons the requests in flight when its time is up; the server
                # still works them off. Wait for that before the next measurement.
                load.drain(target.url, c)
            else:
                r = load.run_python(req, mode, c, args.duration)
            target.results.append(r)
            report_line(target, r)


def choose_client(target: Target, req: Request, mode: str, args: argparse.Namespace) -> str:
    """Warm the target up and pick the load generator for `mode`.

    wrk is needed for fast servers (the Python client would be the bottleneck), but it
    stops on the clock and drops what is in flight, which biases slow measurements (a
    few requests per second, each taking seconds). The Python client waits for the
    requests in flight and divides by the real elapsed time, so it serves slow modes.
    """
    if args.client == "wrk" and not load.have_wrk():
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    if args.client == "auto" and not load.have_wrk():
        log("!!! wrk not found (apt-get install wrk): the Python client may be the bottleneck")
    warm = load.run_python(req, mode, max(args.levels), max(args.warmup, 1.0))
    if warm.errors:
        log(f"!!! {target.name} {mode} warm-up had {warm.errors} errors: {warm.first_error[:200]}")
    if args.client != "auto":
        return str(args.client)
    if load.have_wrk() and warm.ok_rps >= args.wrk_above:
        return "wrk"
    return "python"


# --- report ----------------------------------------------------------------------


def fmt(r: Result | None) -> str:
    if r is None:
        return "-"
    flag = " ERR" if r.errors else ""
    return f"{r.ok_rps:.1f} ({ms(r.p50_ms)}/{ms(r.p99_ms)}){flag}"


def ms(x: float) -> str:
    return f"{x:.1f}" if x < 10 else f"{x:.0f}"


def ratio(a: Result | None, b: Result | None) -> str:
    if a is None or b is None or b.ok_rps <= 0:
        return "-"
    return f"{a.ok_rps / b.ok_rps:.1f}x"


def find(targets: dict[str, Target], name: str, mode: str, c: int) -> Result | None:
    t = targets.get(name)
    if t is None:
        return None
    for r in t.results:
        if r.mode == mode and r.concurrency == c:
            return r
    return None


def print_report(
    targets: dict[str, Target], args: argparse.Namespace, hash_s: float | None
) -> None:
    names = [n for n in (HANEUL, UPSTREAM, UPSTREAM_MC) if n in targets]
    print()
    print(f"Requests/s of 2xx answers (p50/p99 latency in ms); {args.duration:g} s per cell.")
    for n in names:
        busy = targets[n].idle_busy
        note = f" (!!! machine {busy:.0%} busy before the run)" if busy > 0.15 else ""
        print(f"  {n}: {targets[n].url}{note}")
    if hash_s:
        cores = os.cpu_count() or 1
        print(
            f"  bcrypt cost {args.bcrypt_rounds}: one check takes {hash_s * 1000:.0f} ms here, "
            f"so at most {cores / hash_s:.1f} first verifications/s on {cores} cores"
        )
    ratio_cols = []
    if HANEUL in targets:
        ratio_cols = [n for n in (UPSTREAM, UPSTREAM_MC) if n in targets]
    for mode in args.mode_list:
        print()
        print(MODE_TITLES[mode])
        head = ["c", *names, *[f"haneul/{n}" for n in ratio_cols]]
        rows = []
        for c in args.levels:
            row = [str(c), *[fmt(find(targets, n, mode, c)) for n in names]]
            row += [
                ratio(find(targets, HANEUL, mode, c), find(targets, n, mode, c)) for n in ratio_cols
            ]
            rows.append(row)
        widths = [max(len(x) for x in col) for col in zip(head, *rows, strict=True)]
        for row in [head, ["-" * w for w in widths], *rows]:
            print("  " + "  ".join(x.rjust(w) for x, w in zip(row, widths, strict=True)))
    if HANEUL in targets and ratio_cols:
        print()
        print("Goals")
        for c in args.levels:
            h = find(targets, HANEUL, "validate", c)
            u = find(targets, UPSTREAM_MC, "validate", c)
            if h and u and u.ok_rps > 0:
                x = h.ok_rps / u.ok_rps
                print(
                    f"  c={c} validate >= 10x upstream+memcached: {x:.1f}x "
                    f"{'PASS' if x >= 10 else 'FAIL'}"
                )
            h = find(targets, HANEUL, "issue-first", c)
            u = find(targets, UPSTREAM, "issue-first", c) or find(targets, UPSTREAM, "issue", c)
            if h and u and u.ok_rps > 0:
                x = h.ok_rps / u.ok_rps
                print(
                    f"  c={c} first-verification issue >= 3x upstream issue: {x:.1f}x "
                    f"{'PASS' if x >= 3 else 'FAIL'}"
                )
    for t in targets.values():
        for mode, why in t.skipped.items():
            print(f"!!! {t.name}: {mode} was not measured: {why[:200]}")
    bad = [(t.name, r) for t in targets.values() for r in t.results if r.errors]
    if bad:
        print()
        print("!" * 78)
        print(f"!!! {len(bad)} MEASUREMENT(S) HAD ERRORS: only their 2xx answers are counted")
        for name, r in bad:
            print(
                f"!!!   {name} {r.mode} c={r.concurrency}: {r.errors} errors of {r.requests}; "
                f"{r.first_error[:120]}"
            )
        print("!" * 78)


def write_json(
    path: Path, targets: dict[str, Target], args: argparse.Namespace, hash_s: float | None
) -> None:
    doc = {
        "duration_s": args.duration,
        "bcrypt_rounds_upstream": args.bcrypt_rounds,
        "bcrypt_check_s": hash_s,
        "cpu_count": os.cpu_count(),
        "targets": {
            t.name: {
                "url": t.url,
                "cpu_busy_before": round(t.idle_busy, 3),
                "skipped": t.skipped,
                "results": [asdict(r) | {"ok_rps": r.ok_rps, "rps": r.rps} for r in t.results],
            }
            for t in targets.values()
        },
    }
    path.write_text(json.dumps(doc, indent=2) + "\n")


# --- main ------------------------------------------------------------------------


def reachable(url: str) -> str | None:
    """None if `url` answers its version document, else why not."""
    try:
        with Keystone(url, timeout=5) as ks:
            ks.version()
        return None
    except (OSError, KeystoneError, ValueError) as exc:
        return str(exc)


def serve_upstream(args: argparse.Namespace) -> int:
    venv = upstream.ensure_venv(args.keystone_venv, args.keystone_spec)
    up = upstream.Upstream(
        venv,
        port=upstream.pick_port(args.upstream_port),
        memcached_port=upstream.pick_port(args.memcached_port),
        workers=args.upstream_workers,
        bcrypt_rounds=args.bcrypt_rounds,
        server=args.upstream_server,
        wal=not args.upstream_no_wal,
    )
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        up.bootstrap()
        up.start(cache=not args.no_memcached)
        print(f"upstream Keystone at {up.url} (memcached: {not args.no_memcached})")
        print(f"  OS_PASSWORD={up.admin_password} python -m bench.identity --url {up.url}")
        print("Ctrl-C (or SIGTERM) stops it.", flush=True)
        stop.wait()
    finally:
        up.stop()
    return 0


def measure_haneul(args: argparse.Namespace, targets: dict[str, Target]) -> None:
    """Measure the Haneul at --url (when it answers), adding it to `targets`."""
    why = reachable(args.url)
    if why is not None:
        if not args.upstream:
            log(f"Haneul does not answer at {args.url}: {why}")
            raise SystemExit(2)
        log(f"!!! Haneul does not answer at {args.url} ({why}): measuring upstream only")
    else:
        creds = Credentials(args.username, args.password, args.project, args.domain)
        target = Target(HANEUL, args.url, creds)
        targets[HANEUL] = target
        try:
            measure(target, args)
        finally:
            if not args.keep_users:
                delete_users(target)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.serve_upstream:
        return serve_upstream(args)
    # SIGTERM unwinds like Ctrl-C, so the finally blocks stop what was started.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    targets: dict[str, Target] = {}
    hash_s: float | None = None
    started: haneul.Haneul | None = None
    if args.start_haneul:
        started = haneul.Haneul(args.haneul_bin, workers=args.haneul_workers)
        try:
            started.start()
        except BaseException:
            started.stop()
            raise
        args.url, args.password = started.url, started.password
        args.username, args.project, args.domain = "admin", "admin", "Default"
    try:
        if not args.no_haneul:
            measure_haneul(args, targets)
    finally:
        if started is not None:
            started.stop(keep_state=args.keep_state)
            if args.keep_state:
                log(f"haneul state kept in {started.state}")
    if args.upstream:
        venv = upstream.ensure_venv(args.keystone_venv, args.keystone_spec)
        hash_s = upstream.bcrypt_check_seconds(str(venv / "bin" / "python"), args.bcrypt_rounds)
        up = upstream.Upstream(
            venv,
            port=upstream.pick_port(args.upstream_port),
            memcached_port=upstream.pick_port(args.memcached_port),
            workers=args.upstream_workers,
            bcrypt_rounds=args.bcrypt_rounds,
            server=args.upstream_server,
            wal=not args.upstream_no_wal,
        )
        try:
            up.bootstrap()
            creds = Credentials("admin", up.admin_password, "admin", "Default")
            runs = [(UPSTREAM, False)] + ([] if args.no_memcached else [(UPSTREAM_MC, True)])
            for name, cache in runs:
                up.stop_process("keystone")
                up.start(cache=cache)
                target = Target(name, up.url, creds)
                targets[name] = target
                measure(target, args)
        finally:
            up.stop(keep_state=args.keep_state)
            if args.keep_state:
                log(f"upstream state kept in {up.state}")
    if hash_s is None:
        hash_py = args.haneul_bin.parent / "python"
        if hash_py.exists():
            hash_s = upstream.bcrypt_check_seconds(str(hash_py), args.bcrypt_rounds)
    print_report(targets, args, hash_s)
    if args.json:
        write_json(args.json, targets, args, hash_s)
    return 1 if any(r.errors for t in targets.values() for r in t.results) else 0


if __name__ == "__main__":
    sys.exit(main())
