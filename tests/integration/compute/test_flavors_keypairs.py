"""Flavors (extra specs, private access) and key pairs (import and generate) through
openstacksdk, and the same cloud through the real `openstack` CLI."""

from __future__ import annotations

import base64
import hashlib
import subprocess
import uuid

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from openstack import exceptions

from tests.integration.compute.conftest import ComputeCloud
from tests.support import BIN


def test_default_flavors_exist(compute_cloud: ComputeCloud) -> None:
    names = {f.name for f in compute_cloud.conn.compute.flavors()}
    assert {"m1.tiny", "m1.small", "m1.nano"} <= names


def test_private_flavor_with_extra_specs_and_access(compute_cloud: ComputeCloud) -> None:
    cc = compute_cloud
    conn = cc.conn.compute
    flavor = conn.create_flavor(name="private-" + uuid.uuid4().hex[:6], ram=256, vcpus=1,
                                disk=1, is_public=False)
    conn.create_flavor_extra_specs(flavor, {"hw:cpu_policy": "shared"})
    assert conn.fetch_flavor_extra_specs(flavor).extra_specs == {"hw:cpu_policy": "shared"}
    project = cc.conn.identity.create_project(name="fa-" + uuid.uuid4().hex[:6])
    conn.flavor_add_tenant_access(flavor, project.id)
    access = conn.get_flavor_access(flavor)
    assert [a["tenant_id"] for a in access] == [project.id]
    with pytest.raises(exceptions.ConflictException):
        conn.create_flavor(name=flavor.name, ram=256, vcpus=1, disk=1)
    conn.delete_flavor(flavor)
    with pytest.raises(exceptions.NotFoundException):
        conn.get_flavor(flavor.id)


def test_import_ed25519_key_with_novas_fingerprint(compute_cloud: ComputeCloud) -> None:
    key = ed25519.Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    pair = compute_cloud.conn.compute.create_keypair(name="ed-" + uuid.uuid4().hex[:6],
                                                     public_key=key)
    digest = hashlib.md5(base64.b64decode(key.split()[1])).hexdigest()
    assert pair.fingerprint == ":".join(digest[i:i + 2] for i in range(0, 32, 2))
    assert pair.type == "ssh"
    shown = compute_cloud.conn.compute.get_keypair(pair.name)
    assert shown.public_key == key
    compute_cloud.conn.compute.delete_keypair(pair)


def test_bad_public_key_is_400(compute_cloud: ComputeCloud) -> None:
    with pytest.raises(exceptions.BadRequestException, match="Keypair data is invalid"):
        compute_cloud.conn.compute.create_keypair(name="bad", public_key="ssh-rsa nope")


def test_openstack_cli(compute_cloud: ComputeCloud) -> None:
    cloud = compute_cloud.cloud
    # Without a public key the client generates the pair and prints the private key.
    private = cloud.openstack("keypair", "create", "cli-key")
    assert "PRIVATE KEY" in private
    assert cloud.openstack("keypair", "show", "cli-key")["name"] == "cli-key"
    server = cloud.openstack("server", "create", "--image", compute_cloud.image_id,
                             "--flavor", "m1.nano", "--key-name", "cli-key", "--nic", "none",
                             "--wait", "cli-server")
    assert server["status"] == "ACTIVE" and server["key_name"] == "cli-key"
    listed = cloud.openstack("server", "list")
    assert any(row["Name"] == "cli-server" and row["Status"] == "ACTIVE" for row in listed)
    # `console log show` prints plain text (it takes no -f), so it runs here directly.
    log = subprocess.run([str(BIN / "openstack"), "console", "log", "show", "cli-server"],
                         env=cloud.env, capture_output=True, text=True, check=True).stdout
    assert f"instance-id={server['id']}" in log
    cloud.openstack("server", "delete", "--wait", "cli-server")
    assert not any(row["Name"] == "cli-server" for row in cloud.openstack("server", "list"))
    cloud.openstack("keypair", "delete", "cli-key")
