"""Fixed, deterministic rows (ids, times, addresses) for snapshot tests and benchmarks."""

from __future__ import annotations

from tui.manage.resources.base import Row
from tui.manage.source import StaticSource

STATUSES = ("ACTIVE", "BUILD", "ERROR", "SHUTOFF", "PAUSED")


def uid(kind: int, n: int) -> str:
    return f"{kind:08x}-0000-4000-8000-{n:012x}"


def servers(count: int = 6) -> list[Row]:
    rows = []
    for n in range(count):
        rows.append({
            "id": uid(1, n), "name": f"web-{n:04d}" if n % 3 else f"db-{n:04d}",
            "status": STATUSES[n % len(STATUSES)],
            "addresses": {"private": [{"addr": f"10.0.{n // 250}.{n % 250 + 2}",
                                       "version": 4}]},
            "image": {"id": uid(2, 0)}, "flavor": {"original_name": "m1.tiny"},
            "created_at": "2026-01-01T00:00:00Z", "key_name": "ops",
            "metadata": {}, "security_groups": [{"name": "default"}],
        })
    return rows


def rows(server_count: int = 6) -> dict[str, list[Row]]:
    return {
        "servers": servers(server_count),
        "images": [
            {"id": uid(2, 0), "name": "haneul-test", "status": "active",
             "visibility": "public", "disk_format": "qcow2", "size": 15_728_640},
            {"id": uid(2, 1), "name": "snapshot-1", "status": "queued",
             "visibility": "private", "disk_format": "qcow2", "size": None},
        ],
        "flavors": [
            {"id": str(n), "name": name, "vcpus": c, "ram": r, "disk": d, "is_public": True}
            for n, (name, c, r, d) in enumerate(
                [("m1.nano", 1, 128, 1), ("m1.tiny", 1, 512, 1), ("m1.small", 1, 2048, 20),
                 ("m1.medium", 2, 4096, 40)], start=1)
        ],
        "keypairs": [{"id": "ops", "name": "ops", "type": "ssh",
                      "fingerprint": "aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99"}],
        "networks": [
            {"id": uid(3, 0), "name": "public", "status": "ACTIVE", "is_shared": False,
             "is_router_external": True, "subnet_ids": [uid(4, 0)]},
            {"id": uid(3, 1), "name": "private", "status": "ACTIVE", "is_shared": False,
             "is_router_external": False, "subnet_ids": [uid(4, 1)]},
        ],
        "subnets": [
            {"id": uid(4, 0), "name": "public-subnet", "network_id": uid(3, 0),
             "cidr": "203.0.113.0/24", "gateway_ip": "203.0.113.1"},
            {"id": uid(4, 1), "name": "private-subnet", "network_id": uid(3, 1),
             "cidr": "10.0.0.0/24", "gateway_ip": "10.0.0.1"},
        ],
        "routers": [{"id": uid(5, 0), "name": "router1", "status": "ACTIVE",
                     "external_gateway_info": {"network_id": uid(3, 0)}}],
        "ports": [
            {"id": uid(6, 0), "name": "", "network_id": uid(3, 1), "status": "ACTIVE",
             "device_owner": "network:router_interface", "device_id": uid(5, 0),
             "fixed_ips": [{"ip_address": "10.0.0.1"}], "mac_address": "fa:16:3e:00:00:01"},
            {"id": uid(6, 1), "name": "", "network_id": uid(3, 1), "status": "ACTIVE",
             "device_owner": "compute:nova", "device_id": uid(1, 0),
             "fixed_ips": [{"ip_address": "10.0.0.2"}], "mac_address": "fa:16:3e:00:00:02"},
        ],
        "projects": [{"id": uid(7, 0), "name": "admin", "domain_id": "default",
                      "is_enabled": True, "description": "Bootstrap project"},
                     {"id": uid(7, 1), "name": "demo", "domain_id": "default",
                      "is_enabled": True, "description": ""}],
    }


def source(server_count: int = 6, services: set[str] | None = None) -> StaticSource:
    return StaticSource(rows(server_count), services=services, cloud="demo",
                        project="admin",
                        console_text="haneul-test login: instance-id=1 hostname=web\n")
