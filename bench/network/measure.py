"""What every measurement of bench/network uses: progress lines, the load average,
quantiles and a process's CPU time."""

from __future__ import annotations

import os
import sys
import time


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def pct(values: list[float], q: float) -> float:
    """The q-quantile (0..1) by linear interpolation between closest ranks."""
    s = sorted(values)
    if not s:
        return float("nan")
    k = (len(s) - 1) * q
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def spread(values: list[float]) -> dict[str, float]:
    return {"p50": pct(values, 0.5), "p95": pct(values, 0.95), "max": max(values),
            "min": min(values), "n": len(values)}


class CpuMeter:
    """CPU seconds (user + system, children waited for included) of a process."""

    def __init__(self, pid: int) -> None:
        import psutil

        self.proc = psutil.Process(pid)

    def read(self) -> float:
        try:
            t = self.proc.cpu_times()
            return float(t.user + t.system + t.children_user + t.children_system)
        except Exception:
            return float("nan")
