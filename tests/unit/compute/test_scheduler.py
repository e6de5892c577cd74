"""Host selection: filters drop hosts that cannot take a server; weighers order the rest."""

from __future__ import annotations

from runtime.compute.service.scheduler import HostState, Ratios, Request, consume, select_host


def host(name: str, *, ram: int = 4096, vcpus: int = 4, disk: int = 100, zone: str = "nova",
         enabled: bool = True, up: bool = True, ram_used: int = 0,
         servers: frozenset[str] = frozenset()) -> HostState:
    return HostState(name, zone, enabled, up, vcpus, ram, disk, memory_mb_used=ram_used,
                     servers=servers)


SMALL = Request(vcpus=1, memory_mb=512, disk_gb=1)
RATIOS = Ratios(cpu=16.0, ram=1.0, disk=1.0)


def test_spread_takes_the_host_with_most_free_ram_and_pack_the_least() -> None:
    hosts = [host("a", ram_used=3000), host("b", ram_used=1000), host("c", ram_used=2000)]
    assert select_host(hosts, SMALL, RATIOS, "spread").host == "b"
    assert select_host(hosts, SMALL, RATIOS, "pack").host == "a"


def test_disabled_and_down_hosts_are_skipped() -> None:
    hosts = [host("off", enabled=False), host("gone", up=False), host("ok", ram_used=3500)]
    assert select_host(hosts, SMALL, RATIOS).host == "ok"


def test_ram_allocation_ratio_allows_overcommit() -> None:
    full = [host("a", ram=1024, ram_used=1024)]
    assert select_host(full, SMALL, RATIOS).host is None
    assert select_host(full, SMALL, Ratios(ram=1.5)).host == "a"


def test_vcpu_and_disk_limits() -> None:
    big = Request(vcpus=8, memory_mb=512, disk_gb=1)
    assert select_host([host("a", vcpus=4)], big, Ratios(cpu=1.0)).host is None
    assert select_host([host("a", vcpus=4)], big, Ratios(cpu=2.0)).host == "a"
    assert select_host([host("a", disk=10)], Request(1, 512, 20), RATIOS).host is None


def test_availability_zone_filter() -> None:
    hosts = [host("a", zone="az1"), host("b", zone="az2")]
    assert select_host(hosts, Request(1, 512, 1, zone="az2"), RATIOS).host == "b"
    assert select_host(hosts, Request(1, 512, 1, zone="az3"), RATIOS).host is None


def test_anti_affinity_keeps_members_apart_and_affinity_together() -> None:
    hosts = [host("a", servers=frozenset({"m1"})), host("b")]
    anti = Request(1, 512, 1, group_policy="anti-affinity", group_hosts=frozenset({"a"}),
                   group_host_counts={"a": 1})
    assert select_host(hosts, anti, RATIOS).host == "b"
    same = Request(1, 512, 1, group_policy="affinity", group_hosts=frozenset({"a"}),
                   group_host_counts={"a": 1})
    assert select_host([host("b", ram=8192), *hosts[:1]], same, RATIOS).host == "a"


def test_no_host_says_which_filter_removed_them() -> None:
    outcome = select_host([host("a", enabled=False)], SMALL, RATIOS)
    assert outcome.host is None and outcome.rejected == {"ComputeFilter": 1}


def test_consuming_a_host_counts_the_new_server() -> None:
    after = consume(host("a"), SMALL, "s1")
    assert after.memory_mb_used == 512 and "s1" in after.servers
