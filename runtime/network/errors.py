"""Neutron's errors: a status, a message and the exception's name as ``type``.

The names are Neutron's own (``NetworkNotFound``, ``IpAddressAlreadyAllocated`` ...):
clients and Tempest match on them.
"""

from __future__ import annotations

from typing import Any

from runtime.common.errors import ApiError

# webob's names for errors that carry no Neutron type of their own.
HTTP_TYPES = {400: "HTTPBadRequest", 401: "HTTPUnauthorized", 403: "HTTPForbidden",
              404: "HTTPNotFound", 405: "HTTPMethodNotAllowed", 409: "HTTPConflict",
              412: "HTTPPreconditionFailed", 413: "HTTPRequestEntityTooLarge",
              415: "HTTPUnsupportedMediaType", 500: "HTTPInternalServerError",
              501: "HTTPNotImplemented"}


class NeutronError(ApiError):
    def __init__(self, message: str, *, status: int | None = None,
                 type: str | None = None) -> None:
        super().__init__(message, status=status)
        self.type = type or HTTP_TYPES.get(self.status, "NeutronException")


class BadRequest(NeutronError):
    status = 400


class NotFound(NeutronError):
    status = 404


class Conflict(NeutronError):
    status = 409


class Forbidden(NeutronError):
    status = 403


def not_found(kind: str, resource_id: str) -> NotFound:
    """``NetworkNotFound: Network X could not be found.`` and the like."""
    label = {"floatingip": "Floating IP", "security_group": "Security group",
             "security_group_rule": "Security group rule", "subnetpool": "Subnet pool"}
    name = label.get(kind, kind.capitalize())
    type_name = {"floatingip": "FloatingIPNotFound", "security_group": "SecurityGroupNotFound",
                 "security_group_rule": "SecurityGroupRuleNotFound",
                 "subnetpool": "SubnetPoolNotFound"}.get(kind, kind.capitalize() + "NotFound")
    return NotFound(f"{name} {resource_id} could not be found.", type=type_name)


def error_body(err: ApiError) -> dict[str, Any]:
    kind = getattr(err, "type", None) or HTTP_TYPES.get(err.status, "NeutronException")
    return {"NeutronError": {"type": kind, "message": err.message, "detail": ""}}
