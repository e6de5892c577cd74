"""Address arithmetic: default pools, pool and gateway validation, next free address,
EUI-64 and MAC addresses."""

from __future__ import annotations

import ipaddress

import pytest

from runtime.network.errors import NeutronError
from runtime.network.service import ipam


def ip(text: str) -> ipam.IPAddress:
    return ipaddress.ip_address(text)


def test_default_pool_is_the_cidr_minus_network_broadcast_and_gateway() -> None:
    net = ipam.parse_cidr("10.0.0.0/24")
    assert ipam.pools_json(ipam.default_pools(net, ip("10.0.0.1"))) == [
        {"start": "10.0.0.2", "end": "10.0.0.254"}]


def test_gateway_in_the_middle_splits_the_default_pool() -> None:
    net = ipam.parse_cidr("10.0.0.0/28")
    assert ipam.pools_json(ipam.default_pools(net, ip("10.0.0.8"))) == [
        {"start": "10.0.0.1", "end": "10.0.0.7"}, {"start": "10.0.0.9", "end": "10.0.0.14"}]


def test_ipv6_pool_keeps_only_the_subnet_router_anycast_address_out() -> None:
    net = ipam.parse_cidr("2001:db8::/64")
    pools = ipam.default_pools(net, None)
    assert ipam.pools_json(pools) == [{"start": "2001:db8::1",
                                       "end": "2001:db8::ffff:ffff:ffff:ffff"}]


@pytest.mark.parametrize("cidr", ["10.0.0.1/24", "not-a-cidr", "10.0.0.0", "10.0.0.0/33"])
def test_bad_or_host_bit_cidrs_are_refused(cidr: str) -> None:
    with pytest.raises(NeutronError) as err:
        ipam.parse_cidr(cidr)
    assert err.value.status == 400


def test_pools_outside_the_cidr_are_refused() -> None:
    net = ipam.parse_cidr("10.0.0.0/24")
    with pytest.raises(NeutronError) as err:
        ipam.parse_pools([{"start": "10.0.0.10", "end": "10.0.1.5"}], net)
    assert err.value.type == "OutOfBoundsAllocationPool"


def test_overlapping_pools_are_refused() -> None:
    net = ipam.parse_cidr("10.0.0.0/24")
    with pytest.raises(NeutronError) as err:
        ipam.parse_pools([{"start": "10.0.0.10", "end": "10.0.0.20"},
                          {"start": "10.0.0.20", "end": "10.0.0.30"}], net)
    assert err.value.type == "OverlappingAllocationPools"


def test_gateway_inside_a_pool_conflicts() -> None:
    net = ipam.parse_cidr("10.0.0.0/24")
    pools = ipam.parse_pools([{"start": "10.0.0.2", "end": "10.0.0.100"}], net)
    with pytest.raises(NeutronError) as err:
        ipam.check_gateway(ip("10.0.0.50"), net, pools)
    assert (err.value.status, err.value.type) == (409, "GatewayConflictWithAllocationPools")
    ipam.check_gateway(ip("10.0.0.1"), net, pools)


def test_next_free_skips_used_addresses_and_moves_to_the_next_pool() -> None:
    pools = [(ip("10.0.0.2"), ip("10.0.0.3")), (ip("10.0.0.10"), ip("10.0.0.11"))]
    assert ipam.next_free(pools, set()) == ip("10.0.0.2")
    assert ipam.next_free(pools, {"10.0.0.2"}) == ip("10.0.0.3")
    assert ipam.next_free(pools, {"10.0.0.2", "10.0.0.3"}) == ip("10.0.0.10")
    assert ipam.next_free(pools, {"10.0.0.2", "10.0.0.3", "10.0.0.10", "10.0.0.11"}) is None


def test_next_free_reuses_a_released_hole() -> None:
    pools = [(ip("10.0.0.2"), ip("10.0.0.254"))]
    assert ipam.next_free(pools, {"10.0.0.2", "10.0.0.4"}) == ip("10.0.0.3")


def test_eui64_address_follows_rfc_4291() -> None:
    net = ipam.parse_cidr("2001:db8::/64")
    assert str(ipam.eui64(net, "fa:16:3e:12:34:56")) == "2001:db8::f816:3eff:fe12:3456"


def test_generated_macs_keep_the_base_prefix_and_are_unicast() -> None:
    macs = {ipam.random_mac("fa:16:3e:00:00:00") for _ in range(50)}
    assert all(m.startswith("fa:16:3e:") and ipam.valid_mac(m) for m in macs)
    assert len(macs) > 40


@pytest.mark.parametrize("mac", ["01:00:5e:00:00:01", "00:00:00:00:00:00", "zz:16:3e:00:00:01",
                                 "fa:16:3e:00:00"])
def test_multicast_zero_and_malformed_macs_are_invalid(mac: str) -> None:
    assert not ipam.valid_mac(mac)
