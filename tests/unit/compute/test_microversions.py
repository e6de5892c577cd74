"""Which compute microversion a request gets from its headers."""

from __future__ import annotations

import pytest

from runtime.common.errors import BadRequest
from runtime.compute.microversions import NotAcceptable, Version, negotiate, response_headers

MAX = "2.96"


def test_no_header_is_the_minimum() -> None:
    assert negotiate({}, MAX) == Version(2, 1)


def test_new_header_names_the_service_and_wins_over_the_legacy_one() -> None:
    headers = {"openstack-api-version": "image 2.5, compute 2.60",
               "x-openstack-nova-api-version": "2.10"}
    assert negotiate(headers, MAX) == Version(2, 60)


def test_legacy_header_alone_is_honoured() -> None:
    assert negotiate({"x-openstack-nova-api-version": "2.10"}, MAX) == Version(2, 10)


def test_latest_is_the_maximum() -> None:
    assert negotiate({"openstack-api-version": "compute latest"}, MAX) == Version(2, 96)


def test_versions_compare_numerically() -> None:
    assert Version(2, 10) > Version(2, 9)
    assert Version(2, 47).at_least("2.9")


def test_out_of_range_is_406_and_malformed_is_400() -> None:
    with pytest.raises(NotAcceptable, match=r"Minimum is 2\.1 and maximum is 2\.96"):
        negotiate({"openstack-api-version": "compute 2.200"}, MAX)
    with pytest.raises(NotAcceptable):
        negotiate({"openstack-api-version": "compute 3.0"}, MAX)
    with pytest.raises(BadRequest, match="invalid format"):
        negotiate({"openstack-api-version": "compute 2.x"}, MAX)


def test_responses_say_the_version() -> None:
    headers = response_headers(Version(2, 60))
    assert headers["OpenStack-API-Version"] == "compute 2.60"
    assert headers["X-OpenStack-Nova-API-Version"] == "2.60"
