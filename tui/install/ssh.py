"""Testing that a host can be reached the way Ansible will reach it.

The hosts step calls a `SshChecker` from a worker (it blocks on the network); tests
inject their own checker, so no test connects anywhere but loopback.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol


@dataclass(frozen=True)
class SshResult:
    ok: bool
    message: str


class SshChecker(Protocol):
    def check(self, address: str, user: str, port: int, key_file: str) -> SshResult: ...


class ParamikoChecker:
    """Log in with keys (as Ansible does, never a password) and run python3."""

    def __init__(self, timeout: float = 8.0) -> None:
        self.timeout = timeout

    def check(self, address: str, user: str, port: int, key_file: str) -> SshResult:
        import paramiko  # only when a host is tested: it is slow to import

        client = paramiko.SSHClient()
        client.load_system_host_keys()
        # A first connection to a new host is normal during an install: its key is
        # shown to the operator (never written anywhere), and Ansible's own host key
        # checking still applies when the deployment runs.
        seen: list[str] = []

        class Show(paramiko.MissingHostKeyPolicy):
            def missing_host_key(self, _client: object, _host: str, key: Any) -> None:
                seen.append(f"new host key {key.get_name()} {key.fingerprint}")

        client.set_missing_host_key_policy(Show())
        pkey = None
        if key_file:
            # Loaded here, not by connect(): its errors for a key of one type tried as
            # another would hide the real answer (refused, or encrypted).
            try:
                pkey = paramiko.PKey.from_path(Path(key_file).expanduser())
            except paramiko.PasswordRequiredException:
                return SshResult(False, f"{key_file} is encrypted: add it to ssh-agent "
                                        "and leave the key field empty")
            except (OSError, paramiko.SSHException, ValueError) as err:
                return SshResult(False, f"cannot use the key {key_file}: {err}")
        try:
            client.connect(address, port=port, username=user or "root", pkey=pkey,
                           timeout=self.timeout, banner_timeout=self.timeout,
                           auth_timeout=self.timeout, allow_agent=True,
                           look_for_keys=pkey is None)
            _stdin, stdout, _stderr = client.exec_command("python3 --version",
                                                          timeout=self.timeout)
            version = stdout.read().decode(errors="replace").strip()
            if stdout.channel.recv_exit_status() != 0:
                return SshResult(False, "logged in, but python3 is missing: install it")
            return SshResult(True, f"ok ({', '.join([version, *seen])})")
        except paramiko.AuthenticationException:
            return SshResult(False, f"{user}@{address}: key not accepted; copy your key "
                                    f"with ssh-copy-id {user}@{address}")
        except (OSError, paramiko.SSHException) as err:
            return SshResult(False, f"{address}:{port}: {err}")
        finally:
            client.close()
