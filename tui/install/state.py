"""The install wizard's answers, as plain data, and the inventory they make.

Nothing here knows about Textual: every step of the wizard reads and writes a
`WizardState`, and `to_inventory()` turns it into the same YAML inventory that
`haneul deploy -i FILE` reads (inventory/README.md), so an install made in the TUI can
be repeated unattended. `from_inventory()` goes the other way, for an existing file;
variables the wizard does not edit are carried through unchanged.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from installer.inventory import Inventory

ROLES = ("control", "network", "compute", "storage")
# The services a control host can serve; the playbooks deploy those they know of.
SERVICES = ("identity", "image", "compute", "network", "block_storage", "object_store")
DEFAULT_SERVICES = ("identity", "image", "compute")
AIO_HOST = "aio"
Mode = Literal["aio", "multi"]

# The wizard's own variables (see inventory/README.md for the rest). Networks and
# storage are new: the playbooks read them once the network and storage roles land.
NETWORK_VARS = {
    "management_interface": "haneul_network_management_interface",
    "management_cidr": "haneul_network_management_cidr",
    "tunnel_interface": "haneul_network_tunnel_interface",
    "tunnel_cidr": "haneul_network_tunnel_cidr",
    "external_interface": "haneul_network_external_interface",
    "external_cidr": "haneul_network_external_cidr",
    "floating_start": "haneul_network_floating_start",
    "floating_end": "haneul_network_floating_end",
}
STORAGE_KIND_VAR = "haneul_storage_backend"  # "files" or "devices"
STORAGE_DEVICES_VAR = "haneul_storage_devices"  # block devices, for "devices"
STORAGE_SIZE_VAR = "haneul_storage_file_size_gb"  # size of the backing file, for "files"
_MANAGED_HOST_VARS = {"ansible_host", "ansible_user", "ansible_port",
                      "ansible_ssh_private_key_file", "ansible_connection",
                      STORAGE_KIND_VAR, STORAGE_DEVICES_VAR, STORAGE_SIZE_VAR}
_MANAGED_VARS = {"haneul_enabled_services", "haneul_api_bind", *NETWORK_VARS.values()}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_INTERFACE = re.compile(r"^[A-Za-z0-9_.:@-]{1,15}$")


@dataclass
class Host:
    name: str
    address: str
    user: str = "root"
    port: int = 22
    key_file: str = ""
    roles: list[str] = field(default_factory=list)
    # The last SSH test: "" not tested, "ok", or what went wrong. Not written out.
    ssh: str = ""
    # Variables from a loaded inventory that the wizard does not edit.
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Networks:
    management_interface: str = ""
    management_cidr: str = ""
    tunnel_interface: str = ""
    tunnel_cidr: str = ""
    external_interface: str = ""
    external_cidr: str = ""
    floating_start: str = ""
    floating_end: str = ""


@dataclass
class Storage:
    kind: Literal["files", "devices"] = "files"
    devices: list[str] = field(default_factory=list)
    size_gb: int = 20


def default_inventory_path() -> Path:
    return Path.home() / ".config" / "haneul" / "inventories" / "haneul.yml"


@dataclass
class WizardState:
    mode: Mode = "aio"
    hosts: list[Host] = field(default_factory=list)
    networks: Networks = field(default_factory=Networks)
    storage: dict[str, Storage] = field(default_factory=dict)  # storage host -> storage
    services: list[str] = field(default_factory=lambda: list(DEFAULT_SERVICES))
    inventory_path: Path = field(default_factory=default_inventory_path)
    # all.vars from a loaded inventory that the wizard does not edit.
    extra_vars: dict[str, Any] = field(default_factory=dict)

    # -- the shape of the cloud ------------------------------------------------------

    def set_mode(self, mode: Mode) -> None:
        self.mode = mode
        if mode == "aio":
            self.hosts = [aio_host()]
        elif any(h.name == AIO_HOST and h.address == "127.0.0.1" for h in self.hosts):
            self.hosts = []  # the local host is not one of "several hosts"
        self.prune_storage()

    def host(self, name: str) -> Host | None:
        return next((h for h in self.hosts if h.name == name), None)

    def storage_hosts(self) -> list[Host]:
        return [h for h in self.hosts if "storage" in h.roles]

    def prune_storage(self) -> None:
        """Storage settings follow the storage role: new hosts get the defaults."""
        names = {h.name for h in self.storage_hosts()}
        self.storage = {n: s for n, s in self.storage.items() if n in names}
        for name in sorted(names - set(self.storage)):
            self.storage[name] = Storage()

    def control_address(self) -> str:
        control = next((h for h in self.hosts if "control" in h.roles), None)
        return control.address if control else "127.0.0.1"

    def public_url(self) -> str:
        if "haneul_public_url" in self.extra_vars:
            return str(self.extra_vars["haneul_public_url"])
        port = self.extra_vars.get("haneul_api_port", 5000)
        return f"http://{self.control_address()}:{port}"

    def cloud_name(self) -> str:
        return str(self.extra_vars.get("haneul_cloud_name", "haneul"))

    def clouds_yaml(self) -> str:
        return str(self.extra_vars.get("haneul_clouds_yaml",
                                       "~/.config/openstack/clouds.yaml"))

    # -- checks, one list per wizard step ------------------------------------------

    def host_problems(self) -> list[str]:
        problems: list[str] = []
        if not self.hosts:
            problems.append("add at least one host")
        seen: dict[str, str] = {}
        for host in self.hosts:
            if not _NAME.match(host.name):
                problems.append(f"host name {host.name!r}: use letters, digits, '.', '-', '_'")
            if not host.address:
                problems.append(f"host {host.name}: give its address")
            if host.address in seen and host.address != "127.0.0.1":
                problems.append(f"hosts {seen[host.address]} and {host.name} have the "
                                f"same address {host.address}")
            seen.setdefault(host.address, host.name)
        names = [h.name for h in self.hosts]
        for name in sorted({n for n in names if names.count(n) > 1}):
            problems.append(f"two hosts are named {name}")
        return problems

    def role_problems(self) -> list[str]:
        problems: list[str] = []
        controls = [h.name for h in self.hosts if "control" in h.roles]
        if len(controls) != 1:
            problems.append("exactly one host must have the control role "
                            f"(now: {', '.join(controls) or 'none'})")
        if not any("compute" in h.roles for h in self.hosts):
            problems.append("give at least one host the compute role")
        problems += [f"host {h.name} has no role" for h in self.hosts if not h.roles]
        return problems

    def network_problems(self) -> list[str]:
        n, problems = self.networks, []
        nets: dict[str, ipaddress.IPv4Network | ipaddress.IPv6Network] = {}
        for which in ("management", "tunnel", "external"):
            iface = getattr(n, f"{which}_interface")
            if iface and not _INTERFACE.match(iface):
                problems.append(f"{which} interface {iface!r} is not an interface name")
            cidr = getattr(n, f"{which}_cidr")
            if cidr:
                try:
                    nets[which] = ipaddress.ip_network(cidr, strict=False)
                except ValueError:
                    problems.append(f"{which} CIDR {cidr!r} is not a network (e.g. 10.0.0.0/24)")
        if bool(n.floating_start) != bool(n.floating_end):
            problems.append("give both ends of the floating IP range, or neither")
        elif n.floating_start:
            try:
                start, end = (ipaddress.ip_address(n.floating_start),
                              ipaddress.ip_address(n.floating_end))
            except ValueError:
                problems.append("the floating IP range needs two addresses")
            else:
                external = nets.get("external")
                if external is None:
                    problems.append("a floating IP range needs the external CIDR")
                elif start not in external or end not in external:
                    problems.append(f"the floating IP range must lie in {external}")
                elif int(start) > int(end):
                    problems.append("the floating IP range ends before it starts")
        return problems

    def storage_problems(self) -> list[str]:
        problems: list[str] = []
        for name, store in sorted(self.storage.items()):
            if store.kind == "devices":
                if not store.devices:
                    problems.append(f"{name}: list its block devices (e.g. /dev/sdb)")
                problems += [f"{name}: {dev!r} is not a device path (/dev/…)"
                             for dev in store.devices if not dev.startswith("/dev/")]
            elif store.size_gb < 1:
                problems.append(f"{name}: the storage file needs at least 1 GB")
        return problems

    def service_problems(self) -> list[str]:
        problems = []
        if "identity" not in self.services:
            problems.append("identity is required: every other service authenticates there")
        if "compute" in self.services and "image" not in self.services:
            problems.append("compute needs the image service to boot servers")
        return problems

    def problems(self) -> list[str]:
        return (self.host_problems() + self.role_problems() + self.network_problems()
                + self.storage_problems() + self.service_problems())

    # -- the inventory ---------------------------------------------------------------

    def to_inventory(self) -> dict[str, Any]:
        variables: dict[str, Any] = dict(self.extra_vars)
        variables["haneul_api_bind"] = "127.0.0.1" if self.mode == "aio" else \
            self.extra_vars.get("haneul_api_bind", "0.0.0.0")
        variables["haneul_enabled_services"] = [s for s in SERVICES if s in self.services]
        for attr, var in NETWORK_VARS.items():
            value = getattr(self.networks, attr)
            if value:
                variables[var] = value
            else:
                variables.pop(var, None)
        hosts: dict[str, dict[str, Any]] = {}
        for host in self.hosts:
            hvars = dict(host.extra)
            if self.mode == "aio":  # one host, reached without SSH
                hvars.setdefault("ansible_python_interpreter", "{{ ansible_playbook_python }}")
                hvars |= {"ansible_connection": "local", "ansible_host": "127.0.0.1"}
            else:
                hvars["ansible_host"] = host.address
                hvars["ansible_user"] = host.user or "root"
                if host.port != 22:
                    hvars["ansible_port"] = host.port
                if host.key_file:
                    hvars["ansible_ssh_private_key_file"] = host.key_file
            store = self.storage.get(host.name)
            if store is not None and "storage" in host.roles:
                hvars[STORAGE_KIND_VAR] = store.kind
                if store.kind == "devices":
                    hvars[STORAGE_DEVICES_VAR] = list(store.devices)
                else:
                    hvars[STORAGE_SIZE_VAR] = store.size_gb
            hosts[host.name] = hvars
        children = {role: {"hosts": {h.name: None for h in self.hosts if role in h.roles}}
                    for role in ROLES if any(role in h.roles for h in self.hosts)}
        return {"all": {"vars": variables, "hosts": hosts, "children": children}}

    def to_yaml(self) -> str:
        header = (f"# Written by the Haneul installer. Deploy it again, unattended, with:\n"
                  f"#   haneul deploy -i {self.inventory_path}\n")
        body = yaml.dump(self.to_inventory(), Dumper=_Dumper, sort_keys=False,
                         default_flow_style=False)
        return header + body


class _Dumper(yaml.SafeDumper):
    """Group members read `host:` (no `null`), as in inventory/*.yml."""


_Dumper.add_representer(type(None), lambda d, _v: d.represent_scalar("tag:yaml.org,2002:null",
                                                                     ""))


def aio_host() -> Host:
    return Host(name=AIO_HOST, address="127.0.0.1", roles=list(ROLES), ssh="ok")


def all_in_one() -> WizardState:
    state = WizardState(mode="aio", hosts=[aio_host()])
    state.prune_storage()
    return state


def from_inventory(inv: Inventory) -> WizardState:
    """The wizard's view of an existing (already parsed) inventory."""
    local = [h for h, v in inv.hosts.items() if v.get("ansible_connection") == "local"]
    mode: Mode = "aio" if len(inv.hosts) == 1 and local else "multi"
    state = WizardState(mode=mode, inventory_path=inv.path)
    variables = dict(inv.variables)
    state.services = [str(s) for s in variables.get("haneul_enabled_services")
                      or DEFAULT_SERVICES]
    for attr, var in NETWORK_VARS.items():
        setattr(state.networks, attr, str(variables.get(var) or ""))
    state.extra_vars = {k: v for k, v in variables.items() if k not in _MANAGED_VARS}
    default_user = str(variables.get("ansible_user", "root"))
    for name, hvars in inv.hosts.items():
        host = Host(name=name, address=inv.address(name),
                    user=str(hvars.get("ansible_user", default_user)),
                    port=int(hvars.get("ansible_port", 22)),
                    key_file=str(hvars.get("ansible_ssh_private_key_file", "")),
                    roles=[r for r in inv.roles_of(name) if r in ROLES],
                    ssh="ok" if name in local else "",
                    extra={k: v for k, v in hvars.items() if k not in _MANAGED_HOST_VARS})
        state.hosts.append(host)
        if "storage" in host.roles:
            devices = hvars.get(STORAGE_DEVICES_VAR) or []
            kind: Literal["files", "devices"] = "devices" if \
                hvars.get(STORAGE_KIND_VAR) == "devices" else "files"
            state.storage[name] = Storage(kind=kind, devices=[str(d) for d in devices],
                                          size_gb=int(hvars.get(STORAGE_SIZE_VAR, 20)))
    if mode == "aio":
        state.hosts[0].roles = list(ROLES)
    state.prune_storage()
    return state
