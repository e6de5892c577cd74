"""Reading and checking an inventory before any host is touched.

Ansible accepts almost any inventory and fails late, on some host, in some task. The
mistakes operators actually make (no control host, a typo in a group name, the same
address twice) are caught here, with a message that says what to change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

GROUPS = ("control", "network", "compute", "storage", "baremetal")


class InventoryError(ValueError):
    """The inventory cannot be deployed; the message lists every problem found."""


@dataclass
class Inventory:
    path: Path
    hosts: dict[str, dict[str, Any]] = field(default_factory=dict)  # host -> its vars
    groups: dict[str, list[str]] = field(default_factory=dict)  # group -> hosts
    variables: dict[str, Any] = field(default_factory=dict)  # all.vars

    def roles_of(self, host: str) -> list[str]:
        return [g for g in GROUPS if host in self.groups.get(g, [])]

    def address(self, host: str) -> str:
        return str(self.hosts[host].get("ansible_host", host))


def _hosts_of(node: dict[str, Any], where: str, problems: list[str]) -> dict[str, Any]:
    hosts = node.get("hosts") or {}
    if not isinstance(hosts, dict):
        problems.append(f"{where}.hosts must be a mapping of host name to variables")
        return {}
    return {str(h): (v or {}) for h, v in hosts.items()}


def parse(path: Path) -> Inventory:
    """Load a YAML inventory and check it; InventoryError names every problem."""
    try:
        raw = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise InventoryError(f"{path}: no such inventory file") from None
    except yaml.YAMLError as err:
        raise InventoryError(f"{path}: not valid YAML: {err}") from None
    problems: list[str] = []
    root = (raw or {}).get("all") if isinstance(raw, dict) else None
    if not isinstance(root, dict):
        raise InventoryError(f"{path}: the inventory must start with an `all:` mapping "
                             "(see inventory/README.md)")
    inv = Inventory(path=path, variables=dict(root.get("vars") or {}))
    for host, hvars in _hosts_of(root, "all", problems).items():
        inv.hosts[host] = dict(hvars)
    children = root.get("children") or {}
    for group, node in children.items():
        if group not in GROUPS:
            problems.append(f"unknown group {group!r}: groups are {', '.join(GROUPS)}")
            continue
        members = _hosts_of(node or {}, f"all.children.{group}", problems)
        inv.groups[group] = list(members)
        for host, hvars in members.items():
            inv.hosts.setdefault(host, {}).update(hvars)
    if not inv.groups.get("control"):
        problems.append("no host in the `control` group: one host must run the APIs "
                        "and the database")
    grouped = {h for members in inv.groups.values() for h in members}
    for host in inv.hosts:
        if host not in grouped:
            problems.append(f"host {host!r} is in no group: add it to one of "
                            f"{', '.join(GROUPS)}")
    seen: dict[str, str] = {}
    for host in inv.hosts:
        address = inv.address(host)
        if address in seen and not _is_local(inv.hosts[host]):
            problems.append(f"hosts {seen[address]!r} and {host!r} have the same address "
                            f"{address}: each host needs its own")
        seen.setdefault(address, host)
    if problems:
        raise InventoryError(f"{path}:\n  - " + "\n  - ".join(problems))
    return inv


def _is_local(hvars: dict[str, Any]) -> bool:
    return hvars.get("ansible_connection") == "local"
