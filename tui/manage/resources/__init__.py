"""The resource tables of manage mode, by `:` command name."""

from __future__ import annotations

from tui.manage.resources import compute, identity, image, network
from tui.manage.resources.base import Resource

ORDER = ("servers", "images", "flavors", "keypairs", "networks", "subnets", "ports",
         "routers", "floatingips", "secgroups", "projects", "users", "roles", "services",
         "endpoints", "hypervisors", "quotas")

_ALL = {r.name: r for r in (*compute.RESOURCES, *image.RESOURCES, *network.RESOURCES,
                            *identity.RESOURCES)}
RESOURCES: dict[str, Resource] = {name: _ALL[name] for name in ORDER}
ALIASES: dict[str, str] = {a: r.name for r in RESOURCES.values() for a in r.aliases}

SERVICE_NAMES = {"compute": "compute", "image": "image", "network": "network",
                 "identity": "identity"}


def lookup(name: str) -> Resource | None:
    name = name.strip().lower()
    return RESOURCES.get(name) or RESOURCES.get(ALIASES.get(name, ""))
