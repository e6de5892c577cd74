"""A new guest waits for its ports to go ACTIVE (runtime/compute/agent/vifs.py)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from runtime.compute.agent.controller import ControllerError
from runtime.compute.agent.vifs import wait_until_active
from runtime.compute.drivers.base import GuestError


def answers(*replies: dict[str, str] | Exception) -> Callable[[], dict[str, str]]:
    """Statuses as the controller gives them, one reply per call (the last repeats)."""
    calls = iter(replies)
    last: list[dict[str, str] | Exception] = []

    def statuses() -> dict[str, str]:
        reply = next(calls, None)
        if reply is None:
            reply = last[0]
        last[:] = [reply]
        if isinstance(reply, Exception):
            raise reply
        return reply

    return statuses


def test_returns_once_every_port_is_active() -> None:
    statuses = answers({"a": "DOWN", "b": "DOWN"}, ControllerError(503, "restarting"),
                       {"a": "ACTIVE", "b": "DOWN"}, {"a": "ACTIVE", "b": "ACTIVE"})
    wait_until_active(statuses, ["a", "b"], 30, threading.Event())


def test_names_the_ports_that_never_went_active() -> None:
    statuses = answers({"a": "ACTIVE", "b": "DOWN"})
    with pytest.raises(GuestError, match=r"port\(s\) b not wired .* within 0.2 s"):
        wait_until_active(statuses, ["a", "b"], 0.2, threading.Event())


def test_an_agent_stopping_ends_the_wait() -> None:
    stop = threading.Event()
    stop.set()
    with pytest.raises(GuestError, match="b not wired"):
        wait_until_active(answers({"b": "BUILD"}), ["b"], 300, stop)
