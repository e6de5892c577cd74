"""The all-in-one inventory the e2e test and bench/deploy deploy: every host function on
this machine (`ansible_connection: local`), with every path under a throwaway prefix and
the API on a port of the caller's choosing."""

from __future__ import annotations

from pathlib import Path


def aio_inventory(base: Path, port: int, database: str = "sqlite") -> str:
    paths = {"venv": "opt/venv", "dist_dir": "opt/dist", "config_dir": "etc",
             "state_dir": "state", "log_dir": "log", "run_dir": "run"}
    lines = [f"    haneul_{key}: {base / rel}" for key, rel in paths.items()]
    return "\n".join([
        "all:", "  vars:", "    haneul_api_bind: 127.0.0.1", f"    haneul_api_port: {port}",
        f"    haneul_database: {database}",
        *lines,
        f"    haneul_clouds_yaml: {base / 'clouds.yaml'}",
        f"    haneul_openrc: {base / 'openrc'}",
        f"    haneul_secrets_file: {base / 'secrets.yml'}",
        # The image cache is shared with the other e2e tests: one build per machine.
        f"    haneul_test_image_cache: {Path.home() / '.cache/haneul/images'}",
        "  hosts:", "    aio:", "      ansible_connection: local",
        "      ansible_host: 127.0.0.1",
        '      ansible_python_interpreter: "{{ ansible_playbook_python }}"',
        "  children:", "    control: {hosts: {aio: }}", "    network: {hosts: {aio: }}",
        "    compute: {hosts: {aio: }}", ""])
