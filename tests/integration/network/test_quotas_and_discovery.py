"""Quotas, extensions, agents and availability zones."""

from __future__ import annotations

from tests.integration.network.conftest import NetApi, User, make_user


def test_quota_is_enforced_and_detailed(net_api: NetApi) -> None:
    erin = make_user(net_api, "erin")
    r = net_api.net("PUT", f"/quotas/{erin.project_id}", json={"quota": {"network": 2}})
    assert r.json()["quota"]["network"] == 2
    net_api.create("network", erin.token)
    net_api.create("network", erin.token)
    r = net_api.net("POST", "/networks", erin.token, json={"network": {}})
    assert net_api.error(r) == (409, "OverQuota")
    details = net_api.net("GET", f"/quotas/{erin.project_id}/details",
                          erin.token).json()["quota"]
    assert details["network"] == {"limit": 2, "used": 2, "reserved": 0}
    assert net_api.net("PUT", f"/quotas/{erin.project_id}", erin.token,
                       json={"quota": {"network": 50}}).status_code == 403
    assert net_api.net("DELETE", f"/quotas/{erin.project_id}").status_code == 204
    assert net_api.net("GET", f"/quotas/{erin.project_id}").json()["quota"]["network"] == 100


def test_extensions_list_what_is_served(net_api: NetApi) -> None:
    aliases = {e["alias"] for e in net_api.net("GET", "/extensions").json()["extensions"]}
    assert {"router", "external-net", "security-group", "quotas", "standard-attr-tag",
            "revision-if-match", "binding", "provider"} <= aliases
    assert "dvr" not in aliases
    assert net_api.net("GET", "/extensions/router").json()["extension"]["alias"] == "router"
    assert net_api.error(net_api.net("GET", "/extensions/dvr"))[0] == 404


def test_agents_register_through_the_internal_api(net_api: NetApi, alice: User) -> None:
    from runtime.network.service.agents import secret

    svc = net_api.client.app.state.runtime.state["network"]  # type: ignore[attr-defined]
    report = {"agent_type": "DHCP agent", "binary": "haneul-network-agent",
              "host": "node-1", "availability_zone": "zone-a"}
    r = net_api.client.post("/networking/internal/v1/agents", json=report,
                            headers={"X-Haneul-Agent-Secret": "wrong"})
    assert r.status_code == 401
    r = net_api.client.post("/networking/internal/v1/agents", json=report,
                            headers={"X-Haneul-Agent-Secret": secret(svc)})
    agent = r.json()["agent"]
    assert agent["alive"] is True
    listed = net_api.net("GET", "/agents?host=node-1").json()["agents"]
    assert [a["id"] for a in listed] == [agent["id"]]
    # Agents are the admin's: others see none.
    assert net_api.net("GET", "/agents", alice.token).json() == {"agents": []}
    r = net_api.net("PUT", f"/agents/{agent['id']}",
                    json={"agent": {"admin_state_up": False}})
    assert r.json()["agent"]["admin_state_up"] is False
    zones = net_api.net("GET", "/availability_zones?resource=network").json()
    assert {"name": "zone-a", "resource": "network", "state": "available"} in zones[
        "availability_zones"]
    assert net_api.net("DELETE", f"/agents/{agent['id']}").status_code == 204


def test_version_document_needs_no_token(net_api: NetApi) -> None:
    r = net_api.client.get("/networking/")
    assert r.json()["versions"][0]["id"] == "v2.0"
    r = net_api.client.get("/networking/v2.0/networks")
    assert r.status_code == 401
