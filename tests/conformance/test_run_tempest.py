"""Unit tests for the conformance harness's own logic (no Tempest, no cloud).

Run: pytest tests/conformance/test_run_tempest.py
"""

from __future__ import annotations

import datetime as dt
import struct
import zlib
from pathlib import Path

import run_tempest as rt


def _number(value: int) -> bytes:
    if value < 0x40:
        return bytes([value])
    if value < 0x4000:
        return struct.pack(">H", value | 0x4000)
    if value < 0x400000:
        value |= 0x800000
        return struct.pack(">H", value >> 8) + bytes([value & 0xFF])
    return struct.pack(">I", value | 0xC0000000)


def _string(text: str) -> bytes:
    raw = text.encode()
    return _number(len(raw)) + raw


def encode(
    test_id: str,
    status: str | None,
    *,
    file_name: str | None = None,
    file_bytes: bytes = b"",
    when: dt.datetime | None = None,
) -> bytes:
    """A subunit v2 packet, as python-subunit's StreamResultToBytes writes it."""
    flags = 0x2000 | 0x0800 | 0x0100 | rt._STATUSES.index(status)
    body = b""
    if when is not None:
        flags |= 0x0200
        since = when - rt._EPOCH
        body += struct.pack(">I", int(since.total_seconds())) + _number(since.microseconds * 1000)
    body += _string(test_id)
    if file_name is not None:
        flags |= 0x0040 | 0x0010
        body += _string(file_name) + _number(len(file_bytes)) + file_bytes
    base = 1 + 2 + len(body) + 4
    size = 1 if base <= 62 else 2 if base <= 16381 else 3
    head = bytes([0xB3]) + struct.pack(">H", flags) + _number(base + size)
    content = head + body
    return content + struct.pack(">I", zlib.crc32(content) & 0xFFFFFFFF)


T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
T1 = T0 + dt.timedelta(seconds=2, microseconds=500000)
PASS_ID = "tempest.api.identity.v3.test_tokens.TokensV3Test.test_create_token[id-1,smoke]"
FAIL_ID = "tempest.api.identity.admin.v3.test_roles.RolesV3TestJSON.test_x[id-2]"
SKIP_CLASS = "tempest.api.identity.v3.test_users.IdentityV3UsersTest"


def stream() -> bytes:
    return b"".join(
        [
            encode(PASS_ID, "inprogress", when=T0),
            encode(PASS_ID, "success", when=T1),
            encode(FAIL_ID, "inprogress", when=T0),
            encode(FAIL_ID, None, file_name="traceback", file_bytes=b"Traceback\nBoom: 409\n"),
            encode(FAIL_ID, "fail", when=T1),
            encode(f"setUpClass ({SKIP_CLASS})", None, file_name="reason", file_bytes=b"off"),
            encode(f"setUpClass ({SKIP_CLASS})", "skip", when=T1),
            encode(f"{SKIP_CLASS}.test_lockout[id-3]", "inprogress"),
            encode("big", "success", file_name="log", file_bytes=b"x" * 70000),
        ]
    )


def parse(chunks: list[bytes]) -> dict[str, rt.TestResult]:
    reader = rt.SubunitReader()
    collector = rt.ResultCollector()
    for chunk in chunks:
        for packet in reader.feed(chunk):
            collector.add(packet)
    for packet in reader.finish():
        collector.add(packet)
    return collector.results


def test_stable_id_strips_attributes() -> None:
    assert rt.stable_id(PASS_ID) == PASS_ID.split("[")[0]
    assert rt.stable_id("a.B.test_c") == "a.B.test_c"


def test_parses_statuses_times_and_attachments() -> None:
    results = parse([stream()])
    ok = results[rt.stable_id(PASS_ID)]
    assert ok.status == "success"
    assert ok.seconds == 2.5
    bad = results[rt.stable_id(FAIL_ID)]
    assert bad.status == "fail"
    assert bad.reason == "Boom: 409"
    assert len(results["big"].attachments["log"]) == 70000


def test_byte_at_a_time_and_junk_give_the_same_results() -> None:
    data = stream()
    whole = {k: v.status for k, v in parse([data]).items()}
    split = {k: v.status for k, v in parse([data[i : i + 1] for i in range(len(data))]).items()}
    assert split == whole
    cut = data.index(b"\xb3", 10)
    junk = b"noise \xb3\x20\x05 more noise\n"
    dirty = {k: v.status for k, v in parse([data[:cut] + junk + data[cut:]]).items()}
    assert dirty == whole


def test_classify_inherits_class_skip_and_marks_missing() -> None:
    results = parse([stream()])
    listed = [
        rt.stable_id(PASS_ID),
        rt.stable_id(FAIL_ID),
        f"{SKIP_CLASS}.test_lockout",
        "tempest.api.identity.v3.test_other.Other.test_never_ran",
    ]
    final = rt.classify(listed, results)
    assert final[rt.stable_id(PASS_ID)].status == "success"
    assert final[rt.stable_id(FAIL_ID)].status == "fail"
    assert final[f"{SKIP_CLASS}.test_lockout"].status == "skip"
    assert final[f"{SKIP_CLASS}.test_lockout"].reason == "off"
    assert final["tempest.api.identity.v3.test_other.Other.test_never_ran"].status == "missing"


def test_list_round_trip_keeps_header_sorts_and_ignores_comments(tmp_path: Path) -> None:
    path = tmp_path / "identity.txt"
    path.write_text("# header\n\nz.Z.test_b[id-9]\n# note\na.A.test_a\n", encoding="utf-8")
    header, ids = rt.read_list(path)
    assert header == ["# header"]
    assert ids == {"a.A.test_a", "z.Z.test_b"}
    rt.write_list(path, header, ids | {"m.M.test_m"})
    assert path.read_text(encoding="utf-8") == "# header\na.A.test_a\nm.M.test_m\nz.Z.test_b\n"


def test_config_turns_off_other_services_and_applies_overrides(tmp_path: Path) -> None:
    args = rt.parse_args(["--password", "pw", "--set", "identity.use_system_token=True"])
    conf = rt.build_config(args, tmp_path)
    assert conf["identity"]["uri_v3"] == "http://127.0.0.1:5000/identity/v3"
    assert conf["identity"]["use_system_token"] == "True"
    assert conf["identity-feature-enabled"]["api_v2"] == "False"
    assert conf["auth"]["admin_password"] == "pw"
    services = ("nova", "glance", "neutron", "cinder", "swift", "horizon")
    assert {conf["service_available"][name] for name in services} == {"False"}
    conf = rt.build_config(rt.parse_args(["--service", "image"]), tmp_path)
    assert conf["service_available"]["glance"] == "True"
