"""Wake-ups for long-polling agents.

An agent's long-poll waits on an event; a write in the same API process sets it, so the
agent hears at once. Writes by other API processes are seen by the services polling
their generation row; this only makes the same-process case instant.
"""

from __future__ import annotations

import asyncio


class Waiters:
    def __init__(self) -> None:
        self._events: set[asyncio.Event] = set()
        self._loop: asyncio.AbstractEventLoop | None = None

    def add(self) -> asyncio.Event:
        self._loop = asyncio.get_running_loop()
        event = asyncio.Event()
        self._events.add(event)
        return event

    def discard(self, event: asyncio.Event) -> None:
        self._events.discard(event)

    def notify(self) -> None:
        """Set every waiting event (callable from any thread)."""
        loop = self._loop
        if loop is None or not self._events:
            return
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        for event in list(self._events):
            if running is loop:
                event.set()
            else:
                loop.call_soon_threadsafe(event.set)
