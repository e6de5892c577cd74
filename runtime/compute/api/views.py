"""How a server looks in the API, microversion by microversion."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.requests import Request

from runtime.common.context import Context
from runtime.common.policy import enforce as policy_enforce
from runtime.common.web import context
from runtime.compute import models as m
from runtime.compute import states
from runtime.compute.api.common import at_least, compute, link
from runtime.compute.policies import RULES
from runtime.compute.service import groups, networking, scheduler


def iso(value: datetime | None) -> str | None:
    """Nova's timestamps: seconds precision and a Z."""
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value is not None else None


def usec(value: datetime | None) -> str | None:
    """OS-SRV-USG times: microseconds and no zone, as Nova prints them."""
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f") if value is not None else None


def host_id(project_id: str, host: str | None) -> str:
    """An opaque id of the host per project, so tenants can tell co-location."""
    if not host:
        return ""
    return hashlib.sha224((project_id + host).encode()).hexdigest()


def allowed(ctx: Context, rule: str, target: dict[str, Any] | None = None) -> bool:
    try:
        policy_enforce(RULES, rule, ctx, target or {})
    except Exception:
        return False
    return True


def index_view(request: Request, server: m.Server) -> dict[str, Any]:
    return {"id": server.id, "name": server.name,
            "links": link(request, f"/servers/{server.id}")}


def _flavor(request: Request, server: m.Server) -> dict[str, Any]:
    f = server.flavor
    if not at_least(request, "2.47"):
        return {"id": server.flavor_id, "links": link(request, f"/flavors/{server.flavor_id}")
                [1:]}
    return {"vcpus": f["vcpus"], "ram": f["ram"], "disk": f["disk"],
            "ephemeral": f.get("ephemeral", 0), "swap": f.get("swap", 0),
            "original_name": f.get("name", ""), "extra_specs": f.get("extra_specs", {})}


def _fault(ctx: Context, server: m.Server) -> dict[str, Any] | None:
    fault = server.fault
    if not fault:
        return None
    out = {"code": fault.get("code", 500), "message": fault.get("message", ""),
           "created": fault.get("created", "")[:19] + "Z"}
    # Details (a traceback) are for admins, or for everyone when not an internal error.
    if fault.get("details") and (ctx.is_admin or out["code"] != 500):
        out["details"] = fault["details"]
    return out


def host_status(s: Session, request: Request, server: m.Server) -> str:
    if not server.host:
        return ""
    service = s.scalar(select(m.Service).where(m.Service.host == server.host,
                                               m.Service.binary == "nova-compute"))
    if service is None:
        return "UNKNOWN"
    if not scheduler.is_up(service, compute(request).settings):
        return "DOWN"
    return "MAINTENANCE" if service.disabled else "UP"


@dataclass
class Prefetched:
    """What a list view needs of other tables, read once for the whole page (a page of
    1,000 servers must not cost 2,000 queries)."""

    tags: dict[str, list[str]] = field(default_factory=dict)
    host_status: dict[str, str] = field(default_factory=dict)
    nics: dict[str, list[Any]] = field(default_factory=dict)

    @classmethod
    def load(cls, request: Request, s: Session, servers: Sequence[m.Server]) -> Prefetched:
        ids = [sv.id for sv in servers]
        out = cls({i: [] for i in ids})
        for chunk in range(0, len(ids), 500):
            rows = s.execute(select(m.ServerTag.server_id, m.ServerTag.tag)
                             .where(m.ServerTag.server_id.in_(ids[chunk:chunk + 500]))
                             .order_by(m.ServerTag.tag))
            for server_id, tag in rows:
                out.tags[server_id].append(tag)
        settings = compute(request).settings
        for svc in s.scalars(select(m.Service).where(m.Service.binary == "nova-compute")):
            out.host_status[svc.host] = ("MAINTENANCE" if svc.disabled else "UP") \
                if scheduler.is_up(svc, settings) else "DOWN"
        out.nics = networking.nics_of(compute(request), ids)
        return out


def tags_of(s: Session, server_id: str) -> list[str]:
    return list(s.scalars(select(m.ServerTag.tag).where(m.ServerTag.server_id == server_id)
                          .order_by(m.ServerTag.tag)))


# Keys that show and list add through Nova's old extensions; update and rebuild answer
# without them until 2.75 made every response alike.
_EXTENSION_KEYS = ("OS-EXT-AZ:", "OS-EXT-STS:", "OS-SRV-USG:", "OS-EXT-SRV-ATTR:",
                   "config_drive", "key_name", "os-extended-volumes:", "host_status",
                   "security_groups")


def action_view(request: Request, s: Session, server: m.Server,
                rebuild: bool = False) -> dict[str, Any]:
    """The server in an update or rebuild response."""
    view = detail_view(request, s, server, show=at_least(request, "2.71"))
    if not at_least(request, "2.75"):
        view = {k: v for k, v in view.items() if not k.startswith(_EXTENSION_KEYS)}
        # ...and addresses without their OS-EXT-IPS type and MAC address.
        view["addresses"] = {net: [{"version": a["version"], "addr": a["addr"]}
                                   for a in entries]
                             for net, entries in view["addresses"].items()}
    if rebuild and at_least(request, "2.54"):
        view["key_name"] = server.key_name
    if rebuild and at_least(request, "2.57"):
        # The rebuild response names user data once, without the admin prefix.
        view.pop("OS-EXT-SRV-ATTR:user_data", None)
        view["user_data"] = server.user_data
    return view


def detail_view(request: Request, s: Session, server: m.Server, show: bool = False,
                pre: Prefetched | None = None) -> dict[str, Any]:
    ctx = context(request)
    admin = allowed(ctx, "servers:extended")
    status = states.server_status(server.vm_state, server.task_state)
    found = pre.nics.get(server.id, []) if pre is not None else \
        networking.nics_of(compute(request), [server.id])[server.id]
    nics = networking.ordered(found, server.extra.get("ports") or [])
    view: dict[str, Any] = {
        "id": server.id,
        "name": server.name,
        "status": status,
        "tenant_id": server.project_id,
        "user_id": server.user_id,
        "metadata": dict(server.metadata_),
        "hostId": host_id(server.project_id, server.host),
        "image": {"id": server.image_ref,
                  "links": link(request, f"/images/{server.image_ref}")[1:]}
        if server.image_ref else "",
        "flavor": _flavor(request, server),
        "created": iso(server.created_at),
        "updated": iso(server.updated_at),
        "addresses": networking.addresses(nics),
        "accessIPv4": server.access_ipv4 or "",
        "accessIPv6": server.access_ipv6 or "",
        "links": link(request, f"/servers/{server.id}"),
        "OS-DCF:diskConfig": "MANUAL",
        "progress": 0,
        "OS-EXT-AZ:availability_zone": server.availability_zone or "",
        "config_drive": "True" if server.config_drive else "",
        "key_name": server.key_name,
        "OS-SRV-USG:launched_at": usec(server.launched_at),
        "OS-SRV-USG:terminated_at": None,
        "OS-EXT-STS:task_state": server.task_state,
        "OS-EXT-STS:vm_state": server.vm_state,
        "OS-EXT-STS:power_state": server.power_state,
        "os-extended-volumes:volumes_attached": [],
    }
    # The groups of the server's ports, left out when they have none (as Nova does);
    # without a network service, the project's default group.
    sec_groups = networking.security_group_names(nics) if compute(request).network() \
        else [{"name": "default"}]
    if sec_groups:
        view["security_groups"] = sec_groups
    if admin:
        view["OS-EXT-SRV-ATTR:host"] = server.host
        view["OS-EXT-SRV-ATTR:hypervisor_hostname"] = server.node
        view["OS-EXT-SRV-ATTR:instance_name"] = f"haneul-{server.id}"
        if at_least(request, "2.3"):
            image = server.extra.get("image", {}).get("properties", {})
            view.update({
                "OS-EXT-SRV-ATTR:reservation_id": server.reservation_id,
                "OS-EXT-SRV-ATTR:launch_index": server.launch_index,
                "OS-EXT-SRV-ATTR:kernel_id": image.get("kernel_id", ""),
                "OS-EXT-SRV-ATTR:ramdisk_id": image.get("ramdisk_id", ""),
                "OS-EXT-SRV-ATTR:root_device_name": "/dev/vda",
                "OS-EXT-SRV-ATTR:user_data": server.user_data,
            })
    if at_least(request, "2.3") and (admin or at_least(request, "2.90")):
        view["OS-EXT-SRV-ATTR:hostname"] = server.hostname
    fault = _fault(ctx, server)
    if fault is not None and status in ("ERROR", "DELETED"):
        view["fault"] = fault
    if at_least(request, "2.9"):
        view["locked"] = server.locked
    if at_least(request, "2.16") and allowed(ctx, "servers:show:host_status"):
        view["host_status"] = host_status(s, request, server) if pre is None else \
            (pre.host_status.get(server.host, "UNKNOWN") if server.host else "")
    if at_least(request, "2.19"):
        view["description"] = server.description
    if at_least(request, "2.26"):
        view["tags"] = tags_of(s, server.id) if pre is None else pre.tags.get(server.id, [])
    if at_least(request, "2.63"):
        view["trusted_image_certificates"] = None
    if show and at_least(request, "2.71"):
        view["server_groups"] = groups.groups_of(s, server.id)
    if at_least(request, "2.73"):
        view["locked_reason"] = server.locked_reason
    if at_least(request, "2.96"):
        view["pinned_availability_zone"] = server.requested_zone
    return view
