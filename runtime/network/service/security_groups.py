"""Security groups and their rules; each project's ``default`` group is created the
first time the project needs it, with Neutron's four default rules."""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from runtime.common.context import Context
from runtime.network import models as m
from runtime.network.errors import BadRequest, Conflict, not_found
from runtime.network.service import quotas
from runtime.network.service.core import (
    Network,
    allowed,
    bump,
    drop_tags,
    enforce,
    iso,
    new_id,
    owner_project,
    standard_view,
    tags_for,
)

DEFAULT = "default"
PROTOCOLS = {
    "ah": 51, "dccp": 33, "egp": 8, "esp": 50, "gre": 47, "hopopt": 0, "icmp": 1,
    "igmp": 2, "ip": 0, "ipip": 4, "ipv6-encap": 41, "ipv6-frag": 44, "ipv6-icmp": 58,
    "icmpv6": 58, "ipv6-nonxt": 59, "ipv6-opts": 60, "ipv6-route": 43, "ospf": 89,
    "pgm": 113, "rsvp": 46, "sctp": 132, "tcp": 6, "udp": 17, "udplite": 136, "vrrp": 112,
}
PORT_PROTOCOLS = {6, 17, 33, 132, 136}
ICMP_PROTOCOLS = {1, 58}


def target(sg: m.SecurityGroup) -> dict[str, Any]:
    return {"project_id": sg.project_id}


def get(s: Session, ctx: Context, sg_id: str) -> m.SecurityGroup:
    sg = s.get(m.SecurityGroup, sg_id)
    if sg is None or not allowed(ctx, "get_security_group", target(sg)):
        raise not_found("security_group", sg_id)
    return sg


def has_default(s: Session, project_id: str) -> bool:
    return s.get(m.DefaultSecurityGroup, project_id) is not None


def ensure_default(s: Session, project_id: str) -> str:
    """The id of the project's default group, created (with its rules) if missing."""
    found = s.get(m.DefaultSecurityGroup, project_id)
    if found is not None:
        return found.security_group_id
    sg = m.SecurityGroup(id=new_id(), project_id=project_id, name=DEFAULT,
                         description="Default security group")
    s.add(sg)
    s.flush()
    for ethertype in ("IPv4", "IPv6"):
        s.add(_rule(sg, "ingress", ethertype, remote_group_id=sg.id))
        s.add(_rule(sg, "egress", ethertype))
    try:
        with s.begin_nested():
            s.add(m.DefaultSecurityGroup(project_id=project_id, security_group_id=sg.id))
    except IntegrityError:  # created meanwhile by another API process
        s.delete(sg)
        row = s.get(m.DefaultSecurityGroup, project_id)
        assert row is not None
        return row.security_group_id
    return sg.id


def _rule(sg: m.SecurityGroup, direction: str, ethertype: str,
          **extra: Any) -> m.SecurityGroupRule:
    return m.SecurityGroupRule(id=new_id(), project_id=sg.project_id,
                               security_group_id=sg.id, direction=direction,
                               ethertype=ethertype, **extra)


def visible(s: Session, ctx: Context) -> Sequence[m.SecurityGroup]:
    query = select(m.SecurityGroup)
    if not ctx.is_admin:
        query = query.where(m.SecurityGroup.project_id == ctx.project_id)
    return s.scalars(query).all()


def views(s: Session, ctx: Context, groups: Sequence[m.SecurityGroup]) -> list[dict[str, Any]]:
    ids = [g.id for g in groups]
    rules: dict[str, list[m.SecurityGroupRule]] = defaultdict(list)
    for i in range(0, len(ids), 500):
        for r in s.scalars(select(m.SecurityGroupRule).where(
                m.SecurityGroupRule.security_group_id.in_(ids[i:i + 500]))):
            rules[r.security_group_id].append(r)
    defaults = set(s.scalars(select(m.DefaultSecurityGroup.security_group_id)))
    tags = tags_for(s, ids)
    out = []
    for g in groups:
        view: dict[str, Any] = {
            "id": g.id, "name": g.name, "description": g.description, "stateful": g.stateful,
            "shared": False,
            "security_group_rules": [rule_view(r, g.id in defaults) for r in rules[g.id]]}
        view.update(standard_view(g, tags.get(g.id, [])))
        out.append(view)
    return out


def rule_view(r: m.SecurityGroupRule, in_default: bool = False) -> dict[str, Any]:
    normalized = (str(ipaddress.ip_network(r.remote_ip_prefix, strict=False))
                  if r.remote_ip_prefix else None)
    return {
        "id": r.id, "security_group_id": r.security_group_id, "direction": r.direction,
        "ethertype": r.ethertype, "protocol": r.protocol, "port_range_min": r.port_range_min,
        "port_range_max": r.port_range_max, "remote_ip_prefix": r.remote_ip_prefix,
        "normalized_cidr": normalized, "remote_group_id": r.remote_group_id,
        "remote_address_group_id": None, "description": r.description,
        "belongs_to_default_sg": in_default, "project_id": r.project_id,
        "tenant_id": r.project_id, "revision_number": r.revision_number,
        "created_at": iso(r.created_at), "updated_at": iso(r.updated_at), "tags": []}


def create(svc: Network, s: Session, ctx: Context, data: dict[str, Any]) -> m.SecurityGroup:
    enforce(ctx, "create")
    project = owner_project(ctx, data)
    if data["name"] == DEFAULT:
        raise Conflict("Default security group already exists.",
                       type="SecurityGroupDefaultAlreadyExists")
    ensure_default(s, project)
    quotas.check(s, svc.settings, project, "security_group")
    sg = m.SecurityGroup(id=new_id(), project_id=project, name=data["name"],
                         description=data["description"], stateful=data["stateful"])
    s.add(sg)
    s.flush()
    for ethertype in ("IPv4", "IPv6"):
        s.add(_rule(sg, "egress", ethertype))
    s.flush()
    return sg


def _is_default(s: Session, sg: m.SecurityGroup) -> bool:
    row = s.get(m.DefaultSecurityGroup, sg.project_id)
    return row is not None and row.security_group_id == sg.id


def update(s: Session, ctx: Context, sg: m.SecurityGroup, data: dict[str, Any]) -> None:
    enforce(ctx, "manage_security_group", target(sg))
    if "name" in data and data["name"] != sg.name:
        if _is_default(s, sg):
            raise Conflict("Updating default security group not allowed.",
                           type="SecurityGroupCannotUpdateDefault")
        if data["name"] == DEFAULT:
            raise Conflict("Default security group already exists.",
                           type="SecurityGroupDefaultAlreadyExists")
    if "stateful" in data and data["stateful"] != sg.stateful and s.scalar(
            select(m.PortSecurityGroup.port_id)
            .where(m.PortSecurityGroup.security_group_id == sg.id).limit(1)):
        raise Conflict(f"Security Group {sg.id} in use.", type="SecurityGroupInUse")
    for key in ("name", "description", "stateful"):
        if key in data:
            setattr(sg, key, data[key])
    bump(sg)


def delete(s: Session, ctx: Context, sg: m.SecurityGroup) -> None:
    enforce(ctx, "manage_security_group", target(sg))
    if _is_default(s, sg) and not ctx.is_admin:
        raise Conflict("Insufficient rights for removing default security group.",
                       type="SecurityGroupCannotRemoveDefault")
    if s.scalar(select(m.PortSecurityGroup.port_id)
                .where(m.PortSecurityGroup.security_group_id == sg.id).limit(1)):
        raise Conflict(f"Security Group {sg.id} in use.", type="SecurityGroupInUse")
    drop_tags(s, [sg.id])
    s.delete(sg)


def _protocol(raw: str | None, ethertype: str) -> tuple[str | None, int | None]:
    """The protocol as stored (a name, or the number as given) and its number."""
    if raw is None or raw in ("any", ""):
        return None, None
    if raw.isdigit():
        number = int(raw)
        if not 0 <= number <= 255:
            raise _bad_protocol(raw)
        return (None, None) if number == 0 else (raw, number)
    if raw not in PROTOCOLS:
        raise _bad_protocol(raw)
    if raw in ("ipv6-icmp", "icmpv6") and ethertype == "IPv4":
        raise BadRequest(f"Ethertype IPv4 is not supported for protocol {raw}.",
                         type="SecurityGroupEthertypeConflictWithProtocol")
    return raw, PROTOCOLS[raw]


def _bad_protocol(raw: str) -> BadRequest:
    return BadRequest(f"Security group rule protocol {raw} not supported. Only protocol "
                      f"values {sorted(PROTOCOLS)} and integer representations [0 to 255] "
                      "are supported.", type="SecurityGroupRuleInvalidProtocol")


def _ports(number: int | None, low: int | None, high: int | None) -> None:
    if low is None and high is None:
        return
    if number is None:
        raise BadRequest("Must also specify protocol if port range is given.",
                         type="SecurityGroupProtocolRequiredWithPorts")
    if number in PORT_PROTOCOLS:
        if low is None or high is None:
            raise BadRequest("For TCP/UDP protocols, port_range_min must be <= "
                             "port_range_max", type="SecurityGroupInvalidPortRange")
        for value in (low, high):
            if value == 0:
                raise BadRequest(f"Invalid value for port {value}.",
                                 type="SecurityGroupInvalidPortValue")
        if low > high:
            raise BadRequest("For TCP/UDP protocols, port_range_min must be <= "
                             "port_range_max", type="SecurityGroupInvalidPortRange")
    elif number in ICMP_PROTOCOLS:
        for field, icmp in (("type", low), ("code", high)):
            if icmp is not None and not 0 <= icmp <= 255:
                raise BadRequest(f"Invalid value for ICMP {field} (port-range-"
                                 f"{'min' if field == 'type' else 'max'}): {icmp}. It must "
                                 "be 0 to 255.", type="SecurityGroupInvalidIcmpValue")
        if low is None and high is not None:
            raise BadRequest(f"ICMP code (port-range-max) {high} is provided but ICMP type "
                             "(port-range-min) is missing.", type="SecurityGroupMissingIcmpType")
    else:
        raise BadRequest(f"Invalid protocol {number} for port range, only supported for TCP, "
                         "UDP, UDPLITE, SCTP and DCCP.",
                         type="SecurityGroupInvalidProtocolForPortRange")


def create_rule(svc: Network, s: Session, ctx: Context,
                data: dict[str, Any]) -> m.SecurityGroupRule:
    enforce(ctx, "create")
    data.pop("project_id", None), data.pop("tenant_id", None)
    sg = get(s, ctx, data["security_group_id"])
    enforce(ctx, "manage_security_group", target(sg))
    ethertype = data["ethertype"]
    protocol, number = _protocol(data["protocol"], ethertype)
    low, high = data["port_range_min"], data["port_range_max"]
    _ports(number, low, high)
    if number in PORT_PROTOCOLS and low is not None and high is None:
        high = low
    prefix = data["remote_ip_prefix"]
    if prefix is not None and data["remote_group_id"] is not None:
        raise BadRequest("Only remote_ip_prefix or remote_group_id may be provided.",
                         type="SecurityGroupRemoteGroupAndRemoteIpPrefix")
    if data.get("remote_address_group_id") is not None:
        raise BadRequest("Address groups are not supported.", type="InvalidInput")
    if prefix is not None:
        try:
            net = ipaddress.ip_network(prefix, strict=False)
        except ValueError:
            raise BadRequest(f"Invalid input for remote_ip_prefix. Reason: '{prefix}' is not "
                             "a valid IP subnet.") from None
        if "/" not in prefix:
            prefix = str(net)
        if (net.version == 4) != (ethertype == "IPv4"):
            raise BadRequest(f"Conflicting value ethertype {ethertype} for CIDR {prefix}",
                             type="SecurityGroupRuleParameterConflict")
    if data["remote_group_id"] is not None:
        get(s, ctx, data["remote_group_id"])
    rule = _rule(sg, data["direction"], ethertype, protocol=protocol, port_range_min=low,
                 port_range_max=high, remote_ip_prefix=prefix,
                 remote_group_id=data["remote_group_id"], description=data["description"])
    _check_duplicate(s, rule)
    quotas.check(s, svc.settings, sg.project_id, "security_group_rule")
    s.add(rule)
    bump(sg)
    s.flush()
    return rule


def _key(r: m.SecurityGroupRule) -> tuple[Any, ...]:
    protocol: Any = r.protocol
    if protocol is not None and not protocol.isdigit():
        protocol = str(PROTOCOLS[protocol])
    prefix = (str(ipaddress.ip_network(r.remote_ip_prefix, strict=False))
              if r.remote_ip_prefix else None)
    if prefix in ("0.0.0.0/0", "::/0"):
        prefix = None  # "anywhere" said explicitly is the same rule
    return (r.direction, r.ethertype, protocol, r.port_range_min, r.port_range_max,
            prefix, r.remote_group_id)


def _check_duplicate(s: Session, rule: m.SecurityGroupRule) -> None:
    mine = _key(rule)
    for other in s.scalars(select(m.SecurityGroupRule).where(
            m.SecurityGroupRule.security_group_id == rule.security_group_id)):
        if _key(other) == mine:
            raise Conflict(f"Security group rule already exists. Rule id is {other.id}.",
                           type="SecurityGroupRuleExists")


def get_rule(s: Session, ctx: Context, rule_id: str) -> m.SecurityGroupRule:
    rule = s.get(m.SecurityGroupRule, rule_id)
    if rule is None or not allowed(ctx, "get_security_group", {"project_id": rule.project_id}):
        raise not_found("security_group_rule", rule_id)
    return rule


def visible_rules(s: Session, ctx: Context) -> Sequence[m.SecurityGroupRule]:
    query = select(m.SecurityGroupRule)
    if not ctx.is_admin:
        query = query.where(m.SecurityGroupRule.project_id == ctx.project_id)
    return s.scalars(query).all()


def rule_views(s: Session, _ctx: Context,
               rules: Sequence[m.SecurityGroupRule]) -> list[dict[str, Any]]:
    defaults = set(s.scalars(select(m.DefaultSecurityGroup.security_group_id)))
    return [rule_view(r, r.security_group_id in defaults) for r in rules]


def delete_rule(s: Session, ctx: Context, rule: m.SecurityGroupRule) -> None:
    enforce(ctx, "manage_security_group", {"project_id": rule.project_id})
    sg = s.get(m.SecurityGroup, rule.security_group_id)
    if sg is not None:
        bump(sg)
    s.delete(rule)
