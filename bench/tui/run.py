"""Input-to-repaint latency of manage mode with a table of N rows (default 1,000).

A key event is posted to the app exactly as the terminal driver posts it; the clock stops
at the first repaint (the compositor update handed to the driver, rendered to terminal
segments as a real terminal would get them) that shows the effect of the key: the filtered
table, the moved cursor, the refreshed rows. Data is fixed (tui.manage.demo), so no cloud
is involved: this measures the TUI alone.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from textual import events
from textual._compositor import CompositorUpdate
from textual.screen import Screen

from tui.app import HaneulApp
from tui.manage import demo
from tui.manage.logic import filter_rows
from tui.manage.resources import RESOURCES


class BenchApp(HaneulApp):
    """Stops a clock at the first repaint for which ``check()`` holds."""

    waiting: tuple[Callable[[], bool], asyncio.Future[tuple[float, float]]] | None = None

    def _display(self, screen: Screen[Any], renderable: Any) -> None:
        super()._display(screen, renderable)
        if renderable is None or self.waiting is None:
            return
        if isinstance(renderable, CompositorUpdate):
            renderable.render_segments(self.console)  # what a terminal would be sent
        check, done = self.waiting
        if not done.done() and check():
            done.set_result((time.perf_counter(), time.process_time()))


CPU: dict[str, list[float]] = {}


async def press(app: BenchApp, key: str, check: Callable[[], bool],
                name: str = "") -> float:
    """Wall-clock ms from the key to the repaint; the process's CPU ms go to CPU[name]
    (other processes on a busy machine inflate the first, not the second)."""
    done: asyncio.Future[tuple[float, float]] = asyncio.get_running_loop().create_future()
    app.waiting = (check, done)
    char = key if len(key) == 1 else None
    start, cpu = time.perf_counter(), time.process_time()
    app.post_message(events.Key(key, char))
    end, cpu_end = await asyncio.wait_for(done, 10)
    app.waiting = None
    CPU.setdefault(name, []).append((cpu_end - cpu) * 1000)
    return (end - start) * 1000


async def settle(pilot: Any) -> None:
    await pilot.pause()
    await pilot.pause()


async def run(rows: int, size: tuple[int, int], rounds: int) -> dict[str, list[float]]:
    source = demo.source(rows)
    app = BenchApp(source=source, refresh_seconds=3600)
    out: dict[str, list[float]] = {}
    servers = RESOURCES["servers"]

    async def measure(name: str, key: str, check: Callable[[], bool]) -> None:
        out.setdefault(name, []).append(await press(app, key, check, name))
        await settle(pilot)

    async with app.run_test(size=size) as pilot:
        screen: Any = app.manage
        deadline = time.monotonic() + 30
        while not screen.loaded:
            if time.monotonic() > deadline:
                raise TimeoutError("rows never loaded")
            await pilot.pause(0.01)
        await settle(pilot)
        table = screen.query_one("#table")

        def rows_shown(n: int) -> Callable[[], bool]:
            return lambda: table.row_count == n

        def cursor_at(n: int) -> Callable[[], bool]:
            return lambda: table.cursor_row == n

        for _ in range(rounds):
            await pilot.press("slash")
            await settle(pilot)
            typed = ""
            for ch in "web-09":
                typed += ch
                want = len(filter_rows(servers, source.rows["servers"], typed))
                await measure("filter: type a key", ch, rows_shown(want))
            await measure("filter: clear (esc)", "escape", rows_shown(rows))

            table.move_cursor(row=0)
            await settle(pilot)
            for i in range(1, 40):
                await measure("scroll: down", "down", cursor_at(i))
            for _ in range(10):
                target = min(table.cursor_row + table.size.height - 2, rows - 1)
                await measure("scroll: page down", "pagedown",
                              lambda t=target: table.cursor_row >= t)  # type: ignore[misc]
            await measure("scroll: bottom (G)", "G", cursor_at(rows - 1))
            await measure("scroll: top (g)", "g", cursor_at(0))

            # A refresh in which every row's status changed (the worker's fetch excluded:
            # the clock starts when ctrl+r is pressed and the static source answers at once).
            for row in source.rows["servers"]:
                row["status"] = "ACTIVE" if row["status"] != "ACTIVE" else "SHUTOFF"
            first = source.rows["servers"][0]["status"]
            await measure("refresh: all rows changed (ctrl+r)", "ctrl+r",
                          lambda s=first: str(table.get_cell_at((0, 1))) == s)  # type: ignore[misc]
    return out


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def summary(samples: dict[str, list[float]]) -> list[dict[str, Any]]:
    rows = []
    for name, values in samples.items():
        cpu = CPU.get(name, [0.0])
        rows.append({"action": name, "n": len(values), "p50_ms": statistics.median(values),
                     "p95_ms": p95(values), "max_ms": max(values),
                     "cpu_p50_ms": statistics.median(cpu), "cpu_p95_ms": p95(cpu)})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.tui", description=__doc__)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--size", default="120x40", help="terminal COLSxLINES")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)
    cols, lines = (int(v) for v in args.size.split("x"))
    samples = asyncio.run(run(args.rows, (cols, lines), args.rounds))
    table = summary(samples)
    print(f"manage mode, {args.rows} rows, {cols}x{lines}, {args.rounds} rounds "
          "(input to repaint, ms)")
    print(f"{'action':36} {'n':>4} {'p50':>7} {'p95':>7} {'max':>7} {'cpu p50':>8} "
          f"{'cpu p95':>8}")
    for r in table:
        print(f"{r['action']:36} {r['n']:>4} {r['p50_ms']:>7.1f} {r['p95_ms']:>7.1f} "
              f"{r['max_ms']:>7.1f} {r['cpu_p50_ms']:>8.1f} {r['cpu_p95_ms']:>8.1f}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"rows": args.rows, "size": args.size, "results": table}, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
