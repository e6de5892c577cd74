"""The same runtime on PostgreSQL: migrations, bootstrap and the real clients."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import Cloud, bootstrap, free_port, start

PG_BIN = sorted(glob.glob("/usr/lib/postgresql/*/bin"))


def _as_postgres(*cmd: str) -> subprocess.CompletedProcess[str]:
    # initdb and postgres refuse to run as root: run them as the distribution's user.
    return subprocess.run(["runuser", "-u", "postgres", "--", *cmd], capture_output=True,
                          text=True, timeout=120, check=True)


@pytest.fixture
def postgres() -> Iterator[str]:
    if not PG_BIN:
        pytest.skip("PostgreSQL server binaries are not installed (scripts/install adds them)")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg is not installed")
    bindir = PG_BIN[-1]
    # Outside pytest's tmp tree: its parent is private to root and postgres must enter.
    data = Path(tempfile.mkdtemp(prefix="haneul-pg-"))
    uid = pwd.getpwnam("postgres")
    os.chown(data, uid.pw_uid, uid.pw_gid)
    port = free_port()
    _as_postgres(f"{bindir}/initdb", "-D", str(data), "-A", "trust", "-U", "haneul")
    _as_postgres(f"{bindir}/pg_ctl", "-D", str(data), "-l", str(data / "log"), "-w", "-o",
                 f"-k {data} -p {port} -c listen_addresses=127.0.0.1", "start")
    try:
        _as_postgres(f"{bindir}/createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "haneul",
                     "haneul")
        yield f"postgresql+psycopg://haneul@127.0.0.1:{port}/haneul"
    finally:
        _as_postgres(f"{bindir}/pg_ctl", "-D", str(data), "-m", "fast", "-w", "stop")
        shutil.rmtree(data, ignore_errors=True)


def test_identity_on_postgresql_with_two_api_nodes(tmp_path: Path, postgres: str) -> None:
    state = tmp_path / "state"
    cloud = start(bootstrap(state, free_port(), f'[database]\nurl = "{postgres}"\n'))
    try:
        project = cloud.openstack("project", "create", "pg-demo")
        user = cloud.openstack("user", "create", "--password", "pw-12345", "--project",
                               project["id"], "pg-user")
        cloud.openstack("role", "add", "--user", user["id"], "--project", project["id"],
                        "member")
        # A second API node on the same database sees the grant at once.
        second = Cloud(state=state, port=free_port(), config=state / "node2.toml",
                       clouds_yaml=cloud.clouds_yaml)
        second.config.write_text(cloud.config.read_text().replace(
            f"port = {cloud.port}", f"port = {second.port}"))
        start(second)
        try:
            conn = second.sdk(username="pg-user", password="pw-12345",
                              project_id=project["id"])
            assert conn.auth_token
            assigned = cloud.openstack("role", "assignment", "list", "--user", user["id"],
                                       "--project", project["id"], "--names")
            assert [a["Role"] for a in assigned] == ["member"]
        finally:
            second.stop()
    finally:
        cloud.stop()
