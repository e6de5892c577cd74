"""The compute agent: registers its host, long-polls the controller for the desired
state of its servers, converges the hypervisor on it, and reports back.

Two threads and a pool: the watcher long-polls and keeps the latest desired state; the
main loop wakes on news (or every ``sync_interval``), hands each server that needs work
to the pool (one step at a time per server), reports power states, ships console
output and sends heartbeats. Everything is recomputed from levels on every pass, so a
restarted agent, or a lost report, only costs a pass.
"""

from __future__ import annotations

import logging
import tempfile
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from runtime.compute.agent import converge, vifs
from runtime.compute.agent.controller import ControllerClient, ControllerError
from runtime.compute.drivers.base import ComputeDriver, GuestError, Vif
from runtime.compute.states import PowerState

log = logging.getLogger("haneul.compute.agent")

CONSOLE_CHUNK = 64 << 10


class Agent:
    def __init__(self, driver: ComputeDriver, controller: ControllerClient, *,
                 zone: str | None = None, poll_timeout: float = 25.0,
                 sync_interval: float = 1.0, heartbeat_interval: float = 10.0,
                 shutdown_timeout: float = 60.0, workers: int = 4) -> None:
        self.driver = driver
        self.controller = controller
        self.zone = zone
        self.poll_timeout = poll_timeout
        self.sync_interval = sync_interval
        self.heartbeat_interval = heartbeat_interval
        self.shutdown_timeout = shutdown_timeout
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="converge")
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._desired: list[dict[str, Any]] | None = None
        self._busy: set[str] = set()
        self._done: dict[str, tuple[str, int]] = {}
        # Interface changes that failed, by server: not retried until they change.
        self._replug_failed: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}
        self._console: dict[str, int] = {}
        self._last_heartbeat = 0.0
        self._threads: list[threading.Thread] = []

    # Lifecycle -----------------------------------------------------------------------

    def start(self) -> None:
        try:
            self.heartbeat()
        except (OSError, ControllerError) as exc:
            # The main loop retries: an agent may start before its controller.
            log.warning("cannot register with the controller yet: %s", exc)
        for target, name in ((self._watch, "watch"), (self._run, "converge-loop")):
            thread = threading.Thread(target=target, name=f"agent-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def request_stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout)
        self._pool.shutdown(wait=True, cancel_futures=True)
        self.driver.close()

    def run_forever(self) -> None:
        self.start()
        try:
            while not self._stop.wait(1.0):
                pass
        finally:
            self.stop()

    def heartbeat(self) -> None:
        self.controller.register(self.driver.host_resources(), self.zone)
        self._last_heartbeat = time.monotonic()

    # The watcher ---------------------------------------------------------------------

    def _watch(self) -> None:
        generation, backoff = -1, 0.5
        while not self._stop.is_set():
            try:
                desired = self.controller.servers(generation, self.poll_timeout)
            except (OSError, ControllerError) as exc:
                log.warning("cannot reach the controller: %s", exc)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 10.0)
                continue
            backoff = 0.5
            if desired.generation != generation or self._desired is None:
                generation = desired.generation
                with self._lock:
                    self._desired = desired.servers
                self._wake.set()

    # The main loop -------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.sync_interval)
            self._wake.clear()
            try:
                self.converge_once()
            except Exception:
                log.exception("convergence pass failed")

    def converge_once(self) -> None:
        """One pass over every server; work goes to the pool."""
        if time.monotonic() - self._last_heartbeat >= self.heartbeat_interval:
            try:
                self.heartbeat()
            except (OSError, ControllerError) as exc:
                log.warning("heartbeat failed: %s", exc)
        with self._lock:
            desired = list(self._desired) if self._desired is not None else None
        if desired is None:
            return  # never heard from the controller: change nothing
        actual = self.driver.guests()
        wanted = {s["id"] for s in desired}
        for spec in desired:
            server_id = spec["id"]
            with self._lock:
                if server_id in self._busy:
                    continue
            step = converge.plan(spec, actual.get(server_id), self._done.get(server_id))
            if step.kind == converge.OBSERVE:
                if not self._maybe_replug(spec, actual.get(server_id) is not None):
                    self._observe(spec, actual.get(server_id))
                continue
            with self._lock:
                self._busy.add(server_id)
            self._pool.submit(self._carry_out, spec, step)
        for server_id in set(actual) - wanted:
            # A guest the controller no longer knows for this host: deleted while this
            # agent was away, or moved. Only guests this driver made are listed.
            with self._lock:
                if server_id in self._busy:
                    continue
                self._busy.add(server_id)
            self._pool.submit(self._remove_orphan, server_id)

    def _observe(self, spec: dict[str, Any], power: PowerState | None) -> None:
        observed = int(power if power is not None else PowerState.NOSTATE)
        if observed != spec.get("power_state"):
            try:
                self.controller.report(spec["id"], {"power_state": observed})
            except (OSError, ControllerError) as exc:
                log.warning("power report for %s failed: %s", spec["id"], exc)
        if power is not None:
            self._ship_console(spec["id"])

    def _carry_out(self, spec: dict[str, Any], step: converge.Step) -> None:
        server_id = spec["id"]
        report: dict[str, Any] = {"task_state": step.task_state,
                                  "task_serial": step.task_serial}
        try:
            self._apply(spec, step)
            if step.kind == converge.DESTROY:
                report["deleted"] = True
            self._ship_console(server_id)
        except Exception as exc:
            log.warning("%s of %s failed: %s", step.kind, server_id, exc)
            report["error"] = str(exc) if isinstance(exc, GuestError) else \
                f"{type(exc).__name__}: {exc}"
            report["details"] = traceback.format_exc()
        power = self.driver.power_state(server_id)
        report["power_state"] = int(power if power is not None else PowerState.NOSTATE)
        endpoint = self.driver.console_endpoint(server_id)
        if endpoint is not None and step.kind != converge.DESTROY:
            report["console"] = {"host": endpoint[0], "port": endpoint[1]}
        try:
            self.controller.report(server_id, report)
            if step.task_state is not None:
                self._done[server_id] = (step.task_state, step.task_serial)
            if step.kind == converge.DESTROY:
                self._console.pop(server_id, None)
                self._done.pop(server_id, None)
        except (OSError, ControllerError) as exc:
            log.warning("report for %s failed: %s", server_id, exc)
        finally:
            with self._lock:
                self._busy.discard(server_id)
            self._wake.set()

    def _apply(self, spec: dict[str, Any], step: converge.Step) -> None:
        d, server_id, k = self.driver, spec["id"], step.kind
        if k == converge.SPAWN:
            self._spawn(spec)
        elif k == converge.START:
            d.power_on(server_id)
        elif k == converge.STOP:
            d.power_off(server_id, self.shutdown_timeout)
        elif k in (converge.REBOOT, converge.REBOOT_HARD):
            d.reboot(converge.guest_spec(spec), self.controller.fetch_image,
                     k == converge.REBOOT_HARD, self.shutdown_timeout)
        elif k == converge.PAUSE:
            d.pause(server_id)
        elif k == converge.UNPAUSE:
            d.unpause(server_id)
        elif k == converge.SUSPEND:
            d.suspend(server_id)
        elif k == converge.RESUME:
            d.resume(server_id)
        elif k == converge.DESTROY:
            d.destroy(server_id)
        else:
            self._apply_lifecycle(spec, step)

    def _spawn(self, spec: dict[str, Any]) -> None:
        """Nova's wait for vif-plugged events: where a network agent wires this host, a
        new guest starts paused and runs only once every port is ACTIVE, so that its
        first packet meets its security groups and anti-spoofing rules."""
        guest = converge.guest_spec(spec)
        timeout = float(spec.get("vif_plugging_timeout") or 0)
        wait = bool(timeout and guest.vifs and self.driver.plugs_vifs)
        self.driver.spawn(guest, self.controller.fetch_image, paused=wait)
        if wait:
            vifs.wait_until_active(lambda: self.controller.port_statuses(spec["id"]),
                                   [v.port_id for v in guest.vifs], timeout, self._stop)
            self.driver.unpause(spec["id"])

    def _apply_lifecycle(self, spec: dict[str, Any], step: converge.Step) -> None:
        d, k, fetch = self.driver, step.kind, self.controller.fetch_image
        guest, timeout = converge.guest_spec(spec), self.shutdown_timeout
        if k == converge.RESCUE:
            d.rescue(guest, fetch, timeout)
        elif k == converge.UNRESCUE:
            d.unrescue(guest, fetch)
        elif k == converge.RESIZE:
            d.resize(guest, fetch, converge.starts(spec), timeout)
        elif k == converge.REVERT_RESIZE:
            d.revert_resize(guest, fetch, converge.starts(spec), timeout)
        elif k == converge.CONFIRM_RESIZE:
            d.confirm_resize(spec["id"])
        elif k == converge.REBUILD:
            d.rebuild(guest, fetch, converge.starts(spec), timeout)
        elif k == converge.SNAPSHOT:
            self._snapshot(spec)

    def _snapshot(self, spec: dict[str, Any]) -> None:
        """Copy the root disk aside and stream it to the controller, which stores it in
        the image service under the id the API already returned."""
        server_id = spec["id"]
        with tempfile.TemporaryDirectory(prefix="haneul-snapshot-") as tmp:
            path = Path(tmp) / "snapshot"
            disk_format = self.driver.snapshot(server_id, path)
            self.controller.upload_snapshot(server_id, path, disk_format,
                                            int(spec.get("task_serial", 0)))

    def _maybe_replug(self, spec: dict[str, Any], exists: bool) -> bool:
        """Hand interface changes of a settled guest to the pool; whether there were."""
        server_id = spec["id"]
        attach, detach = converge.replug(
            spec, self.driver.interfaces(server_id) if exists else None)
        key = (tuple(v.tap for v in attach), tuple(detach))
        if not (attach or detach) or self._replug_failed.get(server_id) == key:
            return False
        with self._lock:
            self._busy.add(server_id)
        self._pool.submit(self._replug, server_id, attach, detach)
        return True

    def _replug(self, server_id: str, attach: list[Vif], detach: list[str]) -> None:
        """Hot-plug the ports a server gained, unplug the ones it lost."""
        try:
            for tap in detach:
                self.driver.detach_interface(server_id, tap)
            for vif in attach:
                self.driver.attach_interface(server_id, vif)
            self._replug_failed.pop(server_id, None)
        except Exception:
            log.exception("could not change the interfaces of %s", server_id)
            self._replug_failed[server_id] = (tuple(v.tap for v in attach), tuple(detach))
        finally:
            with self._lock:
                self._busy.discard(server_id)
            self._wake.set()

    def _remove_orphan(self, server_id: str) -> None:
        try:
            log.info("removing guest %s, which the controller does not assign here",
                     server_id)
            self.driver.destroy(server_id)
            self._console.pop(server_id, None)
        except Exception:
            log.exception("could not remove guest %s", server_id)
        finally:
            with self._lock:
                self._busy.discard(server_id)

    # Console -------------------------------------------------------------------------

    def _ship_console(self, server_id: str) -> None:
        path = self.driver.console_path(server_id)
        if path is None:
            return
        try:
            size = path.stat().st_size
        except OSError:
            return
        offset = self._console.get(server_id, 0)
        if size < offset:
            offset = 0  # the log was recreated
        for _ in range(64):  # bounded: a confused controller cannot keep us here
            if offset >= size:
                break
            with path.open("rb") as f:
                f.seek(offset)
                chunk = f.read(CONSOLE_CHUNK)
            if not chunk:
                break
            try:
                have = self.controller.console(server_id, offset, len(chunk),
                                               chunk.decode("utf-8", errors="replace"))
            except (OSError, ControllerError) as exc:
                log.warning("console of %s not shipped: %s", server_id, exc)
                return
            if have is None:
                return
            # Where the controller says it is: past the file's end means a new file.
            offset = have if have <= size else 0
            self._console[server_id] = offset
