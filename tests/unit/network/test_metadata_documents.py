"""The metadata documents a guest reads (OpenStack and EC2 style)."""

from __future__ import annotations

import json

from runtime.compute.client import InstanceMetadata
from runtime.network.service.metadata import Caller, answer

WHO = Caller("port-1", "server-1", "p", "10.0.0.5", "172.24.4.20")
INST = InstanceMetadata(id="server-1", name="web", hostname="web", project_id="p",
                        availability_zone="nova", launch_index=0, reservation_id="r-1",
                        metadata={"role": "web"}, key_name="k", key_data="ssh-ed25519 AAA",
                        user_data=b"#cloud-config\n")


def test_openstack_meta_data_json() -> None:
    found = answer("/openstack/latest/meta_data.json", WHO, INST)
    assert found.status == 200 and found.content_type == "application/json"
    data = json.loads(found.body)
    assert (data["uuid"], data["hostname"], data["meta"]) == ("server-1", "web",
                                                             {"role": "web"})
    assert data["public_keys"] == {"k": "ssh-ed25519 AAA"}
    assert answer("/openstack/2013-10-17/user_data", WHO, INST).body == b"#cloud-config\n"
    assert b"latest" in answer("/openstack", WHO, INST).body
    assert answer("/openstack/1999-01-01/meta_data.json", WHO, INST).status == 404


def test_ec2_style_keys() -> None:
    def text(path: str) -> str:
        return answer(path, WHO, INST).body.decode()

    assert "instance-id" in text("/latest/meta-data/").split("\n")
    assert text("/latest/meta-data/instance-id") == "server-1"
    assert text("/2009-04-04/meta-data/local-ipv4") == "10.0.0.5"
    assert text("/latest/meta-data/public-ipv4") == "172.24.4.20"
    assert text("/latest/meta-data/placement/availability-zone") == "nova"
    assert text("/latest/meta-data/public-keys/") == "0=k"
    assert text("/latest/meta-data/public-keys/0/openssh-key") == "ssh-ed25519 AAA"
    assert text("/latest/user-data") == "#cloud-config\n"
    assert answer("/latest/meta-data/nothing", WHO, INST).status == 404
