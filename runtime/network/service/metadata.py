"""The metadata service behind the agents' proxies (Nova's metadata API as Neutron's
proxy reaches it): which instance asks is found from the network (or the router's
networks) the request came through and the guest's fixed IP, never from the IP alone,
so two projects with the same addresses each get their own instance's answers."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from runtime.compute.client import InstanceMetadata as Instance
from runtime.network import models as m
from runtime.network.service.hosting import INTERFACE_OWNERS

OPENSTACK_VERSIONS = ("2012-08-10", "2013-04-04", "2013-10-17", "2015-10-15", "2016-06-30",
                      "2016-10-06", "2017-02-22", "2018-08-27", "2020-10-14", "latest")
EC2_VERSIONS = ("1.0", "2007-01-19", "2007-03-01", "2007-08-29", "2007-10-10", "2007-12-15",
                "2008-02-01", "2008-09-01", "2009-04-04", "latest")


@dataclass(frozen=True)
class Caller:
    port_id: str
    instance_id: str
    project_id: str
    fixed_ip: str
    floating_ip: str | None


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    content_type: str = "text/plain; charset=UTF-8"


def networks_of(s: Session, router_id: str | None, network_id: str | None) -> list[str]:
    if network_id:
        return [network_id]
    if router_id:
        return sorted(set(s.scalars(select(m.Port.network_id).where(
            m.Port.device_id == router_id, m.Port.device_owner.in_(INTERFACE_OWNERS)))))
    return []


def caller(s: Session, networks: list[str], address: str) -> Caller | None:
    """The instance port with ``address`` on one of ``networks``."""
    if not networks or not address:
        return None
    for alloc in s.scalars(select(m.IPAllocation).where(
            m.IPAllocation.ip_address == address, m.IPAllocation.network_id.in_(networks))):
        port = s.get(m.Port, alloc.port_id)
        if port is None or not port.device_owner.startswith("compute:") or \
                not port.device_id:
            continue
        fip = s.scalar(select(m.FloatingIP.floating_ip_address).where(
            m.FloatingIP.port_id == port.id, m.FloatingIP.fixed_ip_address == address))
        return Caller(port.id, port.device_id, port.project_id, address, fip)
    return None


def _text(lines: list[str] | tuple[str, ...]) -> Answer:
    return Answer(200, "\n".join(lines).encode())


def _json(data: Any) -> Answer:
    return Answer(200, json.dumps(data).encode(), "application/json")


NOT_FOUND = Answer(404, b"Not Found")


def _openstack(parts: list[str], who: Caller, inst: Instance) -> Answer:
    if not parts:
        return _text(OPENSTACK_VERSIONS)
    if parts[0] not in OPENSTACK_VERSIONS:
        return NOT_FOUND
    files = ["meta_data.json", "network_data.json", "vendor_data.json", "vendor_data2.json"]
    if inst.user_data is not None:
        files.append("user_data")
    if len(parts) == 1:
        return _text(files)
    name = parts[1]
    if name == "meta_data.json":
        keys = {inst.key_name: inst.key_data} if inst.key_name and inst.key_data else {}
        return _json({
            "uuid": inst.id, "name": inst.name, "hostname": inst.hostname,
            "project_id": inst.project_id, "launch_index": inst.launch_index,
            "availability_zone": inst.availability_zone, "meta": inst.metadata,
            "public_keys": keys, "devices": [],
            "keys": [{"name": k, "type": "ssh", "data": v} for k, v in keys.items()]})
    if name == "user_data":
        return Answer(200, inst.user_data, "application/octet-stream") \
            if inst.user_data is not None else NOT_FOUND
    if name in ("vendor_data.json", "vendor_data2.json"):
        return _json({})
    if name == "network_data.json":
        return _json({"links": [], "networks": [], "services": []})
    return NOT_FOUND


def _ec2(parts: list[str], who: Caller, inst: Instance) -> Answer:
    if not parts:
        return _text(EC2_VERSIONS)
    if parts[0] not in EC2_VERSIONS:
        return NOT_FOUND
    if len(parts) == 1:
        return _text(["meta-data/", "user-data"] if inst.user_data is not None
                     else ["meta-data/"])
    if parts[1] == "user-data":
        return Answer(200, inst.user_data, "application/octet-stream") \
            if inst.user_data is not None else NOT_FOUND
    if parts[1] != "meta-data":
        return NOT_FOUND
    values: dict[str, str] = {
        "ami-launch-index": str(inst.launch_index), "hostname": inst.hostname,
        "instance-id": inst.id, "local-hostname": inst.hostname,
        "local-ipv4": who.fixed_ip, "public-hostname": inst.hostname,
        "public-ipv4": who.floating_ip or "", "reservation-id": inst.reservation_id,
        "instance-type": "", "ami-id": "", "security-groups": ""}
    dirs: dict[str, Callable[[list[str]], Answer]] = {
        "placement": lambda rest: _text(["availability-zone"]) if not rest else
        (_text([inst.availability_zone]) if rest == ["availability-zone"] else NOT_FOUND),
        "public-keys": lambda rest: _keys(rest, inst)}
    rest = parts[2:]
    if not rest:
        return _text(sorted(list(values) + [f"{d}/" for d in dirs]))
    if rest[0] in dirs:
        return dirs[rest[0]](rest[1:])
    if len(rest) == 1 and rest[0] in values:
        return _text([values[rest[0]]])
    return NOT_FOUND


def _keys(rest: list[str], inst: Instance) -> Answer:
    if not (inst.key_name and inst.key_data):
        return NOT_FOUND
    if not rest:
        return _text([f"0={inst.key_name}"])
    if rest == ["0"]:
        return _text(["openssh-key"])
    if rest == ["0", "openssh-key"]:
        return _text([inst.key_data])
    return NOT_FOUND


def answer(path: str, who: Caller, inst: Instance) -> Answer:
    """The document at ``path`` (as the guest asked for it) for this instance."""
    parts = [p for p in path.split("/") if p]
    if parts[:1] == ["openstack"]:
        return _openstack(parts[1:], who, inst)
    return _ec2(parts, who, inst)
