"""The SSH test of the hosts step, against an SSH server of our own on loopback."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import paramiko
import pytest

from tui.install.ssh import ParamikoChecker


class Server(paramiko.ServerInterface):
    """Accepts one public key for root and answers `python3 --version`."""

    def __init__(self, allowed: paramiko.PKey) -> None:
        self.allowed = allowed
        self.command = b""
        self.executed = threading.Event()

    def get_allowed_auths(self, username: str) -> str:
        return "publickey"

    def check_auth_publickey(self, username: str, key: paramiko.PKey) -> int:
        ok = username == "root" and key == self.allowed
        return paramiko.AUTH_SUCCESSFUL if ok else paramiko.AUTH_FAILED

    def check_channel_request(self, kind: str, chanid: int) -> int:
        return paramiko.OPEN_SUCCEEDED if kind == "session" else \
            paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

    def check_channel_exec_request(self, channel: paramiko.Channel, command: bytes) -> bool:
        self.command = command
        self.executed.set()
        return True


@pytest.fixture
def no_own_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the key a test gives: not the agent's, not ~/.ssh's."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[int, Server, Path]]:
    client_key = paramiko.ECDSAKey.generate()
    key_file = tmp_path / "id_ecdsa"
    client_key.write_private_key_file(str(key_file))
    server = Server(paramiko.ECDSAKey(data=client_key.asbytes()))
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def serve() -> None:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        with paramiko.Transport(conn) as transport:
            transport.add_server_key(paramiko.ECDSAKey.generate())
            transport.start_server(server=server)
            channel = transport.accept(timeout=10)
            if channel is not None and server.executed.wait(10):
                channel.sendall(b"Python 3.11.7\n")
                channel.send_exit_status(0)
                channel.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1], server, key_file
    listener.close()
    thread.join(10)


def test_a_host_that_takes_the_key_and_has_python(
        server: tuple[int, Server, Path], no_own_keys: None) -> None:
    port, srv, key_file = server
    result = ParamikoChecker(timeout=10).check("127.0.0.1", "root", port, str(key_file))
    assert result.ok, result.message
    assert result.message.startswith("ok (Python 3.11.7, new host key ecdsa-sha2-nistp256 ")
    assert srv.command == b"python3 --version"


def test_a_key_the_host_refuses(server: tuple[int, Server, Path], tmp_path: Path,
                                no_own_keys: None) -> None:
    port, _srv, _key = server
    other = tmp_path / "other"
    paramiko.ECDSAKey.generate().write_private_key_file(str(other))
    result = ParamikoChecker(timeout=10).check("127.0.0.1", "root", port, str(other))
    assert not result.ok
    assert "key not accepted" in result.message
    assert "ssh-copy-id root@127.0.0.1" in result.message


def test_ssh_checker_reports_a_refused_connection() -> None:
    # A port on loopback that nothing listens on: the only place a test may connect.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = ParamikoChecker(timeout=2).check("127.0.0.1", "root", port, "")
    assert not result.ok
    assert f"127.0.0.1:{port}" in result.message


def test_a_key_that_cannot_be_read(tmp_path: Path, no_own_keys: None) -> None:
    broken = tmp_path / "broken"
    broken.write_text("not a key\n")
    result = ParamikoChecker(timeout=2).check("127.0.0.1", "root", 22, str(broken))
    assert not result.ok and result.message.startswith(f"cannot use the key {broken}")
