"""Request bodies of the image API, checked as Glance's JSON schemas check them.

Glance's image schema allows any extra property (a string); the base attributes have
fixed types, some are read-only (403 when set) and the ``os_glance_`` namespace is
reserved (403). Errors are ValueError (400) or :class:`ReadOnly` / :class:`Reserved`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from runtime.common.errors import BadRequest, Forbidden
from runtime.image.formats import CONTAINER_FORMATS, DISK_FORMATS

VISIBILITIES = ("public", "private", "shared", "community")
MEMBER_STATUSES = ("pending", "accepted", "rejected")
IMPORT_METHODS = ("glance-direct", "web-download", "glance-download", "copy-image")

# Attributes a user may set, with their checks.
BASE_ATTRIBUTES = frozenset({"name", "visibility", "protected", "os_hidden", "owner",
                             "container_format", "disk_format", "min_ram", "min_disk"})
READ_ONLY = frozenset({"status", "created_at", "updated_at", "checksum", "size",
                       "virtual_size", "os_hash_algo", "os_hash_value", "direct_url", "self",
                       "file", "schema", "stores", "locations"})
RESERVED = frozenset({"deleted", "deleted_at", "location"})
RESERVED_PREFIX = "os_glance"
MAX_PROPERTY_VALUE = 65535


def is_reserved(name: str) -> bool:
    return name in RESERVED or name.startswith(RESERVED_PREFIX)


def _string(name: str, value: Any, nullable: bool, max_length: int = 255) -> str | None:
    if value is None and nullable:
        return None
    if not isinstance(value, str):
        raise ValueError(f"Invalid value for '{name}': {value!r} is not a string")
    if len(value) > max_length:
        raise ValueError(f"Invalid value for '{name}': longer than {max_length} characters")
    return value


def _enum(name: str, value: Any, choices: tuple[str, ...], nullable: bool) -> str | None:
    if value is None and nullable:
        return None
    if value not in choices:
        raise ValueError(f"Invalid value for '{name}': {value!r} is not one of "
                         f"{', '.join(choices)}")
    return str(value)


def _bool(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"Invalid value for '{name}': {value!r} is not a boolean")
    return value


def _non_negative(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"Invalid value for '{name}': {value!r} is not a non-negative integer")
    return value


def check_tags(value: Any) -> list[str]:
    if not isinstance(value, list):
        raise ValueError("Invalid value for 'tags': a list of strings is expected")
    tags = []
    for tag in value:
        checked = _string("tags", tag, nullable=False)
        assert checked is not None
        tags.append(checked)
    return list(dict.fromkeys(tags))


def check_base(name: str, value: Any) -> Any:
    """The checked value of base attribute ``name`` (ValueError when it is wrong)."""
    if name in ("name", "owner"):
        return _string(name, value, nullable=True)
    if name == "visibility":
        return _enum(name, value, VISIBILITIES, nullable=False)
    if name in ("protected", "os_hidden"):
        return _bool(name, value)
    if name == "disk_format":
        return _enum(name, value, DISK_FORMATS, nullable=True)
    if name == "container_format":
        return _enum(name, value, CONTAINER_FORMATS, nullable=True)
    if name in ("min_ram", "min_disk"):
        return _non_negative(name, value)
    if name == "tags":
        return check_tags(value)
    raise ValueError(f"Unknown attribute {name}")


def check_property(name: str, value: Any) -> str:
    if len(name) > 255:
        raise BadRequest("Property names are at most 255 characters long.")
    if not isinstance(value, str):
        raise BadRequest(f"Provided object does not match schema 'image': {value!r} is not of "
                         f"type 'string' (property {name})")
    if len(value) > MAX_PROPERTY_VALUE:
        raise BadRequest(f"Property {name} is longer than {MAX_PROPERTY_VALUE} characters.")
    return value


@dataclass
class CreateData:
    base: dict[str, Any] = field(default_factory=dict)
    properties: dict[str, str] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)


def image_create(body: Any) -> CreateData:
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object.")
    data = CreateData()
    for name, value in body.items():
        if name in READ_ONLY:
            raise Forbidden(f"Attribute '{name}' is read-only.")
        if is_reserved(name):
            raise Forbidden(f"Attribute '{name}' is reserved.")
        try:
            if name == "id":
                data.base["id"] = str(uuid.UUID(str(value)))
            elif name == "tags":
                data.tags = check_tags(value)
            elif name in BASE_ATTRIBUTES:
                data.base[name] = check_base(name, value)
            else:
                data.properties[name] = check_property(name, value)
        except ValueError as exc:
            raise BadRequest(f"Provided object does not match schema 'image': {exc}") from None
    return data


@dataclass(frozen=True)
class PatchOp:
    op: str
    name: str
    value: Any


def _pointer(path: Any) -> str:
    if not isinstance(path, str) or not path.startswith("/") or path == "/":
        raise BadRequest(f"Invalid JSON pointer for this resource: '{path}'")
    parts = path[1:].split("/")
    if len(parts) != 1:
        raise BadRequest(f"Invalid JSON pointer for this resource: '{path}'")
    return parts[0].replace("~1", "/").replace("~0", "~")


def patch_ops(body: Any) -> list[PatchOp]:
    """The operations of an ``application/openstack-images-v2.1-json-patch`` body."""
    if not isinstance(body, list):
        raise BadRequest("Request body must be a JSON array of operation objects.")
    ops = []
    for item in body:
        if not isinstance(item, dict):
            raise BadRequest("Operations must be JSON objects.")
        op = item.get("op")
        path = item.get("path")
        if op is None:
            # The v2.0 media type's draft form: {"replace": "/name", "value": ...}.
            named = [k for k in ("add", "replace", "remove") if k in item]
            if len(named) == 1:
                op, path = named[0], item[named[0]]
        if op not in ("add", "replace", "remove"):
            raise BadRequest(f"Invalid operation: `{op}`: it must be one of add, remove, "
                             "replace.")
        if op != "remove" and "value" not in item:
            raise BadRequest(f"Operation \"{op}\" requires a member named \"value\".")
        ops.append(PatchOp(op, _pointer(path), item.get("value")))
    return ops


def member_create(body: Any) -> str:
    if not isinstance(body, dict) or not isinstance(body.get("member"), str) \
            or not body["member"] or set(body) - {"member"}:
        raise BadRequest("Member to be added not specified")
    if len(body["member"]) > 255:
        raise BadRequest("Member id is at most 255 characters long.")
    return str(body["member"])


def member_status(body: Any) -> str:
    if not isinstance(body, dict) or "status" not in body:
        raise BadRequest("Status not specified")
    status = body["status"]
    if status not in MEMBER_STATUSES:
        raise BadRequest(f"Invalid status: {status}")
    return str(status)


@dataclass(frozen=True)
class ImportRequest:
    method: str
    params: dict[str, Any]
    stores: list[str] | None
    all_stores: bool
    all_stores_must_succeed: bool


def import_request(body: Any, headers_stores: str | None) -> ImportRequest:
    if not isinstance(body, dict) or not isinstance(body.get("method"), dict):
        raise BadRequest("Import request requires a 'method' object.")
    method = body["method"]
    name = method.get("name")
    if name not in IMPORT_METHODS:
        raise BadRequest(f"Import method {name} is not valid.")
    stores = body.get("stores")
    if stores is None and headers_stores:
        stores = [x.strip() for x in headers_stores.split(",") if x.strip()]
    if stores is not None and (not isinstance(stores, list)
                               or not all(isinstance(x, str) for x in stores)):
        raise BadRequest("'stores' must be a list of store names.")
    all_stores = body.get("all_stores", False)
    must = body.get("all_stores_must_succeed", True)
    if not isinstance(all_stores, bool) or not isinstance(must, bool):
        raise BadRequest("'all_stores' and 'all_stores_must_succeed' are booleans.")
    if all_stores and stores:
        raise BadRequest("All_stores parameter can't be used with x-image-meta-store header "
                         "or stores parameter")
    params = {k: v for k, v in method.items() if k != "name"}
    return ImportRequest(str(name), params, stores, all_stores, must)
