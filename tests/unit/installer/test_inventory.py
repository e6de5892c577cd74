"""Inventory mistakes are caught before any host changes, with what to do about them."""

from __future__ import annotations

from pathlib import Path

import pytest

from installer.inventory import InventoryError, parse

ROOT = Path(__file__).resolve().parents[3]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "inv.yml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("name", ["all-in-one.yml", "multinode.yml"])
def test_the_committed_examples_are_valid(name: str) -> None:
    inv = parse(ROOT / "inventory" / name)
    assert inv.groups["control"]
    assert all(inv.roles_of(host) for host in inv.hosts)


def test_the_all_in_one_host_has_every_role() -> None:
    inv = parse(ROOT / "inventory" / "all-in-one.yml")
    assert inv.roles_of("aio") == ["control", "network", "compute"]


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = write(tmp_path, """
all:
  hosts:
    a: {ansible_host: 10.0.0.1}
    b: {ansible_host: 10.0.0.1}
    lost: {ansible_host: 10.0.0.9}
  children:
    compute: {hosts: {a: , b: }}
    computes: {hosts: {lost: }}
""")
    with pytest.raises(InventoryError) as err:
        parse(path)
    text = str(err.value)
    assert "unknown group 'computes'" in text
    assert "no host in the `control` group" in text
    assert "'a' and 'b' have the same address 10.0.0.1" in text
    assert "host 'lost' is in no group" in text


@pytest.mark.parametrize("text, expected", [
    ("- just a list\n", "must start with an `all:` mapping"),
    ("all: [\n", "not valid YAML"),
])
def test_unreadable_inventories(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(InventoryError, match=expected):
        parse(write(tmp_path, text))


def test_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InventoryError, match="no such inventory file"):
        parse(tmp_path / "nope.yml")
