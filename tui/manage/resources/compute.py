"""Compute resources: servers, flavors, key pairs, hypervisors, quotas."""

from __future__ import annotations

from typing import Any

from tui.manage.resources.base import (
    Action,
    Column,
    Conn,
    Field,
    Form,
    Resource,
    Row,
    Values,
    cmd,
    delete_action,
    opt,
    opts,
    row_label,
)


def addresses(row: Row) -> str:
    """`net=10.0.0.3, 2001:db8::3; other=…` as `openstack server list` prints them."""
    parts = []
    for net, addrs in sorted((row.get("addresses") or {}).items()):
        ips = ", ".join(str(a.get("addr")) for a in addrs or [] if isinstance(a, dict))
        parts.append(f"{net}={ips}")
    return "; ".join(parts)


def flavor_name(row: Row) -> str:
    flavor = row.get("flavor") or {}
    if not isinstance(flavor, dict):
        return str(flavor)
    return str(flavor.get("original_name") or flavor.get("name") or flavor.get("id") or "")


def image_ref(row: Row) -> str:
    image = row.get("image") or {}
    if isinstance(image, dict):
        return str(image.get("name") or image.get("id") or "")
    return str(image)


def _create_server(conn: Conn, _row: Row | None, v: Values) -> Any:
    kwargs: dict[str, Any] = {"name": v["name"], "image_id": v["image"],
                              "flavor_id": v["flavor"]}
    kwargs["networks"] = [{"uuid": v["network"]}] if v.get("network") else "none"
    if v.get("key"):
        kwargs["key_name"] = v.label("key")
    if v.get("secgroups"):
        kwargs["security_groups"] = [{"name": n} for n in v.label("secgroups")]
    return conn.compute.create_server(**kwargs)


def _create_server_cli(_row: Row | None, v: Values) -> str:
    net = ["--network", v.label("network")] if v.get("network") else ["--nic", "none"]
    return cmd("server", "create", "--image", v.label("image"), "--flavor", v.label("flavor"),
               *net, *opt("--key-name", v.label("key") if v.get("key") else None),
               *opts("--security-group", v.label("secgroups") if v.get("secgroups") else []),
               v["name"])


SERVER_FORM = Form("Create a server", (
    Field("name", "Name", required=True, placeholder="demo"),
    Field("image", "Image", "select", required=True, source="images",
          keep=lambda r: r.get("status") == "active"),
    Field("flavor", "Flavor", "select", required=True, source="flavors"),
    Field("network", "Network", "select", source="networks"),
    Field("key", "Key pair", "select", source="keypairs"),
    Field("secgroups", "Security groups", "multi", source="secgroups"),
))

SNAPSHOT_FORM = Form("Snapshot the server", (
    Field("name", "Image name", required=True, placeholder="snapshot"),
))


def _server_action(verb: str, method: str, *args: Any) -> tuple[Any, Any]:
    def run(conn: Conn, row: Row | None, _v: Values) -> Any:
        return getattr(conn.compute, method)((row or {})["id"], *args)

    def cli(row: Row | None, _v: Values) -> Any:
        return cmd("server", verb, row_label(row))

    return run, cli


def _status_is(*statuses: str) -> Any:
    return lambda row: str(row.get("status", "")).upper() in statuses


SERVERS = Resource(
    name="servers", title="Servers", service="compute", aliases=("server", "vm", "vms"),
    columns=(
        Column("Name", "name"),
        Column("Status", "status"),
        Column("Networks", addresses),
        Column("Image", image_ref),
        Column("Flavor", flavor_name),
        Column("ID", "id"),
    ),
    fetch=lambda conn: conn.compute.servers(details=True),
    actions=(
        Action("c", "create", "create a server (image, flavor, network, key, groups)",
               _create_server, _create_server_cli, form=SERVER_FORM, needs_row=False,
               confirm=False),
        delete_action("server", lambda conn, i: conn.compute.delete_server(i)),
        Action("r", "reboot", "reboot the server", *_server_action("reboot", "reboot_server",
                                                                  "SOFT")),
        Action("x", "stop", "stop the server", *_server_action("stop", "stop_server"),
               when=_status_is("ACTIVE")),
        Action("x", "start", "start the server", *_server_action("start", "start_server"),
               when=_status_is("SHUTOFF")),
        Action("p", "pause", "pause the server", *_server_action("pause", "pause_server"),
               when=_status_is("ACTIVE")),
        Action("p", "unpause", "unpause the server",
               *_server_action("unpause", "unpause_server"), when=_status_is("PAUSED")),
        Action("i", "snapshot", "snapshot the server to an image",
               lambda conn, row, v: conn.compute.create_server_image((row or {})["id"],
                                                                     v["name"]),
               lambda row, v: cmd("server", "image", "create", "--name", v["name"],
                                  row_label(row)),
               form=SNAPSHOT_FORM, confirm=False),
    ),
    extra={"console": True},
)

FLAVORS = Resource(
    name="flavors", title="Flavors", service="compute", aliases=("flavor",),
    columns=(
        Column("Name", "name"),
        Column("vCPUs", "vcpus"),
        Column("RAM (MB)", "ram"),
        Column("Disk (GB)", "disk"),
        Column("Public", "is_public"),
        Column("ID", "id"),
    ),
    fetch=lambda conn: conn.compute.flavors(details=True),
    actions=(delete_action("flavor", lambda conn, i: conn.compute.delete_flavor(i)),),
    status_key=None,
)

KEYPAIRS = Resource(
    name="keypairs", title="Key pairs", service="compute", aliases=("keypair", "keys"),
    columns=(
        Column("Name", "name"),
        Column("Type", "type"),
        Column("Fingerprint", "fingerprint"),
    ),
    fetch=lambda conn: conn.compute.keypairs(),
    actions=(delete_action("keypair", lambda conn, i: conn.compute.delete_keypair(i)),),
    status_key=None,
)

HYPERVISORS = Resource(
    name="hypervisors", title="Hypervisors", service="compute", aliases=("hypervisor",),
    columns=(
        Column("Hostname", "name"),
        Column("Type", "hypervisor_type"),
        Column("State", "state"),
        Column("Status", "status"),
        Column("vCPUs", "vcpus"),
        Column("RAM (MB)", "memory_size"),
        Column("ID", "id"),
    ),
    fetch=lambda conn: conn.compute.hypervisors(details=True),
)

_NOT_QUOTA = {"id", "name", "project_id", "location", "tenant_id", "usage", "reservation"}


def quota_rows(service: str, quota: Any) -> list[Row]:
    data = quota.to_dict(computed=False) if hasattr(quota, "to_dict") else dict(quota)
    rows = []
    for key, value in sorted(data.items()):
        if key in _NOT_QUOTA or value is None or isinstance(value, dict):
            continue
        rows.append({"id": f"{service}:{key}", "service": service, "name": key,
                     "limit": value})
    return rows


def _quotas(conn: Conn) -> list[Row]:
    project = conn.current_project_id
    rows = quota_rows("compute", conn.compute.get_quota_set(project))
    if conn.has_service("network"):
        rows += quota_rows("network", conn.network.get_quota(project))
    return rows


QUOTAS = Resource(
    name="quotas", title="Quotas (current project)", service="compute", aliases=("quota",),
    columns=(
        Column("Service", "service"),
        Column("Resource", "name"),
        Column("Limit", "limit"),
    ),
    fetch=_quotas,
    status_key=None,
)

RESOURCES = (SERVERS, FLAVORS, KEYPAIRS, HYPERVISORS, QUOTAS)
