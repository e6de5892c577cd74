"""os-instance-actions: what was asked of a server, by whom, and how it went."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from runtime.common.context import Context
from runtime.common.db import utcnow
from runtime.compute import models as m

# Event names as Nova's compute manager records them, by action.
EVENTS = {
    "create": "compute__do_build_and_run_instance",
    "reboot": "compute_reboot_instance",
    "stop": "compute_stop_instance",
    "start": "compute_start_instance",
    "pause": "compute_pause_instance",
    "unpause": "compute_unpause_instance",
    "suspend": "compute_suspend_instance",
    "resume": "compute_resume_instance",
    "rescue": "compute_rescue_instance",
    "unrescue": "compute_unrescue_instance",
    "rebuild": "compute_rebuild_instance",
    "resize": "compute_finish_resize",
    "revertResize": "compute_finish_revert_resize",
    "confirmResize": "compute_confirm_resize",
    "createImage": "compute_snapshot_instance",
    "createBackup": "compute_backup_instance",
    "delete": "compute_terminate_instance",
}


def record(s: Session, ctx: Context, server_id: str, action: str) -> m.InstanceAction:
    row = m.InstanceAction(server_id=server_id, request_id=ctx.request_id, action=action,
                           project_id=ctx.project_id or "", user_id=ctx.user_id or "")
    s.add(row)
    s.flush()
    return row


def last(s: Session, server_id: str) -> m.InstanceAction | None:
    return s.scalar(select(m.InstanceAction).where(m.InstanceAction.server_id == server_id)
                    .order_by(m.InstanceAction.id.desc()).limit(1))


def finish(s: Session, server_id: str, host: str | None, error: str | None = None,
           traceback: str | None = None) -> None:
    """Close the server's latest open action with an event from its host."""
    action = last(s, server_id)
    if action is None or action.finish_time is not None:
        return
    now = utcnow()
    s.add(m.InstanceActionEvent(
        action_id=action.id, event=EVENTS.get(action.action, f"compute_{action.action}"),
        result="Error" if error else "Success", traceback=traceback, host=host,
        start_time=action.start_time, finish_time=now, details=error))
    action.finish_time = now
    action.updated_at = now
    if error:
        action.message = "Error"


def listing(s: Session, server_id: str) -> list[m.InstanceAction]:
    return list(s.scalars(select(m.InstanceAction)
                          .where(m.InstanceAction.server_id == server_id)
                          .order_by(m.InstanceAction.start_time.desc(),
                                    m.InstanceAction.id.desc())))


def events(s: Session, action_id: int) -> list[m.InstanceActionEvent]:
    return list(s.scalars(select(m.InstanceActionEvent)
                          .where(m.InstanceActionEvent.action_id == action_id)
                          .order_by(m.InstanceActionEvent.id)))
