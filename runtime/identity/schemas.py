"""Request validation for the identity API, with Keystone's rules and 400 messages.

Keystone keeps unknown attributes of most resources (they come back on reads), so the
checks here cover the known fields and pass the rest through as ``extra``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from runtime.common.errors import BadRequest


def entity(body: Any, key: str) -> dict[str, Any]:
    """The ``{"key": {...}}`` envelope every identity request uses."""
    if not isinstance(body, dict) or not isinstance(body.get(key), dict):
        raise BadRequest(f"Expecting to find {key} in request body.")
    return dict(body[key])


def string(
    data: Mapping[str, Any],
    key: str,
    *,
    required: bool = False,
    min_len: int = 0,
    max_len: int = 255,
    nullable: bool = False,
) -> str | None:
    if key not in data:
        if required:
            raise BadRequest(f"'{key}' is a required property")
        return None
    value = data[key]
    if value is None and nullable and not required:
        return None
    if not isinstance(value, str):
        raise BadRequest(f"Invalid input for field '{key}': {value!r} is not of type 'string'")
    if len(value) < min_len or (min_len and not value.strip()):
        raise BadRequest(f"Invalid input for field '{key}': {value!r} is too short")
    if len(value) > max_len:
        raise BadRequest(f"Invalid input for field '{key}': the value is too long")
    return value


def boolean(data: Mapping[str, Any], key: str, default: bool | None = None) -> bool | None:
    if key not in data:
        return default
    value = data[key]
    if not isinstance(value, bool):
        raise BadRequest(f"Invalid input for field '{key}': {value!r} is not of type 'boolean'")
    return value


def integer(data: Mapping[str, Any], key: str, *, minimum: int | None = None) -> int | None:
    if key not in data or data[key] is None:
        return None
    value = data[key]
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequest(f"Invalid input for field '{key}': {value!r} is not of type 'integer'")
    if minimum is not None and value < minimum:
        raise BadRequest(f"Invalid input for field '{key}': {value} is less than {minimum}")
    return value


def tags(data: Mapping[str, Any], key: str = "tags") -> list[str] | None:
    if key not in data:
        return None
    value = data[key]
    if not isinstance(value, list) or len(value) > 80:
        raise BadRequest(f"Invalid input for field '{key}': expected a list of at most 80 tags")
    for tag in value:
        check_tag(tag)
    return list(dict.fromkeys(value))


def check_tag(tag: Any) -> str:
    if not isinstance(tag, str) or not 1 <= len(tag) <= 255 or "/" in tag or "," in tag:
        raise BadRequest(f"Invalid tag {tag!r}: 1-255 characters, without '/' or ','.")
    return tag


def options(data: Mapping[str, Any], allowed: Iterable[str]) -> dict[str, Any] | None:
    if "options" not in data:
        return None
    value = data["options"]
    if not isinstance(value, dict):
        raise BadRequest("Invalid input for field 'options': expected an object")
    allowed = set(allowed)
    for name in value:
        if name not in allowed:
            raise BadRequest(f"Invalid input for field 'options': unknown option {name!r}")
    return dict(value)


def no_change(data: Mapping[str, Any], *keys: str) -> None:
    """Refuse attempts to change immutable attributes (Keystone: 400)."""
    for key in keys:
        if key in data:
            raise BadRequest(f"Cannot change {key}.")


def extra(data: Mapping[str, Any], known: Iterable[str]) -> dict[str, Any]:
    known = set(known) | {"id", "links"}
    return {k: v for k, v in data.items() if k not in known}


USER_OPTIONS = (
    "ignore_change_password_upon_first_use",
    "ignore_password_expiry",
    "ignore_lockout_failure_attempts",
    "lock_password",
    "multi_factor_auth_rules",
    "multi_factor_auth_enabled",
    "ignore_user_inactivity",
)
PROJECT_OPTIONS = ("immutable",)
ROLE_OPTIONS = ("immutable",)
