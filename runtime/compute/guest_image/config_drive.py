"""The OpenStack config drive: an ISO 9660 volume labelled ``config-2``.

Layout, as Nova writes it and cloud-init and the haneul-test image read it::

    openstack/<version>/meta_data.json      uuid, hostname, name, public_keys, keys, ...
    openstack/<version>/user_data           raw bytes, when there is user data
    openstack/<version>/network_data.json   links, networks, services
    openstack/<version>/vendor_data.json    {}
    openstack/<version>/vendor_data2.json   {}
    ec2/latest/meta-data.json               instance-id, hostname, public-keys (EC2 names)
    ec2/latest/user-data                    the same user data

``<version>`` is ``latest`` plus the dated versions in :data:`OPENSTACK_VERSIONS`.
:func:`config_drive_files` is pure (what goes where); :func:`build_config_drive` writes
the ISO with genisoimage (or xorriso's ``-as mkisofs``), the flags Nova uses.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

LABEL = "config-2"
# Versions a reader may ask for; "latest" is what readers try first.
OPENSTACK_VERSIONS: tuple[str, ...] = ("2012-08-10", "2013-04-04", "2013-10-17", "2015-10-15",
                                       "2016-06-30", "2016-10-06", "2017-02-22", "2018-08-27",
                                       "latest")


class ConfigDriveError(RuntimeError):
    """No ISO 9660 writer on this host, or it failed."""


def _json(value: Any) -> bytes:
    return json.dumps(value, indent=2, sort_keys=True).encode()


def ec2_metadata(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """The EC2-style view of the OpenStack metadata (``ec2/latest/meta-data.json``)."""
    hostname = str(metadata.get("hostname", ""))
    keys = metadata.get("public_keys") or {}
    return {
        "instance-id": metadata.get("uuid", ""),
        "hostname": hostname,
        "local-hostname": hostname,
        "public-hostname": hostname,
        "placement": {"availability-zone": metadata.get("availability_zone", "")},
        "public-keys": {str(i): {"openssh-key": key}
                        for i, (_name, key) in enumerate(sorted(keys.items()))},
    }


def config_drive_files(metadata: Mapping[str, Any], user_data: bytes | str | None = None,
                       network_data: Mapping[str, Any] | None = None,
                       vendor_data: Mapping[str, Any] | None = None) -> dict[str, bytes]:
    """``path -> content`` of every file on the drive.

    ``metadata`` is the meta_data.json document (``uuid``, ``hostname``, ``name``,
    ``public_keys`` as ``{name: key}``, ``launch_index``, ``availability_zone``, ``meta``...);
    a ``keys`` list is derived from ``public_keys`` when absent, as Nova writes both.
    """
    meta = dict(metadata)
    if "public_keys" in meta and "keys" not in meta:
        meta["keys"] = [{"name": name, "type": "ssh", "data": key}
                        for name, key in sorted(meta["public_keys"].items())]
    if isinstance(user_data, str):
        user_data = user_data.encode()
    network = dict(network_data) if network_data is not None else {
        "links": [], "networks": [], "services": []}
    files: dict[str, bytes] = {}
    for version in OPENSTACK_VERSIONS:
        base = f"openstack/{version}"
        files[f"{base}/meta_data.json"] = _json(meta)
        files[f"{base}/network_data.json"] = _json(network)
        files[f"{base}/vendor_data.json"] = _json(dict(vendor_data or {}))
        files[f"{base}/vendor_data2.json"] = _json({})
        if user_data is not None:
            files[f"{base}/user_data"] = user_data
    files["ec2/latest/meta-data.json"] = _json(ec2_metadata(meta))
    if user_data is not None:
        files["ec2/latest/user-data"] = user_data
    return files


def iso_writer() -> list[str]:
    """The command that writes an ISO with mkisofs' flags, whichever tool is present."""
    if genisoimage := shutil.which("genisoimage"):
        return [genisoimage]
    if xorriso := shutil.which("xorriso"):
        return [xorriso, "-as", "mkisofs"]
    raise ConfigDriveError("no ISO writer: apt-get install genisoimage (or xorriso)")


def write_iso(files: Mapping[str, bytes], iso: Path, label: str = LABEL) -> Path:
    with tempfile.TemporaryDirectory(prefix="haneul-configdrive-") as tmp:
        root = Path(tmp)
        for rel, content in files.items():
            dest = root / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(content)
        # Nova's flags: Rock Ridge and Joliet keep lowercase, long, dotted names intact.
        argv = [*iso_writer(), "-o", str(iso), "-ldots", "-allow-lowercase",
                "-allow-multidot", "-l", "-publisher", "haneul", "-quiet", "-J", "-r",
                "-V", label, str(root)]
        proc = subprocess.run(argv, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise ConfigDriveError(f"{argv[0]} failed: {proc.stderr.strip()}")
    return iso


def build_config_drive(iso: Path, metadata: Mapping[str, Any],
                       user_data: bytes | str | None = None,
                       network_data: Mapping[str, Any] | None = None,
                       vendor_data: Mapping[str, Any] | None = None) -> Path:
    """Write the config drive for one instance to ``iso``; returns ``iso``."""
    return write_iso(config_drive_files(metadata, user_data, network_data, vendor_data), iso)
