"""One pass of the network agent's loop with the kernel and the controller stubbed:
what it asks the controller for and what it reports."""

from __future__ import annotations

from typing import Any

from runtime.network.agent.converge import Outcome
from runtime.network.agent.loop import Agent, agent_reports
from runtime.network.agent.plan import AgentConfig, HostPlan, plan
from tests.unit.network.agent_state import HOST, two_projects

CFG = AgentConfig(host=HOST, local_ip="192.0.2.12",
                  physical_interface_mappings={"extnet": "eth1"})


class Controller:
    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    def report(self, agent: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(("report", agent["binary"]))
        return {}

    def ensure_dhcp_port(self, network_id: str) -> str:
        self.calls.append(("dhcp-port", network_id))
        return "p"

    def claim_router(self, router_id: str) -> list[str]:
        self.calls.append(("claim", router_id))
        return []

    def port_status(self, statuses: dict[str, str]) -> dict[str, str]:
        self.calls.append(("status", dict(statuses)))
        return statuses


class Converger:
    def __init__(self, outcome: Outcome) -> None:
        self.outcome = outcome
        self.plans: list[HostPlan] = []

    def converge(self, p: HostPlan) -> Outcome:
        self.plans.append(p)
        return self.outcome


def agent(outcome: Outcome) -> tuple[Agent, Controller]:
    controller = Controller()
    made = Agent(CFG, controller, Converger(outcome),  # type: ignore[arg-type]
                 device_poll_interval=None)
    return made, controller


def test_nothing_happens_before_the_controller_has_spoken() -> None:
    a, controller = agent(Outcome())
    assert a.converge_once() is None
    assert [c for c in controller.calls if c[0] != "report"] == []


def test_asks_for_ports_and_claims_and_reports_each_status_change_once() -> None:
    outcome = Outcome(statuses={"pa000000-0000-4000-8000-00000000000a": "ACTIVE",
                                "pb000000-0000-4000-8000-00000000000b": "DOWN"},
                      need_dhcp_ports=["net-x"], need_router_claims=["router-1"])
    a, controller = agent(outcome)
    a._state = two_projects()  # both guest ports show DOWN
    a.converge_once()
    assert ("dhcp-port", "net-x") in controller.calls
    assert ("claim", "router-1") in controller.calls
    statuses = [c[1] for c in controller.calls if c[0] == "status"]
    assert statuses == [{"pa000000-0000-4000-8000-00000000000a": "ACTIVE"}]
    a.converge_once()  # the controller has not caught up yet: not sent again
    assert len([c for c in controller.calls if c[0] == "status"]) == 1


def test_agents_show_as_neutron_shows_them() -> None:
    reports = agent_reports(CFG, plan(two_projects(), CFG), "nova")
    by_binary = {r["binary"]: r for r in reports}
    assert set(by_binary) == {"neutron-linuxbridge-agent", "neutron-dhcp-agent",
                              "neutron-l3-agent", "neutron-metadata-agent"}
    bridge = by_binary["neutron-linuxbridge-agent"]["configurations"]
    assert bridge["tunneling_ip"] == "192.0.2.12" and bridge["tunnel_types"] == ["vxlan"]
    assert bridge["interface_mappings"] == {"extnet": "eth1"} and bridge["devices"] == 2
    assert by_binary["neutron-dhcp-agent"]["configurations"]["networks"] == 2
    l3 = by_binary["neutron-l3-agent"]["configurations"]
    assert (l3["routers"], l3["floating_ips"], l3["ex_gw_ports"]) == (1, 1, 1)
    compute_only = agent_reports(AgentConfig(host=HOST, dhcp=False, l3=False,
                                             metadata=False), None, "nova")
    assert [r["binary"] for r in compute_only] == ["neutron-linuxbridge-agent"]
