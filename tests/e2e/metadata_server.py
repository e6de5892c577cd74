"""A one-connection HTTP server on stdin/stdout: the guest's metadata service in tests.

QEMU user networking runs it for each connection the guest opens to 169.254.169.254:80
(``guestfwd=tcp:169.254.169.254:80-cmd:python metadata_server.py DIR``), so no port is
opened on the host. Serves files under DIR; a directory serves its ``index`` file (the
EC2 listings).
"""

from __future__ import annotations

import sys
from pathlib import Path


def respond(root: Path, request_line: str) -> bytes:
    parts = request_line.split()
    target = (root / (parts[1] if len(parts) > 1 else "/").lstrip("/")).resolve()
    if target.is_dir():
        target = target / "index"
    if target.is_relative_to(root.resolve()) and target.is_file():
        body = target.read_bytes()
        return b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body
    return b"HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n"


def main() -> None:
    request = sys.stdin.buffer.readline().decode(errors="replace")
    while sys.stdin.buffer.readline() not in (b"\r\n", b"\n", b""):
        pass  # headers
    sys.stdout.buffer.write(respond(Path(sys.argv[1]), request))
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    main()
