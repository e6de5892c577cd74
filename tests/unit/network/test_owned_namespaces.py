"""The agent's record of the namespaces it made survives restarts, so resync and
cleanup remove its own namespaces and never another agent's."""

from __future__ import annotations

from pathlib import Path

from runtime.network.agent.owned import OwnedNamespaces


def test_a_restarted_agent_knows_what_it_made(tmp_path: Path) -> None:
    record = tmp_path / "state" / "namespaces.json"
    first = OwnedNamespaces(record)
    first.add("qdhcp-a")
    first.add("qrouter-b")
    first.discard("qdhcp-a")
    again = OwnedNamespaces(record)
    assert again.names() == {"qrouter-b"}
    assert "qrouter-b" in again and "qdhcp-a" not in again


def test_a_missing_or_damaged_record_owns_nothing(tmp_path: Path) -> None:
    assert OwnedNamespaces(tmp_path / "absent.json").names() == set()
    damaged = tmp_path / "damaged.json"
    damaged.write_text("{not json")
    assert OwnedNamespaces(damaged).names() == set()


def test_cleared_records_stay_cleared(tmp_path: Path) -> None:
    record = tmp_path / "namespaces.json"
    owned = OwnedNamespaces(record)
    owned.add("qdhcp-a")
    owned.clear()
    assert OwnedNamespaces(record).names() == set()
