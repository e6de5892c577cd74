"""Usage figures: server hours per project (os-simple-tenant-usage) and the usage audit
log (os-instance_usage_audit_log).

Deleted servers are removed from the database here, so usage counts the servers that
exist: each from its launch (or creation) to the end of the period.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from runtime.compute import models as m
from runtime.compute import states


def usec(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f") if value is not None else None


def tenant_usage(servers: list[m.Server], start: datetime, end: datetime,
                 detailed: bool) -> dict[str, Any]:
    now = datetime.now(UTC)
    totals = {"total_hours": 0.0, "total_vcpus_usage": 0.0, "total_memory_mb_usage": 0.0,
              "total_local_gb_usage": 0.0}
    rows = []
    for server in servers:
        began = max(server.launched_at or server.created_at, start)
        stopped = min(end, now)
        hours = max((stopped - began).total_seconds(), 0.0) / 3600
        f = server.flavor
        totals["total_hours"] += hours
        totals["total_vcpus_usage"] += hours * f["vcpus"]
        totals["total_memory_mb_usage"] += hours * f["ram"]
        totals["total_local_gb_usage"] += hours * (f["disk"] + f.get("ephemeral", 0))
        if detailed:
            rows.append({
                "instance_id": server.id, "name": server.name, "hours": hours,
                "vcpus": f["vcpus"], "memory_mb": f["ram"], "local_gb": f["disk"],
                "flavor": f.get("name", ""), "tenant_id": server.project_id,
                "started_at": usec(server.launched_at or server.created_at),
                "ended_at": None, "uptime": int((now - began).total_seconds()),
                "state": states.server_status(server.vm_state, server.task_state).lower()})
    out: dict[str, Any] = {**totals, "start": usec(start), "stop": usec(end)}
    if detailed:
        out["server_usages"] = rows
    return out




def audit_period(before: datetime) -> tuple[datetime, datetime]:
    """The last whole month before ``before`` (Nova's default audit period)."""
    end = before.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    start = (end.replace(year=end.year - 1, month=12) if end.month == 1
             else end.replace(month=end.month - 1))
    return start, end


def audit_log(hosts: list[str], before: datetime) -> dict[str, Any]:
    start, end = audit_period(before)
    return {"hosts_not_run": hosts, "log": {}, "num_hosts": len(hosts), "num_hosts_done": 0,
            "num_hosts_not_run": len(hosts), "num_hosts_running": 0,
            "overall_status": f"0 of {len(hosts)} hosts done. 0 errors.",
            "period_beginning": str(start.replace(tzinfo=None)),
            "period_ending": str(end.replace(tzinfo=None)), "total_errors": 0,
            "total_instances": 0}
