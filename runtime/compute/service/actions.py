"""Server actions (POST /servers/{id}/action): each checks the server's states, sets
the task its host's agent carries out, and records an instance action."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from runtime.common.context import Context
from runtime.common.db import utcnow
from runtime.common.errors import BadRequest, Conflict
from runtime.compute import models as m
from runtime.compute import states
from runtime.compute.service import instance_actions
from runtime.compute.service.core import touch_host
from runtime.compute.service.servers import check_unlocked

# Request body key -> (state-machine action, instance action name).
AGENT_ACTIONS = {
    "os-stop": ("stop", "stop"),
    "os-start": ("start", "start"),
    "pause": ("pause", "pause"),
    "unpause": ("unpause", "unpause"),
    "suspend": ("suspend", "suspend"),
    "resume": ("resume", "resume"),
}


def start_task(s: Session, ctx: Context, server: m.Server, action: str, recorded: str,
               args: dict[str, Any] | None = None) -> None:
    """Move ``server`` into the task of ``action`` and wake its host. ``args`` go to the
    agent with the task (``old_vm_state`` defaults to the state the task starts from)."""
    check_unlocked(ctx, server)
    spec = states.begin(action, server.id, server.vm_state, server.task_state)
    if server.host is None:
        raise Conflict(f"Cannot '{recorded}' instance {server.id}: it has no host.")
    server.task_state = spec.task
    server.task_serial += 1
    server.extra = {**server.extra, "task_args": {"old_vm_state": server.vm_state,
                                                  **(args or {})}}
    server.updated_at = utcnow()
    instance_actions.record(s, ctx, server.id, recorded)
    touch_host(s, server.host)


def reboot(s: Session, ctx: Context, server: m.Server, kind: str) -> None:
    if kind.upper() not in ("SOFT", "HARD"):
        raise BadRequest(f"Invalid input for field/attribute type. Value: {kind}. "
                         f"'{kind}' is not one of ['HARD', 'Hard', 'hard', 'SOFT', 'Soft', "
                         "'soft']")
    start_task(s, ctx, server, "reboot" if kind.upper() == "SOFT" else "reboot_hard", "reboot")


def lock(s: Session, ctx: Context, server: m.Server, reason: str | None) -> None:
    instance_actions.record(s, ctx, server.id, "lock")
    server.locked = True
    server.locked_by = "admin" if ctx.is_admin and server.project_id != ctx.project_id \
        else "owner"
    server.locked_reason = reason
    server.updated_at = utcnow()
    instance_actions.finish(s, server.id, None)


def unlock(s: Session, ctx: Context, server: m.Server) -> None:
    if server.locked and server.locked_by == "admin" and not ctx.is_admin:
        from runtime.common.errors import Forbidden

        raise Forbidden("Policy doesn't allow os_compute_api:os-lock-server:unlock:"
                        "unlock_override to be performed.")
    instance_actions.record(s, ctx, server.id, "unlock")
    server.locked = False
    server.locked_by = None
    server.locked_reason = None
    server.updated_at = utcnow()
    instance_actions.finish(s, server.id, None)


def console_lines(text: str, length: int | None) -> str:
    """The last ``length`` pieces of the console split at newlines (all of it when
    None), exactly as Nova's _tail_log: a trailing newline counts as an empty last line."""
    if length is None:
        return text
    if length <= 0:
        return ""
    return "\n".join(text.split("\n")[-length:])


def reset_state(s: Session, server: m.Server, state: str) -> None:
    """os-resetState: an administrator's override of vm_state (active or error)."""
    server.vm_state = states.VmState(state)
    server.task_state = None
    server.updated_at = utcnow()
    touch_host(s, server.host)
