"""What the agent does for one server: a pure decision from the desired state (the
controller's spec) and what the hypervisor shows, and the GuestSpec the driver needs."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from runtime.compute.drivers.base import BootImage, GuestSpec, Vif
from runtime.compute.guest_image.network_data import network_data
from runtime.compute.states import PowerState, TaskState

# Nova's default for direct kernel boot when the image names no command line.
DEFAULT_CMDLINE = "root=/dev/vda console=tty0 console=ttyS0,115200"

# Steps, by the task that asks for them.
SPAWN, START, STOP, REBOOT, REBOOT_HARD = "spawn", "start", "stop", "reboot", "reboot_hard"
PAUSE, UNPAUSE, SUSPEND, RESUME, DESTROY = "pause", "unpause", "suspend", "resume", "destroy"
RESCUE, UNRESCUE, REBUILD, SNAPSHOT = "rescue", "unrescue", "rebuild", "snapshot"
RESIZE, CONFIRM_RESIZE, REVERT_RESIZE = "resize", "confirm_resize", "revert_resize"
OBSERVE = "observe"  # nothing to do but report what the hypervisor shows

_BY_TASK = {
    TaskState.SPAWNING: SPAWN,
    TaskState.REBOOTING: REBOOT,
    TaskState.REBOOTING_HARD: REBOOT_HARD,
    TaskState.POWERING_OFF: STOP,
    TaskState.POWERING_ON: START,
    TaskState.PAUSING: PAUSE,
    TaskState.UNPAUSING: UNPAUSE,
    TaskState.SUSPENDING: SUSPEND,
    TaskState.RESUMING: RESUME,
    TaskState.DELETING: DESTROY,
    TaskState.RESCUING: RESCUE,
    TaskState.UNRESCUING: UNRESCUE,
    TaskState.REBUILDING: REBUILD,
    TaskState.RESIZE_PREP: RESIZE,
    TaskState.RESIZE_CONFIRMING: CONFIRM_RESIZE,
    TaskState.RESIZE_REVERTING: REVERT_RESIZE,
    TaskState.IMAGE_SNAPSHOT: SNAPSHOT,
    TaskState.IMAGE_BACKUP: SNAPSHOT,
}


@dataclass(frozen=True)
class Step:
    kind: str
    task_state: str | None = None
    task_serial: int = 0


def plan(spec: dict[str, Any], actual: PowerState | None,
         done: tuple[str, int] | None) -> Step:
    """The one step that moves this server toward its desired state.

    Only tasks cause changes: a guest that powered itself off while ACTIVE is reported,
    not restarted (the controller then shows it SHUTOFF, as Nova's power-state sync
    does). A task this agent already finished (``done``) is not repeated while the
    controller has not yet seen the report.
    """
    task, serial = spec.get("task_state"), int(spec.get("task_serial", 0))
    if task is None:
        return Step(OBSERVE)
    if task == TaskState.DELETING:
        return Step(DESTROY, task, serial)
    if done == (task, serial):
        return Step(OBSERVE)
    kind = _BY_TASK.get(TaskState(task)) if task in TaskState._value2member_map_ else None
    if kind is None:
        return Step(OBSERVE)
    if actual is None and kind in (START, REBOOT, REBOOT_HARD, RESUME, UNPAUSE):
        # The guest is gone (a host that lost it): asking it to run rebuilds it.
        kind = SPAWN
    return Step(kind, task, serial)


def vifs(spec: dict[str, Any]) -> tuple[Vif, ...]:
    return tuple(Vif(port_id=n["port_id"], network_id=n["network_id"],
                     mac_address=n["mac_address"], mtu=int(n.get("mtu") or 1500))
                 for n in spec.get("nics") or [])


def replug(spec: dict[str, Any], taps: set[str] | None) -> tuple[list[Vif], list[str]]:
    """The interfaces to attach to and detach from a guest (whose interfaces are
    ``taps``) so that it has exactly its ports: os-interface attach and detach. Only
    for a guest with no task under way; a guest that is not there is left to spawn."""
    if taps is None or spec.get("task_state") is not None:
        return [], []
    wanted = vifs(spec)
    names = {v.tap for v in wanted}
    return [v for v in wanted if v.tap not in taps], sorted(taps - names)


def boot_image(image: dict[str, Any]) -> BootImage:
    props = image.get("properties") or {}
    kernel_id = props.get("kernel_id") or None
    return BootImage(
        image_id=str(image.get("id", "")), image_format=str(image.get("disk_format") or "raw"),
        kernel_id=kernel_id, ramdisk_id=props.get("ramdisk_id") or None,
        cmdline=(props.get("os_command_line") or DEFAULT_CMDLINE) if kernel_id else None)


def starts(spec: dict[str, Any]) -> bool:
    """Whether the guest runs after a resize or rebuild: not if it was stopped before."""
    return (spec.get("task_args") or {}).get("old_vm_state") != "stopped"


def guest_spec(spec: dict[str, Any]) -> GuestSpec:
    """The guest as the current task wants it (a resize's new flavor, a revert's old
    one, a rescue's image)."""
    args = spec.get("task_args") or {}
    task = spec.get("task_state")
    flavor = spec.get("flavor") or {}
    if task == TaskState.RESIZE_PREP and args.get("new_flavor"):
        flavor = args["new_flavor"]
    elif task == TaskState.RESIZE_REVERTING and args.get("flavor"):
        flavor = args["flavor"]
    rescue = boot_image(args["rescue_image"]) \
        if task == TaskState.RESCUING and args.get("rescue_image") else None
    boot = boot_image(spec.get("image") or {})
    user_data = spec.get("user_data")
    keys = {spec["key_name"]: spec["key_data"]} if spec.get("key_name") and \
        spec.get("key_data") else {}
    metadata = {
        "uuid": spec["id"],
        "name": spec.get("name", ""),
        "hostname": spec.get("hostname", ""),
        "launch_index": spec.get("launch_index", 0),
        "availability_zone": spec.get("availability_zone") or "",
        "project_id": spec.get("project_id", ""),
        "meta": spec.get("metadata") or {},
        "public_keys": keys,
        "devices": [],
    }
    return GuestSpec(
        server_id=spec["id"], name=spec.get("name", ""),
        hostname=spec.get("hostname") or spec["id"],
        vcpus=int(flavor.get("vcpus", 1)), memory_mb=int(flavor.get("ram", 512)),
        root_gb=int(flavor.get("disk", 0)), image_id=boot.image_id,
        image_format=boot.image_format, kernel_id=boot.kernel_id, ramdisk_id=boot.ramdisk_id,
        cmdline=boot.cmdline, config_drive=bool(spec.get("config_drive")), metadata=metadata,
        user_data=base64.b64decode(user_data) if user_data else None,
        network_data=network_data(spec["nics"]) if spec.get("nics") else None,
        rescue=rescue, vifs=vifs(spec))
