"""The controller's side of the compute agents: hosts register and heartbeat, fetch the
desired state of their servers, and report what they did and what they see.

Reports are idempotent: a task is completed only by a report naming the task and the
serial the agent was given, so a late or repeated report never completes a newer task.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from runtime.common.db import utcnow
from runtime.common.errors import BadRequest
from runtime.compute import models as m
from runtime.compute import states
from runtime.compute.service import (
    instance_actions,
    internal_services,
    lifecycle,
    networking,
    servers,
)
from runtime.compute.service.core import Compute, touch_host
from runtime.compute.states import TaskState, VmState


@dataclass(frozen=True)
class HostReport:
    host: str
    zone: str | None
    hypervisor_hostname: str
    hypervisor_type: str
    hypervisor_version: int
    vcpus: int
    memory_mb: int
    local_gb: int
    free_disk_gb: int
    host_ip: str | None
    cpu_info: dict[str, Any]


def register(comp: Compute, s: Session, r: HostReport) -> m.Service:
    """Create or refresh the host's service and hypervisor records (its heartbeat)."""
    now = utcnow()
    service = s.scalar(select(m.Service).where(m.Service.host == r.host,
                                               m.Service.binary == "nova-compute"))
    if service is None:
        service = m.Service(uuid=str(uuid.uuid4()), host=r.host, binary="nova-compute",
                            zone=r.zone or comp.settings.default_availability_zone,
                            disabled=False, forced_down=False, generation=1)
        s.add(service)
        s.flush()
    # The zone an agent names counts when its host first registers; afterwards zones
    # are the aggregates' business (os-aggregates), as in Nova.
    service.last_seen_at = now
    service.updated_at = now
    node = s.scalar(select(m.Node).where(m.Node.service_id == service.id))
    if node is None:
        node = m.Node(uuid=str(uuid.uuid4()), service_id=service.id, host=r.host,
                      hypervisor_hostname=r.hypervisor_hostname,
                      hypervisor_type=r.hypervisor_type)
        s.add(node)
    node.hypervisor_hostname = r.hypervisor_hostname
    node.hypervisor_type = r.hypervisor_type
    node.hypervisor_version = r.hypervisor_version
    node.vcpus = r.vcpus
    node.memory_mb = r.memory_mb
    node.local_gb = r.local_gb
    node.free_disk_gb = r.free_disk_gb
    node.host_ip = r.host_ip
    node.cpu_info = dict(r.cpu_info)
    node.updated_at = now
    s.flush()
    # The controller taking this heartbeat is the host's scheduler and conductor.
    internal_services.register(comp, s, now)
    return service


def nic_spec(nic: Any) -> dict[str, Any]:
    """One port as the agent plugs it and the guest's network_data.json shows it."""
    return {
        "port_id": nic.port_id, "network_id": nic.network_id, "mac_address": nic.mac_address,
        "mtu": nic.mtu, "vif_type": nic.vif_type, "status": nic.status,
        "fixed_ips": [{"ip_address": ip.ip_address, "subnet_id": ip.subnet_id}
                      for ip in nic.fixed_ips],
        "subnets": [{"id": x.id, "cidr": x.cidr, "ip_version": x.ip_version,
                     "gateway_ip": x.gateway_ip, "enable_dhcp": x.enable_dhcp,
                     "ipv6_address_mode": x.ipv6_address_mode,
                     "dns_nameservers": list(x.dns_nameservers),
                     "host_routes": [dict(r) for r in x.host_routes]} for x in nic.subnets],
    }


def spec(server: m.Server, nics: list[Any] | None = None,
         vif_plugging_timeout: int = 0) -> dict[str, Any]:
    """What the agent needs to converge one server."""
    ordered = networking.ordered(nics or [], server.extra.get("ports") or [])
    return {
        "nics": [nic_spec(n) for n in ordered],
        "vif_plugging_timeout": vif_plugging_timeout,
        "id": server.id,
        "name": server.name,
        "hostname": server.hostname,
        "project_id": server.project_id,
        "user_id": server.user_id,
        "vm_state": server.vm_state,
        "task_state": server.task_state,
        "task_serial": server.task_serial,
        "power_state": server.power_state,
        "desired": states.desired_power(server.vm_state, server.task_state),
        "flavor": server.flavor,
        "image": server.extra.get("image", {"id": server.image_ref}),
        "networks": server.extra.get("networks", "none"),
        "key_name": server.key_name,
        "key_data": server.key_data,
        "user_data": server.user_data,
        "config_drive": server.config_drive,
        "metadata": server.metadata_,
        "task_args": server.extra.get("task_args") or {},
        "availability_zone": server.availability_zone,
        "launch_index": server.launch_index,
        "reservation_id": server.reservation_id,
    }


def desired(comp: Compute, s: Session, host: str) -> list[dict[str, Any]]:
    rows = list(s.scalars(select(m.Server).where(m.Server.host == host)
                          .order_by(m.Server.id)))
    nics = networking.nics_of(comp, [r.id for r in rows])
    wait = vif_wait(comp, host) if rows else 0
    return [spec(r, nics.get(r.id), wait) for r in rows]


def vif_wait(comp: Compute, host: str) -> int:
    """How long a new guest on ``host`` waits for its ports to go ACTIVE: Nova's
    vif_plugging_timeout where a network agent wires that host's ports (nobody else
    would make them ACTIVE), else 0."""
    client = comp.network()
    timeout = comp.settings.vif_plugging_timeout
    return timeout if timeout and client is not None and client.plugs_ports_on(host) else 0


def port_statuses(comp: Compute, server_id: str) -> dict[str, str]:
    return {nic.port_id: nic.status
            for nic in networking.nics_of(comp, [server_id]).get(server_id, [])}


@dataclass(frozen=True)
class ServerReport:
    power_state: int
    task_state: str | None = None  # the task the agent finished (or failed)
    task_serial: int = 0
    error: str | None = None
    details: str | None = None
    deleted: bool = False
    console: dict[str, Any] | None = None  # where the serial console listens


def parse_report(data: Any) -> ServerReport:
    if not isinstance(data, dict):
        raise BadRequest("A report is a JSON object.")
    try:
        return ServerReport(power_state=int(data.get("power_state", 0)),
                            task_state=data.get("task_state"),
                            task_serial=int(data.get("task_serial", 0)),
                            error=data.get("error"), details=data.get("details"),
                            deleted=bool(data.get("deleted", False)),
                            console=_console(data.get("console")))
    except (TypeError, ValueError) as exc:
        raise BadRequest(f"Malformed report: {exc}") from None


def _console(raw: Any) -> dict[str, Any] | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or not isinstance(raw.get("host"), str):
        raise BadRequest("console is {host, port}")
    return {"host": raw["host"], "port": int(raw["port"])}


def apply_report(s: Session, host: str, server_id: str, r: ServerReport) -> bool:
    """Record what the agent saw or did; False when the host no longer owns the server
    (the agent then cleans it up)."""
    server = s.get(m.Server, server_id)
    if server is None or server.host != host:
        return False
    now = utcnow()
    if r.deleted:
        if server.task_state == TaskState.DELETING:
            instance_actions.finish(s, server.id, host)
            servers.remove(s, server)
            touch_host(s, host)
        return server.task_state == TaskState.DELETING
    changed = server.power_state != r.power_state
    server.power_state = r.power_state
    if r.console is not None and server.extra.get("console") != r.console:
        server.extra = {**server.extra, "console": r.console}
    current = r.task_state is not None and r.task_state == server.task_state \
        and r.task_serial == server.task_serial
    args = server.extra.get("task_args") or {}
    if current and r.error:
        assert r.task_state is not None
        if r.task_state in states.IMAGE_TASKS:
            # A failed snapshot leaves the server as it was, as in Nova.
            server.vm_state = args.get("old_vm_state", server.vm_state)
        else:
            server.vm_state = VmState.ERROR
            server.fault = servers.fault(500, r.error, r.details)
        lifecycle.finish(s, server, r.task_state, failed=True)
        server.task_state = None
        instance_actions.finish(s, server.id, host, error=r.error, traceback=r.details)
        changed = True
    elif current and r.task_state is not None:
        finished = states.complete(r.task_state, args.get("old_vm_state"))
        if finished is not None:
            if r.task_state == TaskState.SPAWNING:
                server.launched_at = now
            lifecycle.finish(s, server, r.task_state)
            server.vm_state = finished
            server.task_state = None
            server.fault = None
            instance_actions.finish(s, server.id, host)
            changed = True
    else:
        synced = states.synced_vm_state(server.vm_state, server.task_state, r.power_state)
        if synced is not None:
            server.vm_state = synced
            changed = True
    if changed:
        server.updated_at = now
        touch_host(s, host)
    return True


def append_console(s: Session, server_id: str, offset: int, length: int, text: str,
                   keep: int) -> int | None:
    """Append ``text`` (``length`` bytes of the log file read from ``offset``); the offset the
    controller has (for the agent to resend from), or None for an unknown server."""
    if s.get(m.Server, server_id) is None:
        return None
    log = s.get(m.ConsoleLog, server_id)
    if log is None:
        log = m.ConsoleLog(server_id=server_id, offset=0, text="")
        s.add(log)
    if offset == 0 and log.offset > 0:
        # The agent lost its place (it restarted): start the log afresh.
        log.offset, log.text = 0, ""
    if offset != log.offset:
        return log.offset
    combined = log.text + text
    log.text = combined[-keep:]
    log.offset = offset + length
    log.updated_at = utcnow()
    return log.offset


def console_text(s: Session, server_id: str) -> str:
    log = s.get(m.ConsoleLog, server_id)
    return log.text if log is not None else ""


def parse_host_report(host: str, data: Any) -> HostReport:
    if not isinstance(data, dict):
        raise BadRequest("A host report is a JSON object.")
    try:
        return HostReport(
            host=host, zone=data.get("zone") or None,
            hypervisor_hostname=str(data.get("hypervisor_hostname") or host),
            hypervisor_type=str(data.get("hypervisor_type", "QEMU")),
            hypervisor_version=int(data.get("hypervisor_version", 0)),
            vcpus=int(data["vcpus"]), memory_mb=int(data["memory_mb"]),
            local_gb=int(data["local_gb"]), free_disk_gb=int(data.get("free_disk_gb", 0)),
            host_ip=data.get("host_ip"), cpu_info=dict(data.get("cpu_info") or {}))
    except (KeyError, TypeError, ValueError) as exc:
        raise BadRequest(f"Malformed host report: {exc}") from None
