"""Helpers for pilot tests of the TUI."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from textual.geometry import Region


def shown(widget: Any) -> str:
    """What a widget draws on the terminal, as text."""
    lines = widget.render_lines(Region(0, 0, widget.size.width, widget.size.height))
    return "\n".join("".join(seg.text for seg in line) for line in lines)


async def until(pilot: Any, check: Callable[[], bool], what: str,
                timeout: float = 20.0) -> None:
    """Let the app run until ``check()`` holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await pilot.pause(0.02)
