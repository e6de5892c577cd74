"""The line the guest prints on its serial console once it is up.

``haneul-test login: instance-id=<uuid> hostname=<name> addresses=<a>,<b>``

The guest's rcS prints it (assets/rcS); tests and the compute service read console
logs with :func:`find_banner` to learn that a guest booted, as which instance, and where.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

PREFIX = "haneul-test login:"
NONE = "none"  # what the guest prints for a value it does not have

_LINE = re.compile(
    re.escape(PREFIX)
    + r" instance-id=(?P<instance_id>\S+) hostname=(?P<hostname>\S+) addresses=(?P<addresses>\S+)"
)


@dataclass(frozen=True)
class Banner:
    instance_id: str | None
    hostname: str
    addresses: tuple[str, ...]


def format_banner(instance_id: str | None, hostname: str, addresses: Sequence[str]) -> str:
    return (f"{PREFIX} instance-id={instance_id or NONE} hostname={hostname or NONE} "
            f"addresses={','.join(addresses) or NONE}")


def parse_banner(line: str) -> Banner | None:
    match = _LINE.search(line)
    if match is None:
        return None
    instance_id = match["instance_id"]
    addresses = match["addresses"]
    return Banner(
        instance_id=None if instance_id == NONE else instance_id,
        hostname=match["hostname"],
        addresses=() if addresses == NONE else tuple(addresses.split(",")),
    )


def find_banner(console: str) -> Banner | None:
    """The last banner in a console log (a guest that rebooted prints one per boot)."""
    found = None
    for line in console.splitlines():
        banner = parse_banner(line)
        if banner is not None:
            found = banner
    return found
