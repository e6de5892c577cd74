"""Request attributes of each resource, Neutron's attribute-map way: which attributes a
POST or PUT may carry, their defaults, and how their values are checked and converted.

An unknown attribute is refused (400), as Neutron refuses it.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from runtime.network.errors import BadRequest

Convert = Callable[[str, Any], Any]
MISSING: Any = object()


def _invalid(attr: str, reason: str) -> BadRequest:
    return BadRequest(f"Invalid input for {attr}. Reason: {reason}.")


def string(max_len: int = 255) -> Convert:
    def conv(attr: str, v: Any) -> Any:
        if not isinstance(v, str):
            raise _invalid(attr, f"'{v}' is not a valid string")
        if len(v) > max_len:
            raise _invalid(attr, f"'{v}' exceeds maximum length of {max_len}")
        return v
    return conv


def nullable(inner: Convert) -> Convert:
    return lambda attr, v: None if v is None else inner(attr, v)


def boolean(attr: str, v: Any) -> bool:
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and v.lower() in ("true", "false", "1", "0"):
        return v.lower() in ("true", "1")
    if isinstance(v, int) and v in (0, 1):
        return bool(v)
    raise _invalid(attr, f"'{v}' cannot be converted to boolean")


def integer(low: int | None = None, high: int | None = None) -> Convert:
    def conv(attr: str, v: Any) -> int:
        if isinstance(v, bool):
            raise _invalid(attr, f"'{v}' is not an integer")
        try:
            n = int(v)
        except (TypeError, ValueError):
            raise _invalid(attr, f"'{v}' is not an integer") from None
        if isinstance(v, float) and v != n:
            raise _invalid(attr, f"'{v}' is not an integer")
        if low is not None and n < low:
            raise _invalid(attr, f"'{n}' is too small - must be at least '{low}'")
        if high is not None and n > high:
            raise _invalid(attr, f"'{n}' is too large - must be no larger than '{high}'")
        return n
    return conv


def uuid_(attr: str, v: Any) -> str:
    try:
        if not isinstance(v, str):
            raise ValueError
        uuid.UUID(v)
    except ValueError:
        raise _invalid(attr, f"'{v}' is not a valid UUID") from None
    return v


def one_of(*values: Any) -> Convert:
    def conv(attr: str, v: Any) -> Any:
        if v not in values:
            raise _invalid(attr, f"'{v}' is not in {list(values)}")
        return v
    return conv


def list_of(inner: Convert) -> Convert:
    def conv(attr: str, v: Any) -> list[Any]:
        if not isinstance(v, list):
            raise _invalid(attr, f"'{v}' is not a list")
        return [inner(attr, x) for x in v]
    return conv


def dict_(attr: str, v: Any) -> dict[str, Any]:
    if not isinstance(v, dict):
        raise _invalid(attr, f"'{v}' is not a dictionary")
    return v


def anything(_attr: str, v: Any) -> Any:
    return v


_IP_VERSION = one_of(4, 6)


def ip_version(attr: str, v: Any) -> int:
    return int(_IP_VERSION(attr, integer()(attr, v)))


def port_value(attr: str, v: Any) -> int | None:
    """A TCP/UDP port or ICMP type/code: 0-65535, said as Neutron says it."""
    if v is None:
        return None
    try:
        n = int(v)
    except (TypeError, ValueError):
        raise BadRequest(f"Invalid value for port {v}.") from None
    if isinstance(v, bool) or not 0 <= n <= 65535:
        raise BadRequest(f"Invalid value for port {v}.")
    return n


def protocol(attr: str, v: Any) -> Any:
    """A protocol name, or a number 0-255 (kept as the string Neutron stores)."""
    if v is None:
        return None
    if isinstance(v, int) and not isinstance(v, bool):
        v = str(v)
    if not isinstance(v, str):
        raise _invalid(attr, f"'{v}' is not a valid protocol")
    return v.lower()


HOSTNAME = re.compile(r"^[A-Za-z0-9._-]*$")


@dataclass(frozen=True)
class Attr:
    convert: Convert = anything
    post: bool = True
    put: bool = True
    default: Any = MISSING  # MISSING on a POST attribute: required
    admin_only: bool = False


def _std(**attrs: Attr) -> dict[str, Attr]:
    base = {"name": Attr(string(), default=""), "description": Attr(string(), default=""),
            "project_id": Attr(string(64), put=False, default=None),
            "tenant_id": Attr(string(64), put=False, default=None)}
    base.update(attrs)
    return base


ADDR_MODES = one_of(None, "slaac", "dhcpv6-stateful", "dhcpv6-stateless")

ATTRIBUTES: dict[str, dict[str, Attr]] = {
    "network": _std(
        admin_state_up=Attr(boolean, default=True),
        shared=Attr(boolean, default=False),
        mtu=Attr(integer(68), default=None),
        port_security_enabled=Attr(boolean, default=True),
        availability_zone_hints=Attr(list_of(string()), put=False, default=[]),
        dns_domain=Attr(string(255), default=""),
        **{"router:external": Attr(boolean, default=False),
           "provider:network_type": Attr(nullable(one_of("flat", "vxlan", "vlan", "local")),
                                         default=None),
           "provider:physical_network": Attr(nullable(string(64)), default=None),
           "provider:segmentation_id": Attr(nullable(integer(0)), default=None),
           "is_default": Attr(boolean, default=False)},
    ),
    "subnet": _std(
        network_id=Attr(uuid_, put=False),
        ip_version=Attr(ip_version, put=False),
        cidr=Attr(nullable(string(64)), put=False, default=None),
        prefixlen=Attr(integer(0, 128), put=False, default=None),
        subnetpool_id=Attr(nullable(string(64)), put=False, default=None),
        gateway_ip=Attr(nullable(string(64)), default=MISSING),
        allocation_pools=Attr(anything, default=None),
        dns_nameservers=Attr(list_of(string(64)), default=[]),
        host_routes=Attr(list_of(dict_), default=[]),
        enable_dhcp=Attr(boolean, default=True),
        ipv6_ra_mode=Attr(ADDR_MODES, put=False, default=None),
        ipv6_address_mode=Attr(ADDR_MODES, put=False, default=None),
        service_types=Attr(list_of(string()), default=[]),
        segment_id=Attr(nullable(uuid_), default=None),
        use_default_subnetpool=Attr(boolean, put=False, default=False),
    ),
    "subnetpool": _std(
        prefixes=Attr(list_of(string(64))),
        default_prefixlen=Attr(integer(0, 128), default=None),
        min_prefixlen=Attr(integer(0, 128), default=None),
        max_prefixlen=Attr(integer(0, 128), default=None),
        default_quota=Attr(nullable(integer(0)), default=None),
        shared=Attr(boolean, put=False, default=False),
        is_default=Attr(boolean, default=False),
        address_scope_id=Attr(nullable(string(64)), default=None),
    ),
    "port": _std(
        network_id=Attr(uuid_, put=False),
        admin_state_up=Attr(boolean, default=True),
        mac_address=Attr(string(32), default=None),
        fixed_ips=Attr(list_of(dict_), default=None),
        device_id=Attr(string(255), default=""),
        device_owner=Attr(string(255), default=""),
        security_groups=Attr(nullable(list_of(uuid_)), default=None),
        allowed_address_pairs=Attr(nullable(list_of(dict_)), default=[]),
        extra_dhcp_opts=Attr(nullable(list_of(dict_)), default=[]),
        port_security_enabled=Attr(nullable(boolean), default=None),
        **{"binding:host_id": Attr(string(255), default=""),
           "binding:vnic_type": Attr(one_of("normal", "direct", "macvtap", "baremetal",
                                            "direct-physical", "virtio-forwarder",
                                            "smart-nic", "remote-managed"),
                                     default="normal"),
           "binding:profile": Attr(nullable(dict_), default={}),
           "binding:vif_type": Attr(string(64), post=False, put=False),
           "binding:vif_details": Attr(dict_, post=False, put=False)},
    ),
    "router": _std(
        admin_state_up=Attr(boolean, default=True),
        external_gateway_info=Attr(nullable(dict_), default=None),
        routes=Attr(nullable(list_of(dict_)), post=False, default=[]),
        distributed=Attr(boolean, default=False),
        ha=Attr(boolean, default=False),
        availability_zone_hints=Attr(list_of(string()), put=False, default=[]),
    ),
    "floatingip": {
        "description": Attr(string(), default=""),
        "project_id": Attr(string(64), put=False, default=None),
        "tenant_id": Attr(string(64), put=False, default=None),
        "floating_network_id": Attr(uuid_, put=False),
        "floating_ip_address": Attr(nullable(string(64)), put=False, default=None),
        "subnet_id": Attr(nullable(uuid_), put=False, default=None),
        "port_id": Attr(nullable(uuid_), default=None),
        "fixed_ip_address": Attr(nullable(string(64)), default=None),
    },
    "security_group": _std(stateful=Attr(boolean, default=True)),
    "security_group_rule": {
        "description": Attr(string(), put=False, default=""),
        "project_id": Attr(string(64), put=False, default=None),
        "tenant_id": Attr(string(64), put=False, default=None),
        "security_group_id": Attr(uuid_, put=False),
        "direction": Attr(one_of("ingress", "egress"), put=False),
        "ethertype": Attr(one_of("IPv4", "IPv6"), put=False, default="IPv4"),
        "protocol": Attr(protocol, put=False, default=None),
        "port_range_min": Attr(port_value, put=False, default=None),
        "port_range_max": Attr(port_value, put=False, default=None),
        "remote_ip_prefix": Attr(nullable(string(64)), put=False, default=None),
        # Any id: one that names no group is a 404, as in Neutron.
        "remote_group_id": Attr(nullable(string(36)), put=False, default=None),
        "remote_address_group_id": Attr(nullable(uuid_), put=False, default=None),
    },
    "agent": {
        "admin_state_up": Attr(boolean, post=False),
        "description": Attr(nullable(string()), post=False),
    },
}


def validate(resource: str, body: Any, *, create: bool) -> dict[str, Any]:
    """The checked attributes of a POST (with defaults; required ones present) or a
    PUT (only what was sent)."""
    if not isinstance(body, Mapping):
        raise BadRequest("Body contains invalid data")
    spec = ATTRIBUTES[resource]
    unknown = sorted(k for k in body if k not in spec)
    if unknown:
        raise BadRequest(f"Unrecognized attribute(s) '{', '.join(unknown)}'")
    out: dict[str, Any] = {}
    for key, value in body.items():
        attr = spec[key]
        if not (attr.post if create else attr.put):
            verb = "POST" if create else "PUT"
            raise BadRequest(f"Attribute '{key}' not allowed in {verb}")
        out[key] = attr.convert(key, value)
    if create:
        for key, attr in spec.items():
            if key in out or not attr.post:
                continue
            if attr.default is MISSING:
                if key == "gateway_ip":
                    continue  # absent and null mean different things for a subnet
                raise BadRequest(f"Failed to parse request. Required attribute '{key}' not "
                                 "specified")
            default = attr.default
            out[key] = list(default) if isinstance(default, list) else (
                dict(default) if isinstance(default, dict) else default)
    return out
