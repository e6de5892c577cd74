"""Statuses of network resources, declared in one place.

Until network agents report what they built, the controller decides: networks are
ACTIVE; ports of routers are ACTIVE (routers are realised as soon as they exist);
floating IP ports are N/A as in Neutron; other ports are DOWN until the agent of their
host plugs them; a floating IP is ACTIVE while associated through a router.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    ACTIVE = "ACTIVE"
    DOWN = "DOWN"
    BUILD = "BUILD"
    ERROR = "ERROR"
    NOT_APPLICABLE = "N/A"


ROUTER_PORT_OWNERS = frozenset({"network:router_interface", "network:router_gateway",
                                "network:router_interface_distributed",
                                "network:ha_router_replicated_interface"})


def port_status(device_owner: str) -> Status:
    """The status a port starts with, from what owns it."""
    if device_owner == "network:floatingip":
        return Status.NOT_APPLICABLE
    if device_owner in ROUTER_PORT_OWNERS:
        return Status.ACTIVE
    return Status.DOWN


def floating_ip_status(associated: bool) -> Status:
    return Status.ACTIVE if associated else Status.DOWN
