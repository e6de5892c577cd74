"""Completion of the `:` line, the `/` filter, status colours, errors, topology."""

from __future__ import annotations

import requests
from openstack import exceptions

from tui.manage import demo
from tui.manage.logic import (
    cell_text,
    complete,
    error_text,
    filter_rows,
    raw_json,
    resolve,
    status_style,
)
from tui.manage.resources import RESOURCES
from tui.manage.topology import render


def test_completion_offers_resources_in_menu_order() -> None:
    assert complete(":se") == ["servers", "secgroups", "services"]
    assert complete("fl") == ["flavors", "floatingips"]
    assert complete("hyp") == ["hypervisors"]
    assert complete("")[:3] == ["servers", "images", "flavors"]
    assert complete("vm") == ["servers"]  # an alias
    assert complete("ips") == ["floatingips"]  # a word inside a name
    assert complete("zzz") == []


def test_resolve_takes_exact_names_aliases_and_unique_prefixes() -> None:
    assert resolve(":images")[1] is RESOURCES["images"]
    assert resolve("fip")[1] is RESOURCES["floatingips"]
    assert resolve("hyp")[1] is RESOURCES["hypervisors"]
    assert resolve("serv") == ("serv", None)  # servers or services: ambiguous
    assert resolve("topology") == ("topology", None)


def test_filter_matches_every_word_in_any_cell() -> None:
    servers = RESOURCES["servers"]
    rows = demo.servers(10)
    assert [r["name"] for r in filter_rows(servers, rows, "db")] == [
        "db-0000", "db-0003", "db-0006", "db-0009"]
    assert [r["name"] for r in filter_rows(servers, rows, "WEB error")] == [
        "web-0002", "web-0007"]
    assert len(filter_rows(servers, rows, "  ")) == 10
    assert filter_rows(servers, rows, "10.0.0.5")[0]["name"] == "db-0003"


def test_status_colours() -> None:
    assert status_style("ACTIVE") == "green"
    assert status_style("active") == "green"
    assert status_style("BUILD") == "yellow"
    assert status_style("REBOOT") == "yellow"
    assert status_style("queued") == "yellow"
    assert "red" in status_style("ERROR")
    assert status_style("SHUTOFF") == "dim"
    assert status_style("whatever") == ""


def test_cells_of_odd_values() -> None:
    assert cell_text(None) == ""
    assert cell_text(True) == "yes"
    assert cell_text(["a", "b"]) == "a, b"
    assert cell_text({"k": 1}) == "k=1"


def test_error_text_carries_the_apis_message() -> None:
    response = requests.Response()
    response.status_code = 409
    response.headers["x-openstack-request-id"] = "req-1"
    exc = exceptions.ConflictException(
        response=response, details="Conflict occurred attempting to store project")
    assert error_text(exc) == ("409: Conflict occurred attempting to store project "
                               "(request req-1)")
    body = '{"badRequest": {"code": 400, "message": "Invalid flavorRef"}}'
    bad = exceptions.BadRequestException(response=None, details=body)
    assert error_text(bad).endswith("Invalid flavorRef")
    assert error_text(ValueError("boom")) == "ValueError: boom"


def test_raw_json_is_stable() -> None:
    assert raw_json({"b": 1, "a": {"when": "x"}}).splitlines() == [
        "{", '  "a": {', '    "when": "x"', "  },", '  "b": 1', "}"]


def test_topology_draws_networks_routers_and_servers() -> None:
    data = demo.rows(2)
    text = render(data["networks"], data["subnets"], data["routers"], data["ports"],
                  data["servers"])
    assert text.splitlines() == [
        "━━ public (external) 203.0.113.0/24",
        "  └─◇ router1 (gateway)",
        "━━ private 10.0.0.0/24",
        "  ├─◇ router1 10.0.0.1",
        "  ├─□ db-0000 10.0.0.2",
        "  └─□ web-0001 10.0.0.3",
        "",
        "Routers",
        "  ◇ router1: public ⇄ private",
    ]


def test_topology_lists_servers_on_no_network() -> None:
    text = render([], [], [], [], [{"id": "1", "name": "lonely", "addresses": {}}])
    assert text == "Servers on no network: lonely"
