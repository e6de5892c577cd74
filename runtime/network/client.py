"""The network service as other services call it in-process (compute plugging a
server's ports): plain data in and out, never ORM rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from runtime.common.context import Context
from runtime.network import schemas
from runtime.network.service import Network, ports


@dataclass(frozen=True)
class PortInfo:
    id: str
    network_id: str
    project_id: str
    mac_address: str
    fixed_ips: list[dict[str, str]]
    device_id: str
    device_owner: str
    host: str
    status: str
    security_groups: list[str]


def _info(view: dict[str, Any], host: str) -> PortInfo:
    return PortInfo(id=view["id"], network_id=view["network_id"],
                    project_id=view["project_id"], mac_address=view["mac_address"],
                    fixed_ips=view["fixed_ips"], device_id=view["device_id"],
                    device_owner=view["device_owner"], host=host, status=view["status"],
                    security_groups=view["security_groups"])


class NetworkClient:
    def __init__(self, svc: Network) -> None:
        self.svc = svc

    def create_port(self, ctx: Context, network_id: str, **attrs: Any) -> PortInfo:
        """A port made with the caller's rights, as POST /v2.0/ports would make it."""
        data = schemas.validate("port", {"network_id": network_id, **attrs}, create=True)
        with self.svc.write() as s:
            port = ports.create(self.svc, s, ctx, data)
            return _info(ports.views(s, ctx, [port])[0], port.binding_host_id)

    def ports_of_device(self, ctx: Context, device_id: str) -> list[PortInfo]:
        with self.svc.read() as s:
            found = [p for p in ports.visible(s, ctx) if p.device_id == device_id]
            views = ports.views(s, ctx, found)
            return [_info(v, p.binding_host_id) for v, p in zip(views, found, strict=True)]

    def bind(self, ctx: Context, port_id: str, *, device_id: str, device_owner: str,
             host: str) -> PortInfo:
        """Attach a port to a device on a host (the caller needs the binding right)."""
        data = schemas.validate("port", {"device_id": device_id, "device_owner": device_owner,
                                         "binding:host_id": host}, create=False)
        with self.svc.write() as s:
            port = ports.get(s, ctx, port_id)
            ports.update(self.svc, s, ctx, port, data)
            s.flush()
            return _info(ports.views(s, ctx, [port])[0], port.binding_host_id)

    def delete_port(self, ctx: Context, port_id: str) -> None:
        with self.svc.write() as s:
            ports.delete(s, ctx, ports.get(s, ctx, port_id))
