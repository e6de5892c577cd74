"""The network agent: reports itself (as Neutron's Linux bridge, DHCP, L3 and metadata
agents), long-polls the controller for its host's desired state, converges the host on
it and reports port status back.

Three threads: the watcher long-polls and keeps the latest desired state; the filter
loop re-renders the security group tables on news at once (a rule change must land
within 2 s, while a full pass over namespaces can take longer on a busy host); the main
loop wakes on news (or every ``resync_interval``) and makes one full pass. Everything is
recomputed from levels on every pass, so a restart or a lost report only costs a pass.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from typing import Any

from runtime.network.agent import ip, names
from runtime.network.agent.controller import ControllerClient, ControllerError
from runtime.network.agent.converge import Converger, Outcome
from runtime.network.agent.plan import AgentConfig, HostPlan, plan

log = logging.getLogger("haneul.network.agent")


def agent_reports(cfg: AgentConfig, p: HostPlan | None, zone: str) -> list[dict[str, Any]]:
    """The agents this host shows in GET /v2.0/agents, as Neutron shows them."""
    ports = len(p.ports) if p else 0
    out: list[dict[str, Any]] = [{
        "agent_type": "Linux bridge agent", "binary": "neutron-linuxbridge-agent",
        "topic": "N/A", "configurations": {
            "tunneling_ip": cfg.local_ip, "tunnel_types": ["vxlan"] if cfg.local_ip else [],
            "interface_mappings": dict(cfg.physical_interface_mappings),
            "bridge_mappings": {}, "l2_population": False, "devices": ports,
            "extensions": []}}]
    if cfg.dhcp:
        dhcp = p.dhcp if p else []
        out.append({
            "agent_type": "DHCP agent", "binary": "neutron-dhcp-agent",
            "topic": "dhcp_agent", "availability_zone": zone, "configurations": {
                "dhcp_driver": "neutron.agent.linux.dhcp.Dnsmasq", "networks": len(dhcp),
                "subnets": sum(len(d.subnets) for d in dhcp),
                "ports": sum(len(d.hosts) for d in dhcp),
                "dhcp_lease_duration": cfg.lease_time, "log_agent_heartbeats": False}})
    if cfg.l3:
        routers = p.routers if p else []
        out.append({
            "agent_type": "L3 agent", "binary": "neutron-l3-agent", "topic": "l3_agent",
            "availability_zone": zone, "configurations": {
                "agent_mode": "legacy", "routers": len(routers),
                "ex_gw_ports": sum(1 for r in routers if r.gateway is not None),
                "interfaces": sum(len(r.interfaces) for r in routers),
                "floating_ips": sum(len(r.floating_ips) for r in routers),
                "log_agent_heartbeats": False}})
    if cfg.metadata:
        out.append({"agent_type": "Metadata agent", "binary": "neutron-metadata-agent",
                    "topic": "N/A", "configurations": {"metadata_proxy_socket": "",
                                                       "log_agent_heartbeats": False}})
    return out


class Agent:
    def __init__(self, cfg: AgentConfig, controller: ControllerClient, converger: Converger,
                 *, zone: str = "nova", poll_timeout: float = 25.0,
                 heartbeat_interval: float = 10.0, resync_interval: float = 30.0,
                 device_poll_interval: float | None = 1.0,
                 settle_interval: float = 0.0) -> None:
        self.cfg = cfg
        self.controller = controller
        self.converger = converger
        self.zone = zone
        self.poll_timeout = poll_timeout
        self.heartbeat_interval = heartbeat_interval
        self.resync_interval = resync_interval
        self.device_poll_interval = device_poll_interval
        self.settle_interval = settle_interval
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._filter_wake = threading.Event()
        self._lock = threading.Lock()
        self._state: dict[str, Any] | None = None
        self._plan: HostPlan | None = None
        self._started = False
        self._last_heartbeat = 0.0
        self._reported: dict[str, str] = {}
        self._threads: list[threading.Thread] = []
        self.passes = 0  # finished convergence passes (tests wait on it)

    # Lifecycle -----------------------------------------------------------------------

    def start(self) -> None:
        try:
            self.heartbeat()
        except (OSError, ControllerError) as exc:
            log.warning("cannot register with the controller yet: %s", exc)
        loops = [(self._watch, "watch"), (self._filter, "filter-loop"),
                 (self._run, "converge-loop")]
        if self.device_poll_interval:
            loops.append((self._watch_devices, "devices"))
        for target, name in loops:
            thread = threading.Thread(target=target, name=f"network-agent-{name}",
                                      daemon=True)
            thread.start()
            self._threads.append(thread)

    def request_stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._filter_wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self.request_stop()
        for thread in self._threads:
            thread.join(timeout)

    def run_forever(self) -> None:
        self.start()
        try:
            while not self._stop.wait(1.0):
                pass
        finally:
            self.stop()

    def heartbeat(self) -> None:
        for report in agent_reports(self.cfg, self._plan, self.zone):
            report["start_flag"] = not self._started
            self.controller.report(report)
        self._started = True
        self._last_heartbeat = time.monotonic()

    # The watcher ---------------------------------------------------------------------

    def _watch(self) -> None:
        generation, backoff = -1, 0.5
        while not self._stop.is_set():
            try:
                desired = self.controller.state(generation, self.poll_timeout)
            except (OSError, ControllerError) as exc:
                log.warning("cannot reach the controller: %s", exc)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 10.0)
                continue
            backoff = 0.5
            with self._lock:
                changed = desired.state != self._state
                self._state = desired.state
            generation = desired.generation
            # Scheduling follows agents' liveness, which moves no generation: any
            # difference in what came back is news.
            if changed:
                self._filter_wake.set()
                self._wake.set()
                # Ask again only after a moment: a burst of API changes then costs the
                # controller and this host a pass per interval, not one per change.
                self._stop.wait(self.settle_interval)

    # The device watcher ----------------------------------------------------------------

    def _watch_devices(self) -> None:
        """A guest's tap appears when compute starts it, which the controller does not
        see: a pass right then wires and reports the port, and the guest (paused until
        its ports are ACTIVE) runs without waiting for the next resync."""
        assert self.device_poll_interval is not None
        seen: frozenset[tuple[str, int | None, bool]] | None = None
        with contextlib.closing(ip.Host()) as host:
            while not self._stop.wait(self.device_poll_interval):
                try:
                    taps = frozenset((name, link.master, link.up)
                                     for name, link in host.links().items()
                                     if name.startswith(names.TAP_PREFIX))
                except Exception:
                    log.exception("cannot list this host's devices")
                    continue
                if seen is not None and taps != seen:
                    self._filter_wake.set()
                    self._wake.set()
                seen = taps

    # The filter loop -----------------------------------------------------------------

    def _filter(self) -> None:
        while not self._stop.is_set():
            self._filter_wake.wait()
            self._filter_wake.clear()
            if self._stop.is_set():
                break
            with self._lock:
                state = self._state
            if state is None:
                continue
            try:
                self.converger.filter_only(plan(state, self.cfg))
            except Exception:
                log.exception("security group update failed")

    # The main loop -------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.resync_interval)
            self._wake.clear()
            if self._stop.is_set():
                break
            try:
                self.converge_once()
            except Exception:
                log.exception("convergence pass failed")

    def converge_once(self) -> Outcome | None:
        if time.monotonic() - self._last_heartbeat >= self.heartbeat_interval:
            try:
                self.heartbeat()
            except (OSError, ControllerError) as exc:
                log.warning("heartbeat failed: %s", exc)
        with self._lock:
            state = self._state
        if state is None:
            return None  # never heard from the controller: change nothing
        started = time.monotonic()
        wanted = plan(state, self.cfg)
        self._plan = wanted
        outcome = self.converger.converge(wanted)
        self._tell_controller(state, outcome)
        self.passes += 1
        took = time.monotonic() - started
        # Security group changes must land within 2 s: a slow pass is worth a line.
        (log.info if took > 1.0 else log.debug)("convergence pass took %.2fs", took)
        return outcome

    def _tell_controller(self, state: dict[str, Any], outcome: Outcome) -> None:
        try:
            for net_id in outcome.need_dhcp_ports:
                self.controller.ensure_dhcp_port(net_id)
            for router_id in outcome.need_router_claims:
                self.controller.claim_router(router_id)
            shown = {p["id"]: p["status"] for p in state.get("ports", [])}
            for pid, status in list(self._reported.items()):
                if shown.get(pid) == status:  # the controller has caught up
                    del self._reported[pid]
            changed = {pid: status for pid, status in outcome.statuses.items()
                       if shown.get(pid) != status and self._reported.get(pid) != status}
            if changed:
                self.controller.port_status(changed)
                self._reported.update(changed)
        except (OSError, ControllerError) as exc:
            log.warning("could not tell the controller: %s", exc)
