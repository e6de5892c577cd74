"""Network agents (registered and kept alive by the agents' own reports through the
internal API) and the availability zones they make up."""

from __future__ import annotations

import os
import secrets
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from runtime.common.context import Context
from runtime.common.db import utcnow
from runtime.network import models as m
from runtime.network.errors import BadRequest, not_found
from runtime.network.service.core import Network, allowed, enforce, new_id

SECRET_FILE = "network-agent.secret"
# Which resource an agent type serves zones for (Neutron's availability_zone resource).
ZONE_RESOURCE = {"DHCP agent": "network", "L3 agent": "router"}


def _ts(value: Any) -> str | None:
    # Neutron shows agent times without the 'T' and zone of other resources.
    return value.strftime("%Y-%m-%d %H:%M:%S") if value is not None else None


def views(svc: Network, agents: Sequence[m.Agent]) -> list[dict[str, Any]]:
    down = utcnow() - timedelta(seconds=svc.settings.agent_down_time)
    return [{"id": a.id, "agent_type": a.agent_type, "binary": a.binary, "topic": a.topic,
             "host": a.host, "admin_state_up": a.admin_state_up,
             "alive": a.heartbeat_timestamp >= down, "description": a.description,
             "configurations": dict(a.configurations),
             "availability_zone": a.availability_zone,
             "resources_synced": a.resources_synced, "created_at": _ts(a.created_at),
             "started_at": _ts(a.started_at),
             "heartbeat_timestamp": _ts(a.heartbeat_timestamp)} for a in agents]


def listing(s: Session, ctx: Context) -> Sequence[m.Agent]:
    # Neutron filters what policy hides: a non-admin's list is empty, not refused.
    if not allowed(ctx, "get_agent", {}):
        return []
    return s.scalars(select(m.Agent)).all()


def get(s: Session, ctx: Context, agent_id: str) -> m.Agent:
    agent = s.get(m.Agent, agent_id)
    if agent is None or not allowed(ctx, "get_agent", {}):
        raise not_found("agent", agent_id)
    return agent


def update(s: Session, ctx: Context, agent: m.Agent, data: dict[str, Any]) -> None:
    enforce(ctx, "manage_agent")
    for key in ("admin_state_up", "description"):
        if key in data:
            setattr(agent, key, data[key])


def delete(s: Session, ctx: Context, agent: m.Agent) -> None:
    enforce(ctx, "manage_agent")
    s.delete(agent)


def find(s: Session, body: Any) -> m.Agent | None:
    """The agent a report is about, if it registered before."""
    if not isinstance(body, dict) or "agent_type" not in body or "host" not in body:
        return None
    return s.scalar(select(m.Agent).where(m.Agent.agent_type == str(body["agent_type"]),
                                          m.Agent.host == str(body["host"])))


def report(s: Session, body: Any) -> m.Agent:
    """An agent's periodic report: registers it on first sight, then refreshes it."""
    if not isinstance(body, dict):
        raise BadRequest("Body contains invalid data")
    try:
        agent_type, binary, host = (str(body["agent_type"]), str(body["binary"]),
                                    str(body["host"]))
    except KeyError as exc:
        raise BadRequest(f"Agent report lacks {exc.args[0]}") from None
    agent = s.scalar(select(m.Agent).where(m.Agent.agent_type == agent_type,
                                           m.Agent.host == host))
    now = utcnow()
    if agent is None:
        agent = m.Agent(id=new_id(), agent_type=agent_type, binary=binary, host=host,
                        created_at=now, started_at=now)
        s.add(agent)
    if body.get("start_flag"):
        agent.started_at = now
    agent.binary = binary
    agent.topic = str(body.get("topic", agent.topic or "N/A"))
    agent.availability_zone = body.get("availability_zone", agent.availability_zone)
    agent.configurations = dict(body.get("configurations") or {})
    agent.resources_synced = body.get("resources_synced")
    agent.heartbeat_timestamp = now
    s.flush()
    return agent


def availability_zones(svc: Network, s: Session) -> list[dict[str, Any]]:
    """Zones of the agents that serve networks and routers; the default zone is always
    offered so that hints naming it are valid before any agent has reported."""
    zones = {(svc.settings.default_availability_zone, "network"),
             (svc.settings.default_availability_zone, "router")}
    for agent in s.scalars(select(m.Agent).where(m.Agent.availability_zone.is_not(None))):
        resource = ZONE_RESOURCE.get(agent.agent_type)
        if resource and agent.availability_zone:
            zones.add((agent.availability_zone, resource))
    return [{"name": name, "resource": resource, "state": "available"}
            for name, resource in sorted(zones)]


def secret(svc: Network) -> str:
    if svc.settings.agent_secret:
        return svc.settings.agent_secret
    return load_or_create_secret(Path(svc.config.state_dir))


def load_or_create_secret(state_dir: Path) -> str:
    """The shared secret kept in STATE_DIR (the controller and an agent on the same
    machine both create it on first use; the first one wins)."""
    path = state_dir / SECRET_FILE
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process won the race: use its secret
        return path.read_text().strip()
    with os.fdopen(fd, "w") as f:
        f.write(value + "\n")
    return value
