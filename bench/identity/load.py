"""Load generators: wrk with a generated Lua script, and a Python thread client.

wrk is used for the fixed-request modes (issue with one user, validate): one wrk thread
drives all connections from C, so the client is never the bottleneck at a few thousand
requests per second on two cores. The Python client serves the "first verification"
mode, where every request carries a different user's password and the rate is bounded
by password hashing (tens per second), and stands in for wrk when wrk is missing.
"""

from __future__ import annotations

import http.client
import itertools
import math
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Result:
    """One measurement: a mode at one concurrency against one target."""

    mode: str
    concurrency: int
    requests: int
    duration_s: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float
    non2xx: int = 0
    socket_errors: dict[str, int] = field(default_factory=dict)
    first_error: str = ""
    tool: str = "wrk"
    note: str = ""

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s if self.duration_s > 0 else 0.0

    @property
    def errors(self) -> int:
        return self.non2xx + sum(self.socket_errors.values())

    @property
    def ok_rps(self) -> float:
        """Successful (2xx) requests per second: what the tables compare."""
        ok = max(self.requests - self.non2xx, 0)
        return ok / self.duration_s if self.duration_s > 0 else 0.0


@dataclass(frozen=True)
class Request:
    """A fixed HTTP request against a base URL."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes | None = None


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


def _lua_str(value: str | bytes) -> str:
    """A Lua string literal holding exactly `value` (every byte escaped if unsafe)."""
    raw = value.encode() if isinstance(value, str) else value
    out = []
    for b in raw:
        ch = chr(b)
        if ch.isalnum() or ch in " _-./:,{}[]@=+":
            out.append(ch)
        else:
            out.append(f"\\{b:03d}")
    return '"' + "".join(out) + '"'


_LUA_TEMPLATE = """\
wrk.method = {method}
{body}
{headers}
non2xx = 0
bad = ""
local threads = {{}}

function setup(thread)
  table.insert(threads, thread)
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    if bad == "" then
      bad = tostring(status) .. " " .. string.sub(body or "", 1, 300)
    end
  end
end

function done(summary, latency, requests)
  local n, b = 0, ""
  for _, t in ipairs(threads) do
    n = n + t:get("non2xx")
    local tb = t:get("bad")
    if b == "" and tb ~= nil then b = tb end
  end
  local e = summary.errors
  io.write(string.format(
    "HANEUL_BENCH %d %d %d %d %d %d %d %d %.1f %.1f %.1f %.1f %.1f\\n",
    summary.requests, summary.duration, n, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.mean, latency.max))
  io.write("HANEUL_BENCH_BAD " .. string.gsub(b, "[\\r\\n]", " ") .. "\\n")
end
"""


def lua_script(req: Request) -> str:
    """The wrk script that sends `req` on every connection and reports in `done()`."""
    body = f"wrk.body = {_lua_str(req.body)}" if req.body is not None else ""
    headers = "\n".join(
        f"wrk.headers[{_lua_str(k)}] = {_lua_str(v)}" for k, v in sorted(req.headers.items())
    )
    return _LUA_TEMPLATE.format(method=_lua_str(req.method), body=body, headers=headers)


def run_wrk(
    req: Request,
    mode: str,
    concurrency: int,
    duration: float,
    threads: int = 1,
    timeout_s: int = 30,
) -> Result:
    """Run wrk for `duration` seconds with `concurrency` connections."""
    with tempfile.TemporaryDirectory(prefix="haneul-bench-") as tmp:
        script = Path(tmp) / "bench.lua"
        script.write_text(lua_script(req))
        cmd = [
            "wrk",
            f"-t{min(threads, concurrency)}",
            f"-c{concurrency}",
            f"-d{max(1, round(duration))}s",
            f"--timeout={timeout_s}s",
            "-s",
            str(script),
            req.url,
        ]
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=duration + timeout_s + 30, check=False
        )
    stats: list[str] | None = None
    bad = ""
    for line in proc.stdout.splitlines():
        if line.startswith("HANEUL_BENCH "):
            stats = line.split()[1:]
        elif line.startswith("HANEUL_BENCH_BAD "):
            bad = line[len("HANEUL_BENCH_BAD ") :].strip()
    if proc.returncode != 0 or stats is None:
        raise RuntimeError(
            f"wrk failed (rc={proc.returncode}): {' '.join(cmd)}\n{proc.stdout}\n{proc.stderr}"
        )
    n = [int(x) for x in stats[:8]]
    lat = [float(x) / 1000.0 for x in stats[8:]]
    socket_errors = {
        k: v
        for k, v in zip(
            ("connect", "read", "write", "timeout"), (n[3], n[4], n[5], n[7]), strict=True
        )
        if v
    }
    return Result(
        mode=mode,
        concurrency=concurrency,
        requests=n[0],
        duration_s=n[1] / 1e6,
        non2xx=n[2],
        socket_errors=socket_errors,
        p50_ms=lat[0],
        p90_ms=lat[1],
        p99_ms=lat[2],
        mean_ms=lat[3],
        max_ms=lat[4],
        first_error=bad,
        tool="wrk",
    )


def drain(base_url: str, connections: int, timeout_s: float = 300.0) -> None:
    """Wait until the server has worked off requests a client abandoned.

    Sends `connections` cheap GETs of `base_url` at once, then one more: each waits in
    the server's queue behind the abandoned requests.
    """
    parts = urllib.parse.urlsplit(base_url)
    host, port, path = parts.hostname or "127.0.0.1", parts.port or 80, parts.path or "/"

    def probe() -> None:
        conn = http.client.HTTPConnection(host, port, timeout=timeout_s)
        try:
            conn.request("GET", path, headers={"Accept": "application/json"})
            conn.getresponse().read()
        except (OSError, http.client.HTTPException):
            pass
        finally:
            conn.close()

    probes = [threading.Thread(target=probe, daemon=True) for _ in range(connections)]
    for t in probes:
        t.start()
    for t in probes:
        t.join(timeout_s)
    probe()


def _percentile(sorted_ms: Sequence[float], pct: float) -> float:
    if not sorted_ms:
        return 0.0
    rank = max(1, math.ceil(pct / 100.0 * len(sorted_ms)))
    return sorted_ms[rank - 1]


def run_python(
    req: Request,
    mode: str,
    concurrency: int,
    duration: float,
    bodies: Sequence[bytes] | None = None,
    timeout_s: float = 60.0,
) -> Result:
    """A closed-loop client: `concurrency` threads, each on its own keep-alive connection.

    With `bodies`, each body is sent exactly once (in order, shared by all threads) and
    the run ends when they run out or `duration` passes, whichever is first.
    """
    parts = urllib.parse.urlsplit(req.url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    lock = threading.Lock()
    feed: Iterator[bytes | None] = (
        iter(bodies) if bodies is not None else itertools.repeat(req.body)
    )
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    socket_errors: dict[str, int] = {}
    first_error: list[str] = []
    exhausted = threading.Event()
    start = time.perf_counter()
    deadline = start + duration
    ends: list[float] = []

    def worker() -> None:
        conn = http.client.HTTPConnection(host, port, timeout=timeout_s)
        mine: list[float] = []
        try:
            while time.perf_counter() < deadline:
                with lock:
                    body = next(feed, None) if bodies is not None else req.body
                if bodies is not None and body is None:
                    exhausted.set()
                    break
                t0 = time.perf_counter()
                try:
                    conn.request(req.method, path, body=body, headers=req.headers)
                    resp = conn.getresponse()
                    payload = resp.read()
                except (OSError, http.client.HTTPException) as exc:
                    conn.close()
                    kind = "timeout" if isinstance(exc, TimeoutError) else "read"
                    with lock:
                        socket_errors[kind] = socket_errors.get(kind, 0) + 1
                        if not first_error:
                            first_error.append(f"{type(exc).__name__}: {exc}")
                    continue
                mine.append((time.perf_counter() - t0) * 1000.0)
                if not 200 <= resp.status <= 299:
                    with lock:
                        statuses[resp.status] = statuses.get(resp.status, 0) + 1
                        if not first_error:
                            text = " ".join(payload[:300].decode("utf-8", "replace").split())
                            first_error.append(f"{resp.status} {text}")
                if resp.getheader("Connection", "").lower() == "close":
                    conn.close()
        finally:
            conn.close()
            with lock:
                latencies.extend(mine)
                ends.append(time.perf_counter())

    workers = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(duration + timeout_s + 10)
    elapsed = (max(ends) if ends else time.perf_counter()) - start
    latencies.sort()
    return Result(
        mode=mode,
        concurrency=concurrency,
        requests=len(latencies),
        duration_s=elapsed,
        p50_ms=_percentile(latencies, 50),
        p90_ms=_percentile(latencies, 90),
        p99_ms=_percentile(latencies, 99),
        mean_ms=sum(latencies) / len(latencies) if latencies else 0.0,
        max_ms=latencies[-1] if latencies else 0.0,
        non2xx=sum(statuses.values()),
        socket_errors=socket_errors,
        first_error=first_error[0] if first_error else "",
        tool="python",
        note="ran out of fresh users before the duration ended" if exhausted.is_set() else "",
    )
