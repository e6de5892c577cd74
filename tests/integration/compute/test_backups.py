"""createBackup: a snapshot marked as a backup of its server and type, rotated so only
the newest ``rotation`` remain; and how snapshots show in Nova's image proxy."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.integration.compute.conftest import ComputeCloud
from tests.integration.compute.test_api_shapes import call
from tests.integration.compute.test_server_lifecycle import active, delete


def backup(cc: ComputeCloud, server_id: str, version: str, **args: Any) -> Any:
    body = {"name": "bk-" + uuid.uuid4().hex[:6], "backup_type": "daily", "rotation": 2,
            **args}
    return call(cc, "POST", f"/v2.1/servers/{server_id}/action", version,
                json={"createBackup": body})


def backups_of(cc: ComputeCloud, server_id: str, backup_type: str) -> list[str]:
    """The ids of the server's backups of that type, oldest first, as Glance lists them
    (as Tempest asks: openstacksdk drops filters by arbitrary properties)."""
    r = httpx.get(cc.cloud.url + "/image/v2/images", timeout=30,
                  headers={"X-Auth-Token": cc.conn.auth_token},
                  params={"image_type": "backup", "backup_type": backup_type,
                          "instance_uuid": server_id, "sort_key": "created_at",
                          "sort_dir": "asc"})
    return [i["id"] for i in r.json()["images"]]


def test_backups_rotate_out_the_oldest(compute_cloud: ComputeCloud) -> None:
    cc = compute_cloud
    server = active(cc)
    made = []
    for _ in range(3):
        r = backup(cc, server.id, "2.45", metadata={"why": "nightly"})
        assert r.status_code == 202 and "location" not in r.headers
        made.append(r.json()["image_id"])
        cc.wait_status(server.id, "ACTIVE")
    kept = backups_of(cc, server.id, "daily")
    assert kept == made[1:]
    newest = cc.conn.image.get_image(made[2])
    assert newest.status == "active" and newest.owner == server.project_id
    assert {k: newest.properties.get(k) for k in ("image_type", "backup_type", "why")} == {
        "image_type": "backup", "backup_type": "daily", "why": "nightly"}
    assert newest.instance_uuid == server.id
    assert cc.conn.image.find_image(made[0]) is None
    actions = [a.action for a in cc.conn.compute.server_actions(server)]
    assert actions.count("createBackup") == 3
    # Other backup types rotate on their own.
    weekly = backup(cc, server.id, "2.1", backup_type="weekly", rotation=1)
    assert weekly.status_code == 202
    weekly_id = weekly.headers["location"].rsplit("/", 1)[-1]
    assert weekly.headers["location"].endswith(f"/compute/v2.1/images/{weekly_id}")
    cc.wait_status(server.id, "ACTIVE")
    assert backups_of(cc, server.id, "weekly") == [weekly_id]
    assert len(backups_of(cc, server.id, "daily")) == 2
    # A rotation of 0 keeps none, so there is no image to point at.
    none = backup(cc, server.id, "2.1", backup_type="weekly", rotation=0)
    assert none.status_code == 202 and "location" not in none.headers
    cc.wait_status(server.id, "ACTIVE")
    assert backups_of(cc, server.id, "weekly") == []
    for image in backups_of(cc, server.id, "daily"):
        cc.conn.image.delete_image(image)
    delete(cc, server)


def test_bad_backup_requests(compute_cloud: ComputeCloud) -> None:
    cc = compute_cloud
    server = active(cc)
    for bad in ({"rotation": -1}, {"rotation": "two"}, {"backup_type": None},
                {"bogus": 1}, {"name": ""}):
        r = backup(cc, server.id, "2.45", **bad)
        assert r.status_code == 400 and "badRequest" in r.json(), bad
    r = call(cc, "POST", f"/v2.1/servers/{server.id}/action", "2.45",
             json={"createBackup": {"name": "x", "backup_type": "daily"}})
    assert r.status_code == 400 and "'rotation' is a required property" in r.text
    assert backup(cc, str(uuid.uuid4()), "2.45").status_code == 404
    cc.conn.compute.stop_server(server)
    cc.wait_status(server.id, "SHUTOFF")
    # A stopped server is backed up too, and stays stopped.
    r = backup(cc, server.id, "2.45", rotation=0)
    assert r.status_code == 202
    assert cc.wait_status(server.id, "SHUTOFF").task_state is None
    delete(cc, server)


def test_snapshots_in_the_image_proxy(compute_cloud: ComputeCloud) -> None:
    cc = compute_cloud
    server = active(cc)
    snap = cc.conn.compute.create_server_image(server, "snap-" + uuid.uuid4().hex[:6])
    cc.wait_status(server.id, "ACTIVE")
    shown = call(cc, "GET", f"/v2.1/images/{snap.id}").json()["image"]
    assert shown["status"] == "ACTIVE" and shown["metadata"]["image_type"] == "snapshot"
    assert shown["server"]["id"] == server.id
    assert shown["server"]["links"][0]["href"].endswith(f"/compute/v2.1/servers/{server.id}")
    by_server = call(cc, "GET", f"/v2.1/images?server={server.links[0]['href']}").json()
    assert [i["id"] for i in by_server["images"]] == [snap.id]
    snapshots = call(cc, "GET", "/v2.1/images/detail?type=snapshot").json()["images"]
    assert snap.id in [i["id"] for i in snapshots]
    assert cc.image_id not in [i["id"] for i in snapshots]
    cc.conn.image.delete_image(snap.id)
    delete(cc, server)
