"""The Linux bridges guests' taps join, made here when the network agent has not made
them yet (it adopts a bridge of the same name: ``brq<network id[:11]>``). pyroute2 stays
inside this module."""

from __future__ import annotations

import errno
import logging

from runtime.compute.drivers.base import GuestError

log = logging.getLogger("haneul.compute.libvirt")


def ensure_bridge(name: str, mtu: int | None = None) -> bool:
    """Make sure bridge ``name`` exists and is up; True when it had to be created."""
    from pyroute2 import IPRoute, NetlinkError

    with IPRoute() as ipr:
        found = ipr.link_lookup(ifname=name)
        created = False
        if not found:
            try:
                ipr.link("add", ifname=name, kind="bridge")
                created = True
                log.info("created bridge %s for guest interfaces", name)
            except NetlinkError as exc:
                if exc.code != errno.EEXIST:  # the network agent made it meanwhile
                    raise GuestError(f"cannot create bridge {name}: {exc}") from None
            found = ipr.link_lookup(ifname=name)
        if not found:
            raise GuestError(f"bridge {name} is missing")
        changes: dict[str, object] = {"state": "up"}
        if created and mtu:
            changes["mtu"] = int(mtu)
        try:
            ipr.link("set", index=found[0], **changes)
        except NetlinkError as exc:
            raise GuestError(f"cannot bring bridge {name} up: {exc}") from None
        return created
