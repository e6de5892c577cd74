"""Compute API microversions: which one a request asked for, and what it may use.

Clients ask with ``OpenStack-API-Version: compute 2.60`` (or the legacy
``X-OpenStack-Nova-API-Version: 2.60``); no header means the minimum, ``latest`` the
maximum. Pure functions, so the parsing is unit-tested without HTTP.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import NamedTuple

from runtime.common.errors import ApiError, BadRequest

MIN_VERSION = "2.1"
HEADER = "openstack-api-version"
LEGACY_HEADER = "x-openstack-nova-api-version"
SERVICE = "compute"
_FORMAT = re.compile(r"^([1-9]\d*)\.([1-9]\d*|0)$")


class Version(NamedTuple):
    major: int
    minor: int

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"

    def at_least(self, text: str) -> bool:
        return self >= parse(text)


class NotAcceptable(ApiError):
    status = 406


def parse(text: str) -> Version:
    match = _FORMAT.match(text.strip())
    if match is None:
        raise BadRequest(f"API Version String {text} is of invalid format. Must be of format "
                         "MajorNum.MinorNum.")
    return Version(int(match[1]), int(match[2]))


def requested(headers: Mapping[str, str]) -> str | None:
    """The version text a request names for compute, or None. The new header wins."""
    value = headers.get(HEADER)
    if value:
        for item in value.split(","):
            service, _, version = item.strip().partition(" ")
            if service.lower() == SERVICE and version.strip():
                return version.strip()
    legacy = headers.get(LEGACY_HEADER)
    return legacy.strip() if legacy and legacy.strip() else None


def negotiate(headers: Mapping[str, str], maximum: str) -> Version:
    """The version a request gets: 400 for a malformed one, 406 outside [min, max]."""
    low, high = parse(MIN_VERSION), parse(maximum)
    text = requested(headers)
    if text is None:
        return low
    if text.lower() == "latest":
        return high
    version = parse(text)
    if not low <= version <= high:
        raise NotAcceptable(f"Version {version} is not supported by the API. Minimum is "
                            f"{low} and maximum is {high}.")
    return version


def response_headers(version: Version) -> dict[str, str]:
    return {
        "OpenStack-API-Version": f"{SERVICE} {version}",
        "X-OpenStack-Nova-API-Version": str(version),
        "Vary": "OpenStack-API-Version, X-OpenStack-Nova-API-Version",
    }
