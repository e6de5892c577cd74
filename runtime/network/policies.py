"""Who may do what, as Neutron's default policy: admins anything; project members their
own project's resources; shared networks usable by everyone for ports and subnets
visible with them; external networks visible to all; provider attributes admin-only.

Targets carry the resource's ``project_id`` and, where it matters, ``shared``,
``external`` and the owning network's project (``network_project_id``). What a caller
may not see is a 404 (Neutron hides existence), what it may see but not change a 403.
"""

from __future__ import annotations

from runtime.common.context import Context
from runtime.common.policy import MEMBER, READER, Rule, Target, admin, any_of, authenticated


def _own(min_role: str) -> Rule:
    def rule(ctx: Context, t: Target) -> bool:
        return (ctx.project_id is not None and t.get("project_id") == ctx.project_id
                and ctx.has_role(min_role))
    return rule


def _network_owner(ctx: Context, t: Target) -> bool:
    return ctx.project_id is not None and t.get("network_project_id") == ctx.project_id


def _shared(ctx: Context, t: Target) -> bool:
    return bool(t.get("shared")) and ctx.has_role(READER)


def _external(ctx: Context, t: Target) -> bool:
    return bool(t.get("external")) and ctx.has_role(READER)


def _member_anywhere(ctx: Context, _t: Target) -> bool:
    return ctx.project_id is not None and ctx.has_role(MEMBER)


own_reader, own_member = _own(READER), _own(MEMBER)
_manage = any_of(admin, own_member)
_see = any_of(admin, own_reader)

RULES: dict[str, Rule] = {
    "create": any_of(admin, _member_anywhere),
    "create_for_other_project": admin,
    "list": authenticated,
    "get_network": any_of(admin, own_reader, _shared, _external),
    "manage_network": _manage,
    "set_provider": admin,
    "see_provider": admin,
    "set_shared": admin,
    "set_external": admin,
    # Subnets of external networks stay hidden from other projects, as in Neutron.
    "get_subnet": any_of(admin, own_reader, _shared, _network_owner),
    "create_subnet_on": any_of(admin, own_member),  # target: the network
    "manage_subnet": _manage,
    "get_subnetpool": any_of(admin, own_reader, _shared),
    "manage_subnetpool": _manage,
    "set_subnetpool_shared": admin,
    "get_port": any_of(admin, own_reader, _network_owner),
    "create_port_on": any_of(admin, own_member, _shared),  # target: the network
    "manage_port": any_of(admin, own_member, _network_owner),
    "set_port_binding": admin,
    "see_port_binding": admin,
    "set_port_mac": any_of(admin, _network_owner),
    "set_device_owner_network": any_of(admin, _network_owner),
    "get_router": _see,
    "manage_router": _manage,
    "set_router_admin": admin,  # distributed, ha, SNAT and gateway addresses
    "get_floatingip": _see,
    "manage_floatingip": _manage,
    "set_floating_ip_address": admin,
    "get_security_group": _see,
    "manage_security_group": _manage,
    "get_quota": any_of(admin, own_reader),
    "manage_quota": admin,
    "get_agent": admin,
    "manage_agent": admin,
    "get_availability_zone": authenticated,
    "get_extension": authenticated,
}
