"""Who may do what in compute, in one table (Nova's default policy since 2023.2).

Targets carry the ``project_id`` (and for key pairs the ``user_id``) of the resource.
Servers of another project are not found rather than forbidden (see
:func:`runtime.compute.service.core.get_server`), so their existence does not leak.
"""

from __future__ import annotations

from runtime.common.context import Context
from runtime.common.policy import (
    MEMBER,
    READER,
    Rule,
    Target,
    admin,
    any_of,
    authenticated,
    project_member,
    role,
)

project_reader = any_of(admin, project_member(READER))
project_writer = any_of(admin, project_member(MEMBER))


def _keypair_owner(ctx: Context, t: Target) -> bool:
    return ctx.user_id is not None and t.get("user_id", ctx.user_id) == ctx.user_id


def _own_project(ctx: Context, t: Target) -> bool:
    return ctx.project_id is not None and t.get("project_id", ctx.project_id) == ctx.project_id


RULES: dict[str, Rule] = {
    "servers:index": project_reader,
    "servers:detail": project_reader,
    "servers:show": project_reader,
    "servers:create": project_writer,
    "servers:update": project_writer,
    "servers:delete": project_writer,
    "servers:action": project_writer,
    "servers:all_tenants": admin,
    "servers:show:host_status": admin,
    "servers:extended": admin,  # OS-EXT-SRV-ATTR:* (host, hypervisor, instance name...)
    "servers:create:forced_host": admin,
    "servers:unlock:override": admin,
    "servers:reset_state": admin,
    "servers:migrate": admin,
    "servers:diagnostics": admin,
    "hosts": admin,
    "aggregates": admin,
    "migrations": admin,
    "external_events": any_of(admin, role("service")),
    "quota_classes:show": authenticated,
    "quota_classes:update": admin,
    "extensions": authenticated,
    "servers:metadata:read": project_reader,
    "servers:metadata:write": project_writer,
    "servers:console": project_writer,
    "instance_actions:list": project_reader,
    "instance_actions:events": admin,
    "flavors:read": authenticated,
    "flavors:manage": admin,
    "flavors:extra_specs:read": authenticated,
    "flavors:access:list": admin,
    "keypairs:own": any_of(admin, _keypair_owner),
    "keypairs:other_user": admin,
    "availability_zones:list": authenticated,
    "availability_zones:detail": admin,
    "hypervisors": admin,
    "services": admin,
    "limits": authenticated,
    "limits:other_project": admin,
    "quotas:show": any_of(admin, _own_project),
    "quotas:defaults": authenticated,
    "quotas:update": admin,
    "usage:list": admin,
    "usage:show": project_reader,
    "usage:audit": admin,
    "server_groups:read": project_reader,
    "server_groups:write": project_writer,
    "servers:ips": project_reader,
    "servers:inject_network_info": admin,
    "servers:interfaces:read": project_reader,
    "servers:interfaces:write": project_writer,
    "servers:security_groups:read": project_reader,
    "servers:security_groups:write": project_writer,
    # Nova's proxies to the network service (os-networks, os-security-groups,
    # os-floating-ips): the network service's own policy decides the rest.
    "network_proxy:read": project_reader,
    "network_proxy:write": project_writer,
}
