"""The compute agent makes a guest's bridge when the network agent has not yet."""

from __future__ import annotations

import errno
from typing import Any

import pyroute2
import pytest

from runtime.compute.drivers.libvirt.bridges import ensure_bridge


class FakeIPRoute:
    """Links by name; records what was asked of netlink."""

    links: dict[str, int] = {}
    calls: list[tuple[str, dict[str, Any]]] = []
    race = False  # another process adds the bridge between lookup and add

    def __enter__(self) -> FakeIPRoute:
        return self

    def __exit__(self, *_: object) -> None:
        pass

    def link_lookup(self, ifname: str) -> list[int]:
        return [self.links[ifname]] if ifname in self.links else []

    def link(self, command: str, **kw: Any) -> None:
        self.calls.append((command, kw))
        if command == "add":
            if kw["ifname"] in self.links or self.race:
                self.links[kw["ifname"]] = 7
                raise pyroute2.NetlinkError(errno.EEXIST, "File exists")
            self.links[kw["ifname"]] = 7


@pytest.fixture
def iproute(monkeypatch: pytest.MonkeyPatch) -> type[FakeIPRoute]:
    FakeIPRoute.links, FakeIPRoute.calls, FakeIPRoute.race = {}, [], False
    monkeypatch.setattr(pyroute2, "IPRoute", FakeIPRoute)
    return FakeIPRoute


def test_a_missing_bridge_is_created_up_with_the_network_mtu(
        iproute: type[FakeIPRoute]) -> None:
    assert ensure_bridge("brq9f8e7d6c-5b", 1450) is True
    assert iproute.calls == [("add", {"ifname": "brq9f8e7d6c-5b", "kind": "bridge"}),
                             ("set", {"index": 7, "state": "up", "mtu": 1450})]


def test_an_existing_bridge_is_only_brought_up(iproute: type[FakeIPRoute]) -> None:
    iproute.links["brq9f8e7d6c-5b"] = 3
    assert ensure_bridge("brq9f8e7d6c-5b", 1450) is False
    # Its MTU is the network agent's business once it exists.
    assert iproute.calls == [("set", {"index": 3, "state": "up"})]


def test_a_bridge_made_meanwhile_by_the_network_agent_is_adopted(
        iproute: type[FakeIPRoute]) -> None:
    iproute.race = True
    assert ensure_bridge("brqabc", None) is False
    assert iproute.calls[-1] == ("set", {"index": 7, "state": "up"})
