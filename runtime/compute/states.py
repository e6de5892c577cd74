"""The server state machine, declared once, as Nova has it.

A server carries three values: ``vm_state`` (what it is: building, active, stopped...),
``task_state`` (what is being done to it, or None) and ``power_state`` (what the
hypervisor last saw). The API's ``status`` is derived from the first two by
:func:`server_status`; nothing sets a status string of its own.

An API action checks the current states with :func:`begin` (409 when not allowed) and
sets its task; the compute agent carries the task out and reports, and
:func:`complete` gives the states the server then has::

    building/scheduling ──► building/spawning ──agent──► active ──os-stop──► stopped
                                    └──fails──► error           ◄──os-start──┘
    active ──pause──► paused ──unpause──► active      active ──suspend──► suspended
    active ──reboot──► active (REBOOT / HARD_REBOOT while it runs)
    any ──delete──► task deleting ──agent──► gone
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum

from runtime.common.errors import Conflict


class VmState(StrEnum):
    ACTIVE = "active"
    BUILDING = "building"
    PAUSED = "paused"
    SUSPENDED = "suspended"
    STOPPED = "stopped"
    RESCUED = "rescued"
    RESIZED = "resized"
    SOFT_DELETED = "soft_deleted"
    DELETED = "deleted"
    ERROR = "error"
    SHELVED = "shelved"
    SHELVED_OFFLOADED = "shelved_offloaded"


class TaskState(StrEnum):
    SCHEDULING = "scheduling"
    NETWORKING = "networking"  # the server's ports are being made and bound
    SPAWNING = "spawning"
    REBOOTING = "rebooting"
    REBOOTING_HARD = "rebooting_hard"
    PAUSING = "pausing"
    UNPAUSING = "unpausing"
    SUSPENDING = "suspending"
    RESUMING = "resuming"
    POWERING_OFF = "powering-off"
    POWERING_ON = "powering-on"
    RESCUING = "rescuing"
    UNRESCUING = "unrescuing"
    REBUILDING = "rebuilding"
    RESIZE_PREP = "resize_prep"
    RESIZE_FINISH = "resize_finish"
    RESIZE_REVERTING = "resize_reverting"
    RESIZE_CONFIRMING = "resize_confirming"
    IMAGE_SNAPSHOT = "image_snapshot"
    IMAGE_BACKUP = "image_backup"
    IMAGE_UPLOADING = "image_uploading"
    DELETING = "deleting"


class PowerState(IntEnum):
    NOSTATE = 0
    RUNNING = 1
    PAUSED = 3
    SHUTDOWN = 4
    CRASHED = 6
    SUSPENDED = 7


V, T, P = VmState, TaskState, PowerState

# What the hypervisor should be doing for a server in a given state: the compute agent
# converges on this. Values: running, shutdown, paused, suspended, absent, or keep
# (leave the domain as it is: an errored server is not touched until asked).
RUNNING, SHUTDOWN, PAUSED, SUSPENDED, ABSENT, KEEP = (
    "running", "shutdown", "paused", "suspended", "absent", "keep")

_TASK_TARGET: dict[TaskState, str] = {
    T.SCHEDULING: KEEP,
    T.NETWORKING: KEEP,
    T.SPAWNING: RUNNING,
    T.REBOOTING: RUNNING,
    T.REBOOTING_HARD: RUNNING,
    T.PAUSING: PAUSED,
    T.UNPAUSING: RUNNING,
    T.SUSPENDING: SUSPENDED,
    T.RESUMING: RUNNING,
    T.POWERING_OFF: SHUTDOWN,
    T.POWERING_ON: RUNNING,
    T.RESCUING: RUNNING,
    T.UNRESCUING: RUNNING,
    T.REBUILDING: RUNNING,
    T.RESIZE_PREP: KEEP,
    T.RESIZE_CONFIRMING: KEEP,
    T.RESIZE_REVERTING: KEEP,
    T.IMAGE_SNAPSHOT: KEEP,
    T.IMAGE_BACKUP: KEEP,
    T.IMAGE_UPLOADING: KEEP,
    T.DELETING: ABSENT,
}

_VM_TARGET: dict[VmState, str] = {
    V.ACTIVE: RUNNING,
    V.BUILDING: KEEP,
    V.PAUSED: PAUSED,
    V.SUSPENDED: SUSPENDED,
    V.STOPPED: SHUTDOWN,
    V.RESCUED: RUNNING,
    V.RESIZED: RUNNING,
    V.ERROR: KEEP,
}


def desired_power(vm_state: str, task_state: str | None) -> str:
    """What the agent should make the domain do for a server in these states."""
    if task_state is not None:
        target = _TASK_TARGET.get(TaskState(task_state))
        if target is not None:
            return target
    return _VM_TARGET.get(VmState(vm_state), KEEP)


# The API status of each vm_state, with the task states that show otherwise (Nova's
# nova.api.openstack.common._STATE_MAP).
_REBOOT = {T.REBOOTING: "REBOOT", T.REBOOTING_HARD: "HARD_REBOOT"}
_RESIZE = {T.RESIZE_PREP: "RESIZE", T.RESIZE_FINISH: "RESIZE"}
_REBUILD = {T.REBUILDING: "REBUILD"}
_STATUS: dict[VmState, tuple[str, dict[TaskState, str]]] = {
    V.ACTIVE: ("ACTIVE", {**_REBOOT, **_RESIZE, **_REBUILD}),
    V.BUILDING: ("BUILD", {}),
    V.STOPPED: ("SHUTOFF", {**_RESIZE, **_REBUILD}),
    V.RESIZED: ("VERIFY_RESIZE", {T.RESIZE_REVERTING: "REVERT_RESIZE"}),
    V.PAUSED: ("PAUSED", {}),
    V.SUSPENDED: ("SUSPENDED", {}),
    V.RESCUED: ("RESCUE", {}),
    V.ERROR: ("ERROR", {**_REBUILD}),
    V.DELETED: ("DELETED", {}),
    V.SOFT_DELETED: ("SOFT_DELETED", {}),
    V.SHELVED: ("SHELVED", {}),
    V.SHELVED_OFFLOADED: ("SHELVED_OFFLOADED", {}),
}


def server_status(vm_state: str, task_state: str | None) -> str:
    default, by_task = _STATUS.get(VmState(vm_state), ("UNKNOWN", {}))
    if task_state is not None:
        return by_task.get(TaskState(task_state), default)
    return default


def statuses_for(status: str) -> list[tuple[VmState, TaskState | None]]:
    """(vm_state, task_state) pairs that show ``status``; task None means "any task
    not otherwise mapped" (for the list filter ``?status=``)."""
    out: list[tuple[VmState, TaskState | None]] = []
    for vm, (default, by_task) in _STATUS.items():
        if default == status:
            out.append((vm, None))
        out.extend((vm, task) for task, shown in by_task.items() if shown == status)
    return out


@dataclass(frozen=True)
class Action:
    """An API action: from which vm_states it may start, and the task it sets."""

    name: str
    vm_states: frozenset[VmState]
    task: TaskState | None
    # Task states the action may start from (None: only when no task runs).
    task_states: frozenset[TaskState | None] = frozenset({None})


def _a(name: str, vms: set[VmState], task: TaskState | None,
       tasks: set[TaskState | None] | None = None) -> Action:
    return Action(name, frozenset(vms), task, frozenset(tasks or {None}))


_ANY = set(VmState) - {V.DELETED, V.SOFT_DELETED}
ACTIONS: dict[str, Action] = {a.name: a for a in (
    _a("reboot", {V.ACTIVE}, T.REBOOTING, {None, T.REBOOTING}),
    _a("reboot_hard", {V.ACTIVE, V.STOPPED, V.PAUSED, V.SUSPENDED, V.ERROR}, T.REBOOTING_HARD,
       {None, T.REBOOTING, T.REBOOTING_HARD}),
    _a("stop", {V.ACTIVE, V.ERROR}, T.POWERING_OFF),
    _a("start", {V.STOPPED}, T.POWERING_ON),
    _a("pause", {V.ACTIVE}, T.PAUSING),
    _a("unpause", {V.PAUSED}, T.UNPAUSING),
    _a("suspend", {V.ACTIVE}, T.SUSPENDING),
    _a("resume", {V.SUSPENDED}, T.RESUMING),
    _a("rescue", {V.ACTIVE, V.STOPPED, V.ERROR}, T.RESCUING),
    _a("unrescue", {V.RESCUED}, T.UNRESCUING),
    _a("rebuild", {V.ACTIVE, V.STOPPED, V.ERROR}, T.REBUILDING),
    _a("resize", {V.ACTIVE, V.STOPPED}, T.RESIZE_PREP),
    _a("confirmResize", {V.RESIZED}, T.RESIZE_CONFIRMING),
    _a("revertResize", {V.RESIZED}, T.RESIZE_REVERTING),
    _a("createImage", {V.ACTIVE, V.STOPPED, V.PAUSED, V.SUSPENDED}, T.IMAGE_SNAPSHOT),
    _a("createBackup", {V.ACTIVE, V.STOPPED, V.PAUSED, V.SUSPENDED}, T.IMAGE_BACKUP),
    # Servers are never soft-deleted here (reclaim_instance_interval is 0), so these
    # always answer 409, as Nova does for a server that is not SOFT_DELETED.
    _a("restore", {V.SOFT_DELETED}, None),
    _a("forceDelete", {V.SOFT_DELETED}, T.DELETING),
    # Deleting may interrupt any task but another delete.
    _a("delete", _ANY, T.DELETING, set(TaskState) - {T.DELETING} | {None}),
)}


def begin(action: str, server_id: str, vm_state: str, task_state: str | None) -> Action:
    """The action, if the server's states allow it; 409 in Nova's words otherwise."""
    spec = ACTIONS[action]
    shown = action.removesuffix("_hard")
    if VmState(vm_state) not in spec.vm_states:
        raise Conflict(f"Cannot '{shown}' instance {server_id} while it is in vm_state "
                       f"{vm_state}")
    task = TaskState(task_state) if task_state is not None else None
    if task not in spec.task_states:
        raise Conflict(f"Cannot '{shown}' instance {server_id} while it is in task_state "
                       f"{task_state}")
    return spec


# What a finished task leaves: (vm_state, power_state). The power state is the one
# the agent reports; this is what the controller expects it to be.
_DONE: dict[TaskState, VmState] = {
    T.SPAWNING: V.ACTIVE,
    T.REBOOTING: V.ACTIVE,
    T.REBOOTING_HARD: V.ACTIVE,
    T.PAUSING: V.PAUSED,
    T.UNPAUSING: V.ACTIVE,
    T.SUSPENDING: V.SUSPENDED,
    T.RESUMING: V.ACTIVE,
    T.POWERING_OFF: V.STOPPED,
    T.POWERING_ON: V.ACTIVE,
    T.RESCUING: V.RESCUED,
    T.UNRESCUING: V.ACTIVE,
    T.REBUILDING: V.ACTIVE,
}


# Tasks that copy the root disk into the image service (a snapshot or a backup).
IMAGE_TASKS = frozenset({T.IMAGE_SNAPSHOT, T.IMAGE_BACKUP, T.IMAGE_UPLOADING})
# Tasks after which a server is back in the state it had before (a snapshot of a stopped
# server leaves it stopped; a resize reverted or confirmed returns it to what it was).
_BACK = IMAGE_TASKS | {T.RESIZE_CONFIRMING, T.RESIZE_REVERTING}


def complete(task_state: str, before: str | None = None) -> VmState | None:
    """The vm_state a server reaches when the agent finishes ``task_state``; ``before``
    is its vm_state when the task began (where the task returns it)."""
    task = TaskState(task_state)
    if task in _BACK or (task == T.REBUILDING and before == V.STOPPED):
        return VmState(before) if before else V.ACTIVE
    if task == T.RESIZE_PREP:
        return V.RESIZED
    return _DONE.get(task)


def synced_vm_state(vm_state: str, task_state: str | None, power: int) -> VmState | None:
    """Power-state sync: the vm_state a server moves to when its guest changed on its own
    (it powered off or crashed while ACTIVE). None when nothing changes.

    Only servers with no task in flight are synced, as Nova does, so an action under way
    is never undone by a stale observation.
    """
    if task_state is not None:
        return None
    if VmState(vm_state) == V.ACTIVE and power in (P.SHUTDOWN, P.CRASHED, P.NOSTATE):
        return V.STOPPED
    return None
