"""Request validation for the compute API, with Nova's 400 messages.

Nova validates with JSON schemas that refuse unknown properties in most bodies; the
checks here do the same, and turn what they accept into plain values and dataclasses.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from runtime.common.errors import BadRequest

_NAME = re.compile(r"^(?! )[^\x00-\x1f\x7f]*(?<! )$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?"
                   r"[0-9a-fA-F]{12}$")


def invalid(key: str, value: Any, reason: str) -> BadRequest:
    return BadRequest(f"Invalid input for field/attribute {key}. Value: {value}. {reason}")


def only(data: Mapping[str, Any], allowed: Iterable[str]) -> None:
    """Refuse properties the schema does not name, as Nova's additionalProperties."""
    extra = sorted(set(data) - set(allowed))
    if extra:
        listed = ", ".join(repr(k) for k in extra)
        verb = "was" if len(extra) == 1 else "were"
        raise BadRequest(f"Additional properties are not allowed ({listed} {verb} unexpected)")


def string(data: Mapping[str, Any], key: str, *, required: bool = False, min_len: int = 0,
           max_len: int = 255, nullable: bool = False, name_like: bool = False) -> str | None:
    if key not in data:
        if required:
            raise invalid(key, None, f"'{key}' is a required property")
        return None
    value = data[key]
    if value is None and nullable:
        return None
    if not isinstance(value, str):
        raise invalid(key, value, f"{value!r} is not of type 'string'")
    if len(value) < min_len:
        raise invalid(key, value, f"{value!r} is too short")
    if len(value) > max_len:
        raise invalid(key, value, f"{value!r} is too long")
    if name_like and not _NAME.match(value):
        raise invalid(key, value, f"{value!r} does not match the name pattern (no leading "
                      "or trailing spaces, no control characters)")
    return value


def integer(data: Mapping[str, Any], key: str, *, required: bool = False, minimum: int = 0,
            maximum: int = 2**31 - 1, default: int | None = None) -> int | None:
    """An integer, or a string of digits (Nova's flavor parameters accept both)."""
    if key not in data or data[key] is None:
        if required:
            raise invalid(key, None, f"'{key}' is a required property")
        return default
    value = data[key]
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid(key, value, f"{value!r} is not of type 'integer', 'string'")
    if value < minimum:
        raise invalid(key, value, f"{value} is less than the minimum of {minimum}")
    if value > maximum:
        raise invalid(key, value, f"{value} is greater than the maximum of {maximum}")
    return value


def boolean(data: Mapping[str, Any], key: str, default: bool | None = None) -> bool | None:
    if key not in data:
        return default
    value = data[key]
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0", "yes", "no",
                                                    "on", "off"):
        return value.lower() in ("true", "1", "yes", "on")
    raise invalid(key, value, f"{value!r} is not of type 'boolean', 'string'")


def ip_address(data: Mapping[str, Any], key: str, family: int) -> str | None:
    """accessIPv4/accessIPv6: a valid address of that family, normalised as Nova does
    (IPv6 compressed); empty or null clears it."""
    value = data.get(key)
    if value in (None, ""):
        return None
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        address = None
    if address is None or address.version != family:
        raise invalid(key, value, f"{value!r} is not a 'ipv{family}'")
    return str(address)


def uuid_like(value: str) -> bool:
    return bool(_UUID.match(value))


def metadata(value: Any, key: str = "metadata") -> dict[str, str]:
    """Server metadata: string keys of 1-255 characters, string values up to 255."""
    if not isinstance(value, dict):
        raise invalid(key, value, f"{value!r} is not of type 'object'")
    out: dict[str, str] = {}
    for k, v in value.items():
        if not isinstance(k, str) or not 1 <= len(k) <= 255:
            raise invalid(key, value, f"Metadata key {k!r} must be 1-255 characters")
        if not isinstance(v, str):
            raise invalid(key, value, f"{v!r} is not of type 'string'")
        if len(v) > 255:
            raise invalid(key, value, f"Metadata value of {k!r} is too long")
        out[k] = v
    return out


def check_tag(tag: Any) -> str:
    if not isinstance(tag, str) or not 1 <= len(tag) <= 60 or "/" in tag or "," in tag:
        raise invalid("tags", tag, "A tag is 1-60 characters without '/' or ','.")
    return tag


FLAVOR_FIELDS = ("name", "ram", "vcpus", "disk", "id", "swap", "OS-FLV-EXT-DATA:ephemeral",
                 "rxtx_factor", "os-flavor-access:is_public", "description")


def flavor_create(data: Mapping[str, Any], with_description: bool) -> dict[str, Any]:
    allowed = FLAVOR_FIELDS if with_description else FLAVOR_FIELDS[:-1]
    only(data, allowed)
    flavor_id = data.get("id")
    if flavor_id is not None and not isinstance(flavor_id, str | int):
        raise invalid("id", flavor_id, "must be a string")
    rxtx = data.get("rxtx_factor", 1.0)
    if isinstance(rxtx, bool) or not isinstance(rxtx, int | float) or not 0 < rxtx <= 3.4e38:
        raise invalid("rxtx_factor", rxtx, "must be a number greater than 0")
    return {
        "name": string(data, "name", required=True, min_len=1, name_like=True),
        "memory_mb": integer(data, "ram", required=True, minimum=1),
        "vcpus": integer(data, "vcpus", required=True, minimum=1),
        "root_gb": integer(data, "disk", required=True, minimum=0),
        "id": None if flavor_id is None else str(flavor_id),
        "swap": integer(data, "swap", default=0),
        "ephemeral_gb": integer(data, "OS-FLV-EXT-DATA:ephemeral", default=0),
        "rxtx_factor": float(rxtx),
        "is_public": boolean(data, "os-flavor-access:is_public", True),
        "description": string(data, "description", max_len=65535, nullable=True),
    }


@dataclass(frozen=True)
class NicRequest:
    """One entry of a server's ``networks``: a network (maybe with a fixed IP), or a
    port that already exists."""

    network_id: str | None = None
    port_id: str | None = None
    fixed_ip: str | None = None
    tag: str | None = None


def nic_request(entry: Any, version_at_least: Any) -> NicRequest:
    """Nova's checks and messages for one ``networks`` entry."""
    if not isinstance(entry, dict):
        raise invalid("networks", entry, f"{entry!r} is not of type 'object'")
    only(entry, ("uuid", "port", "fixed_ip", "tag") if version_at_least("2.32")
         else ("uuid", "port", "fixed_ip"))
    fixed = entry.get("fixed_ip")
    if fixed is not None:
        try:
            fixed = str(ipaddress.ip_address(fixed))
        except ValueError:
            raise invalid("networks/fixed_ip", fixed, f"{fixed!r} is not a 'ipv4'") from None
    port = entry.get("port")
    if port is not None and (not isinstance(port, str) or not uuid_like(port)):
        raise invalid("networks/port", port, f"{port!r} is not a 'uuid'")
    tag = entry.get("tag")
    if port:
        if fixed is not None:
            raise BadRequest(f"Specified Fixed IP '{fixed}' cannot be used with port "
                             f"'{port}': the two cannot be specified together.")
        return NicRequest(port_id=port, tag=tag)
    if "uuid" not in entry:
        raise BadRequest("Bad network format: missing 'uuid'")
    network = entry["uuid"]
    if not isinstance(network, str) or not uuid_like(network):
        raise BadRequest(f"Bad networks format: network uuid is not in proper format "
                         f"({network})")
    return NicRequest(network_id=network, fixed_ip=fixed, tag=tag)


def server_networks(data: Mapping[str, Any],
                    version_at_least: Any) -> str | list[NicRequest] | None:
    """The ``networks`` of a server create: 2.37 made it required and added the
    "auto" and "none" words; before, leaving it out means "auto"."""
    if "networks" not in data:
        if version_at_least("2.37"):
            raise invalid("networks", None, "'networks' is a required property")
        return None
    raw = data["networks"]
    if raw in ("auto", "none"):
        return str(raw)
    if not isinstance(raw, list):
        raise invalid("networks", raw, "must be 'auto', 'none' or a list")
    return [nic_request(entry, version_at_least) for entry in raw]


def security_group_names(raw: Any) -> list[str] | None:
    """``security_groups``: ``[{"name": ...}]``; repeated names count once."""
    if raw is None:
        return None
    if not isinstance(raw, list):
        raise invalid("security_groups", raw, f"{raw!r} is not of type 'array'")
    names: list[str] = []
    for item in raw:
        if not isinstance(item, dict):
            raise invalid("security_groups", item, f"{item!r} is not of type 'object'")
        only(item, ("name",))
        name = string(item, "name", required=True, min_len=1)
        assert name is not None
        if name not in names:
            names.append(name)
    return names


@dataclass
class ServerRequest:
    """A validated server create request (names and ids, not yet looked up)."""

    name: str
    image_ref: str
    flavor_ref: str
    key_name: str | None = None
    user_data: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    config_drive: bool = False
    availability_zone: str | None = None
    # "auto", "none", a list of NicRequest, or None when not given (before 2.37).
    networks: str | list[NicRequest] | None = None
    # Security group names (or ids); None when not given: the project's default.
    security_groups: list[str] | None = None
    description: str | None = None
    min_count: int = 1
    max_count: int = 1
    tags: list[str] = field(default_factory=list)
    group: str | None = None
    hostname: str | None = None
    access_ipv4: str | None = None
    access_ipv6: str | None = None


SERVER_FIELDS = {"name", "imageRef", "flavorRef", "key_name", "user_data", "metadata",
                 "config_drive", "availability_zone", "networks", "description",
                 "min_count", "max_count", "return_reservation_id", "security_groups",
                 "tags", "hostname", "accessIPv4", "accessIPv6", "adminPass",
                 "OS-DCF:diskConfig", "block_device_mapping_v2", "personality",
                 "trusted_image_certificates", "host", "hypervisor_hostname"}


def server_create(body: Mapping[str, Any], version_at_least: Any) -> ServerRequest:
    """``version_at_least("2.37")`` tells which rules of which microversion apply."""
    only(body, {"server", "os:scheduler_hints", "OS-SCH-HNT:scheduler_hints"})
    data = body.get("server")
    if not isinstance(data, dict):
        raise invalid("server", data, "'server' is a required property")
    only(data, SERVER_FIELDS)
    if "personality" in data and version_at_least("2.57"):
        raise BadRequest("Additional properties are not allowed ('personality' was unexpected)")
    name = string(data, "name", required=True, min_len=1, name_like=True)
    assert name is not None
    image_ref = data.get("imageRef", "")
    if not isinstance(image_ref, str):
        raise invalid("imageRef", image_ref, "is not of type 'string'")
    flavor_ref = data.get("flavorRef")
    if isinstance(flavor_ref, int) and not isinstance(flavor_ref, bool):
        flavor_ref = str(flavor_ref)
    if not isinstance(flavor_ref, str) or not flavor_ref:
        raise invalid("flavorRef", flavor_ref, "'flavorRef' is a required property")
    user_data = string(data, "user_data", max_len=65535, nullable=True)
    if user_data is not None:
        try:
            base64.b64decode(user_data, validate=True)
        except (binascii.Error, ValueError):
            raise invalid("user_data", user_data, "User data needs to be valid base 64.")\
                from None
    networks = server_networks(data, version_at_least)
    groups = security_group_names(data.get("security_groups"))
    min_count = integer(data, "min_count", minimum=1, default=1) or 1
    max_count = integer(data, "max_count", minimum=1, default=min_count) or min_count
    if min_count > max_count:
        raise BadRequest("min_count must be <= max_count")
    hints = body.get("os:scheduler_hints") or body.get("OS-SCH-HNT:scheduler_hints") or {}
    group = hints.get("group") if isinstance(hints, dict) else None
    tags = data.get("tags", [])
    if not isinstance(tags, list) or len(tags) > 50:
        raise invalid("tags", tags, "must be a list of at most 50 tags")
    config_drive = data.get("config_drive", False)
    return ServerRequest(
        name=name, image_ref=image_ref, flavor_ref=flavor_ref,
        key_name=string(data, "key_name", nullable=True),
        user_data=user_data,
        metadata=metadata(data.get("metadata", {})),
        config_drive=config_drive not in (False, None, "", "false", "False"),
        availability_zone=string(data, "availability_zone", nullable=True),
        networks=networks,
        security_groups=groups,
        description=string(data, "description", max_len=255, nullable=True),
        min_count=min_count, max_count=max_count,
        tags=[check_tag(t) for t in tags],
        group=group if isinstance(group, str) else None,
        hostname=string(data, "hostname", nullable=True),
        access_ipv4=ip_address(data, "accessIPv4", 4),
        access_ipv6=ip_address(data, "accessIPv6", 6),
    )
