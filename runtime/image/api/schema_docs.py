"""The JSON schema documents served under /v2/schemas, as Glance publishes them.

Clients (python-glanceclient, Horizon) read these to learn which attributes exist and
which are read-only; extra image properties are free-form strings.
"""

from __future__ import annotations

from typing import Any

from runtime.image.formats import CONTAINER_FORMATS, DISK_FORMATS
from runtime.image.schemas import MEMBER_STATUSES, VISIBILITIES

_UUID = "^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$"
_TIME = {"type": "string", "format": "date-time", "readOnly": True}


def _ro(kind: Any, description: str) -> dict[str, Any]:
    return {"type": kind, "readOnly": True, "description": description}


def image() -> dict[str, Any]:
    props: dict[str, Any] = {
        "id": {"type": "string", "pattern": _UUID,
               "description": "An identifier for the image"},
        "name": {"type": ["null", "string"], "maxLength": 255,
                 "description": "Descriptive name for the image"},
        "status": {**_ro("string", "Status of the image"),
                   "enum": ["queued", "saving", "active", "killed", "deleted", "uploading",
                            "importing", "pending_delete", "deactivated"]},
        "visibility": {"type": "string", "enum": list(VISIBILITIES),
                       "description": "Scope of image accessibility"},
        "protected": {"type": "boolean",
                      "description": "If true, image will not be deletable."},
        "os_hidden": {"type": "boolean",
                      "description": "If true, image will not appear in default image list "
                                     "response."},
        "checksum": {**_ro(["null", "string"], "md5 hash of image contents."),
                     "maxLength": 32},
        "os_hash_algo": {**_ro(["null", "string"], "Algorithm to calculate the "
                                                   "os_hash_value"), "maxLength": 64},
        "os_hash_value": {**_ro(["null", "string"], "Hexdigest of the image contents using "
                                                    "the algorithm in os_hash_algo."),
                          "maxLength": 128},
        "owner": {"type": ["null", "string"], "maxLength": 255,
                  "description": "Owner of the image"},
        "size": _ro(["null", "integer"], "Size of image file in bytes"),
        "virtual_size": _ro(["null", "integer"], "Virtual size of image in bytes"),
        "container_format": {"type": ["null", "string"],
                             "enum": [None, *CONTAINER_FORMATS],
                             "description": "Format of the container"},
        "disk_format": {"type": ["null", "string"], "enum": [None, *DISK_FORMATS],
                        "description": "Format of the disk"},
        "created_at": {**_TIME, "description": "Date and time of image registration"},
        "updated_at": {**_TIME, "description": "Date and time of the last image "
                                               "modification"},
        "tags": {"type": "array", "items": {"type": "string", "maxLength": 255},
                 "description": "List of strings related to the image"},
        "direct_url": _ro("string", "URL to access the image file kept in external store"),
        "min_ram": {"type": "integer", "minimum": 0,
                    "description": "Amount of ram (in MB) required to boot image."},
        "min_disk": {"type": "integer", "minimum": 0,
                     "description": "Amount of disk space (in GB) required to boot image."},
        "self": _ro("string", "An image self url"),
        "file": _ro("string", "An image file url"),
        "stores": _ro("string", "Store in which image data resides. Only present when the "
                                "operator has enabled multiple stores."),
        "schema": _ro("string", "An image schema url"),
        "kernel_id": {"type": ["null", "string"], "pattern": _UUID, "is_base": False,
                      "description": "ID of image stored in Glance that should be used as "
                                     "the kernel when booting an AMI-style image."},
        "ramdisk_id": {"type": ["null", "string"], "pattern": _UUID, "is_base": False,
                       "description": "ID of image stored in Glance that should be used as "
                                      "the ramdisk when booting an AMI-style image."},
        "os_distro": {"type": "string", "is_base": False,
                      "description": "Common name of operating system distribution"},
        "os_version": {"type": "string", "is_base": False,
                       "description": "Operating system version as specified by the "
                                      "distributor."},
    }
    return {"name": "image", "properties": props, "additionalProperties": {"type": "string"},
            "links": [{"href": "{self}", "rel": "self"},
                      {"href": "{file}", "rel": "enclosure"},
                      {"href": "{schema}", "rel": "describedby"}]}


def _collection(name: str, item: dict[str, Any], paged: bool = True) -> dict[str, Any]:
    props: dict[str, Any] = {name: {"type": "array", "items": item},
                             "schema": {"type": "string"}}
    links = [{"rel": "describedby", "href": "{schema}"}]
    if paged:
        props.update(first={"type": "string"}, next={"type": "string"})
        links = [{"rel": "first", "href": "{first}"}, {"rel": "next", "href": "{next}"},
                 *links]
    return {"name": name, "properties": props, "links": links}


def images() -> dict[str, Any]:
    return _collection("images", image())


def member() -> dict[str, Any]:
    return {"name": "member", "properties": {
        "created_at": {"type": "string", "description": "Date and time of image member "
                                                        "creation"},
        "updated_at": {"type": "string", "description": "Date and time of last "
                                                        "modification of image member"},
        "image_id": {"type": "string", "pattern": _UUID,
                     "description": "An identifier for the image"},
        "member_id": {"type": "string", "description": "An identifier for the image member "
                                                       "(tenantId)"},
        "status": {"type": "string", "enum": list(MEMBER_STATUSES),
                   "description": "The status of this image member"},
        "schema": _ro("string", "An image member schema url")}}


def members() -> dict[str, Any]:
    return _collection("members", member(), paged=False)


def task() -> dict[str, Any]:
    return {"name": "task", "properties": {
        "id": {"type": "string", "pattern": _UUID,
               "description": "An identifier for the task"},
        "type": {"type": "string", "enum": ["import", "api_image_import"],
                 "description": "The type of task represented by this content"},
        "status": {"type": "string", "enum": ["pending", "processing", "success", "failure"],
                   "description": "The current status of this task"},
        "input": {"type": ["null", "object"], "description": "The parameters required by "
                                                             "task, JSON blob"},
        "result": {"type": ["null", "object"], "description": "The result of current task, "
                                                              "JSON blob"},
        "owner": {"type": "string", "description": "An identifier for the owner of this task"},
        "message": {"type": "string", "description": "Human-readable informative message "
                                                     "only included when appropriate"},
        "image_id": {"type": "string", "description": "Image associated with the task"},
        "request_id": {"type": "string", "description": "Request ID of the import request"},
        "user_id": {"type": "string", "description": "User associated with the task"},
        "expires_at": {"type": ["null", "string"], "description": "Datetime when this "
                                                                  "resource would be subject "
                                                                  "to removal"},
        "created_at": {"type": "string", "description": "Datetime when this resource was "
                                                        "created"},
        "updated_at": {"type": "string", "description": "Datetime when this resource was "
                                                        "updated"},
        "self": {"type": "string"}, "schema": {"type": "string"}},
        "links": [{"href": "{self}", "rel": "self"},
                  {"href": "{schema}", "rel": "describedby"}]}


def tasks() -> dict[str, Any]:
    return _collection("tasks", task())


# --- metadata definitions (metadefs) ----------------------------------------------------

_STAMPS = {"created_at": {"type": "string", "readOnly": True, "format": "date-time"},
           "updated_at": {"type": "string", "readOnly": True, "format": "date-time"}}


def md_property() -> dict[str, Any]:
    return {"name": "property", "required": ["name", "title", "type"], "properties": {
        "name": {"type": "string", "maxLength": 255},
        "title": {"type": "string"}, "description": {"type": "string"},
        "operators": {"type": "array", "items": {"type": "string"}},
        "type": {"type": "string", "enum": ["array", "boolean", "integer", "number", "object",
                                            "string", None]},
        "required": {"type": "array", "items": {"type": "string"}},
        "minimum": {"type": "number"}, "maximum": {"type": "number"},
        "maxLength": {"type": "integer", "minimum": 0},
        "minLength": {"type": "integer", "minimum": 0},
        "pattern": {"type": "string", "format": "regex"},
        "enum": {"type": "array"}, "readonly": {"type": "boolean"},
        "default": {}, "items": {"type": "object"},
        "maxItems": {"type": "integer", "minimum": 0},
        "minItems": {"type": "integer", "minimum": 0},
        "uniqueItems": {"type": "boolean", "default": False},
        "additionalItems": {"type": "boolean"}}}


def md_properties() -> dict[str, Any]:
    return {"name": "properties", "properties": {
        "properties": {"type": "object", "additionalProperties": md_property()},
        "schema": {"type": "string"}}, "links": [{"rel": "describedby", "href": "{schema}"}]}


def md_object() -> dict[str, Any]:
    return {"name": "object", "required": ["name"], "properties": {
        "name": {"type": "string", "maxLength": 255}, "description": {"type": "string"},
        "required": {"type": "array", "items": {"type": "string"}},
        "properties": {"type": "object", "additionalProperties": md_property()},
        "schema": {"type": "string", "readOnly": True},
        "self": {"type": "string", "readOnly": True}, **_STAMPS},
        "additionalProperties": False,
        "links": [{"rel": "self", "href": "{self}"},
                  {"rel": "describedby", "href": "{schema}"}]}


def md_tag() -> dict[str, Any]:
    return {"name": "tag", "required": ["name"], "properties": {
        "name": {"type": "string", "maxLength": 255}, **_STAMPS},
        "additionalProperties": True}


def md_resource_type() -> dict[str, Any]:
    return {"name": "resource_type_association", "required": ["name"], "properties": {
        "name": {"type": "string", "maxLength": 80},
        "prefix": {"type": "string", "maxLength": 80},
        "properties_target": {"type": "string", "maxLength": 80}, **_STAMPS},
        "additionalProperties": False, "links": [{"rel": "self", "href": "{self}"},
                                                 {"rel": "describedby", "href": "{schema}"}]}


def md_namespace() -> dict[str, Any]:
    return {"name": "namespace", "required": ["namespace"], "properties": {
        "namespace": {"type": "string", "maxLength": 80},
        "display_name": {"type": "string", "maxLength": 80},
        "description": {"type": "string", "maxLength": 500},
        "visibility": {"type": "string", "enum": ["public", "private"]},
        "protected": {"type": "boolean"}, "owner": {"type": "string", "maxLength": 255},
        "resource_type_associations": {"type": "array", "items": md_resource_type()},
        "properties": {"type": "object", "additionalProperties": md_property()},
        "objects": {"type": "array", "items": md_object()},
        "tags": {"type": "array", "items": md_tag()},
        "schema": {"type": "string", "readOnly": True},
        "self": {"type": "string", "readOnly": True}, **_STAMPS},
        "additionalProperties": False, "links": [{"rel": "self", "href": "{self}"},
                                                 {"rel": "describedby", "href": "{schema}"}]}


def _md_collection(name: str, item: dict[str, Any]) -> dict[str, Any]:
    doc = _collection(name, item)
    doc["properties"]["first"] = {"type": "string"}
    return doc


DOCUMENTS = {
    "image": image, "images": images, "member": member, "members": members,
    "task": task, "tasks": tasks,
    "metadefs/namespace": md_namespace,
    "metadefs/namespaces": lambda: _md_collection("namespaces", md_namespace()),
    "metadefs/resource_type": md_resource_type,
    "metadefs/resource_types": lambda: _collection("resource_type_associations",
                                                   md_resource_type(), paged=False),
    "metadefs/object": md_object,
    "metadefs/objects": lambda: _md_collection("objects", md_object()),
    "metadefs/property": md_property,
    "metadefs/properties": md_properties,
    "metadefs/tag": md_tag,
    "metadefs/tags": lambda: _md_collection("tags", md_tag()),
}
