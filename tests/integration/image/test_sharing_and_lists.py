"""Who sees which image: visibility, members accepting and rejecting, list filters,
sorting and marker pages."""

from __future__ import annotations

from tests.integration.image.conftest import ImageApi, User, make_user


def ids(images: list[dict]) -> list[str]:
    return [i["id"] for i in images]


def listed(api: ImageApi, token: str, query: str = "") -> list[str]:
    r = api.image("GET", "/images" + query, token)
    assert r.status_code == 200, r.text
    return ids(r.json()["images"])


def test_private_images_stay_private(image_api: ImageApi, alice: User, bob: User) -> None:
    image = image_api.create(token=alice.token, visibility="private")
    assert image["id"] not in listed(image_api, bob.token)
    assert image_api.image("GET", f"/images/{image['id']}", bob.token).status_code == 404
    assert image_api.image("DELETE", f"/images/{image['id']}", bob.token).status_code == 404
    assert image["id"] in listed(image_api, alice.token)


def test_member_accepts_then_sees_and_owner_cannot_accept(image_api: ImageApi, alice: User,
                                                          bob: User) -> None:
    image = image_api.create(token=alice.token)
    members = f"/images/{image['id']}/members"
    r = image_api.image("POST", members, alice.token, json={"member": bob.project_id})
    assert r.status_code == 200 and r.json()["status"] == "pending"
    assert image_api.image("POST", members, alice.token,
                           json={"member": bob.project_id}).status_code == 409
    # Pending: bob can look at it but it is not in his default list.
    assert image["id"] not in listed(image_api, bob.token)
    assert image["id"] in listed(image_api, bob.token,
                                 "?visibility=shared&member_status=pending")
    mine = f"{members}/{bob.project_id}"
    assert image_api.image("PUT", mine, alice.token,
                           json={"status": "accepted"}).status_code == 403
    assert image_api.image("PUT", mine, bob.token, json={"status": "bogus"}).status_code == 400
    r = image_api.image("PUT", mine, bob.token, json={"status": "accepted"})
    assert r.status_code == 200 and r.json()["status"] == "accepted"
    assert image["id"] in listed(image_api, bob.token)
    assert [m["member_id"] for m in image_api.image("GET", members, bob.token).json()[
        "members"]] == [bob.project_id]
    # A member may not change the image, and rejecting hides it again.
    r = image_api.image("PATCH", f"/images/{image['id']}", bob.token, json=[],
                        headers={"Content-Type": "application/openstack-images-v2.1-json-patch"})
    assert r.status_code == 403
    image_api.image("PUT", mine, bob.token, json={"status": "rejected"})
    assert image["id"] not in listed(image_api, bob.token)
    assert image_api.image("DELETE", mine, alice.token).status_code == 204
    assert image_api.image("GET", f"/images/{image['id']}", bob.token).status_code == 404


def test_only_shared_images_have_members(image_api: ImageApi, alice: User) -> None:
    image = image_api.create(token=alice.token, visibility="private")
    r = image_api.image("POST", f"/images/{image['id']}/members", alice.token,
                        json={"member": "x"})
    assert r.status_code == 403


def test_filters_sort_and_pages(image_api: ImageApi) -> None:
    carol = make_user(image_api, "carol")
    made = []
    for i, fmt in enumerate(("raw", "qcow2", "raw", "iso")):
        image = image_api.create(token=carol.token, name=f"list-{i}", disk_format=fmt,
                                 tags=["even" if i % 2 == 0 else "odd"], os_distro=f"d{i}")
        if fmt == "raw":
            image_api.upload(image["id"], b"x" * (100 * (i + 1)), carol.token)
        made.append(image["id"])
    hidden = image_api.create(token=carol.token, os_hidden=True)
    everything = listed(image_api, carol.token)
    assert set(made) <= set(everything) and hidden["id"] not in everything
    assert listed(image_api, carol.token, "?os_hidden=true") == [hidden["id"]]
    assert listed(image_api, carol.token, "?disk_format=raw") == [made[2], made[0]]
    assert listed(image_api, carol.token, "?tag=odd") == [made[3], made[1]]
    assert listed(image_api, carol.token, "?os_distro=d1") == [made[1]]
    assert listed(image_api, carol.token, "?size_min=150&size_max=400") == [made[2]]
    assert listed(image_api, carol.token, "?status=active&sort=size:asc") == [made[0],
                                                                              made[2]]
    assert listed(image_api, carol.token, "?name=in:list-1,list-3") == [made[3], made[1]]
    assert listed(image_api, carol.token, "?sort_key=name&sort_dir=asc") == made
    assert image_api.image("GET", "/images?sort_key=bogus", carol.token).status_code == 400
    assert image_api.image("GET", "/images?sort=name&sort_key=name",
                           carol.token).status_code == 400
    # Pages of two, followed through "next" as clients do.
    seen: list[str] = []
    url = "/v2/images?sort_key=name&sort_dir=asc&limit=2"
    while url:
        body = image_api.image("GET", url.removeprefix("/v2"), carol.token).json()
        assert body["first"] == "/v2/images?sort_key=name&sort_dir=asc&limit=2"
        assert body["schema"] == "/v2/schemas/images"
        seen += ids(body["images"])
        url = body.get("next", "")
    assert seen == made
    assert image_api.image("GET", "/images?marker=nope", carol.token).status_code == 400
