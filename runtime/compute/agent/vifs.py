"""Waiting for a new guest's ports to be wired by the network agent (Nova's
vif-plugged events, read here as the ports' status through the controller)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from runtime.compute.agent.controller import ControllerError
from runtime.compute.drivers.base import GuestError

ACTIVE = "ACTIVE"


def wait_until_active(statuses: Callable[[], dict[str, str]], ports: list[str],
                      timeout: float, stop: threading.Event) -> None:
    """Return once every port in ``ports`` is ACTIVE; a GuestError naming the ports that
    are not after ``timeout`` seconds (the server goes to ERROR, as with Nova's
    vif_plugging_is_fatal), or when the agent stops meanwhile."""
    deadline = time.monotonic() + timeout
    delay = 0.05
    waiting = list(ports)
    while True:
        try:
            seen = statuses()
            waiting = [p for p in ports if seen.get(p) != ACTIVE]
        except (OSError, ControllerError):
            pass  # the controller is away for a moment: its answer is still awaited
        if not waiting:
            return
        left = deadline - time.monotonic()
        if left <= 0 or stop.wait(min(delay, left)):
            break
        delay = min(delay * 2, 1.0)
    raise GuestError(f"port(s) {', '.join(waiting)} not wired by the network agent within "
                     f"{timeout:g} s: is `haneul agent network` running on this host?")
