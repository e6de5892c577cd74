"""The metadata proxy: 169.254.169.254:80 inside each router (and isolated network's
DHCP) namespace, forwarding every request to the controller's metadata service with the
router or network it came through and the guest's address, so the controller finds the
instance by (network, fixed IP) even when two projects use the same addresses.

No extra daemon: the listening socket is made inside the namespace by a short-lived
thread (``setns`` changes only the calling thread), then served from this process."""

from __future__ import annotations

import ctypes
import logging
import os
import socket
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from runtime.network.agent.controller import SECRET_HEADER, ControllerClient

log = logging.getLogger("haneul.network.agent")

ADDRESS = "169.254.169.254"
PORT = 80
NETNS_DIR = "/run/netns"
IP_FREEBIND = 15
CLONE_NEWNET = 0x40000000


def _setns(fd: int) -> None:
    # os.setns arrives with Python 3.12; libc's is the same call.
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))
HEADERS = {"router": "X-Neutron-Router-ID", "network": "X-Neutron-Network-ID"}


def enter(namespace: str) -> None:
    """Move the calling thread (only it) into ``namespace``."""
    with open(f"{NETNS_DIR}/{namespace}") as target:
        _setns(target.fileno())


def listen_in(namespace: str, address: str = ADDRESS, port: int = PORT) -> socket.socket:
    """A listening TCP socket that lives in ``namespace``."""
    result: dict[str, Any] = {}

    def make() -> None:
        try:
            enter(namespace)
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.IPPROTO_IP, IP_FREEBIND, 1)
            sock.bind((address, port))
            sock.listen(64)
            result["sock"] = sock
        except Exception as exc:  # handed to the caller
            result["error"] = exc

    # The thread ends right after: its namespace switch never leaks into other work.
    thread = threading.Thread(target=make, name=f"metadata-listen-{namespace}")
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    sock: socket.socket = result["sock"]
    return sock


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    controller: ControllerClient
    identity: tuple[str, str]


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("metadata %s: " + format, self.client_address[0], *args)

    def do_GET(self) -> None:
        self._forward(send_body=True)

    def do_HEAD(self) -> None:
        self._forward(send_body=False)

    def _forward(self, send_body: bool) -> None:
        kind, ident = self.server.identity
        if not self.path.startswith("/") or ".." in self.path.split("?")[0].split("/"):
            self._reply(400, b"Bad Request\n", "text/plain", send_body)
            return
        controller = self.server.controller
        req = urllib.request.Request(controller.base + "/metadata" + self.path)
        req.add_header(SECRET_HEADER, controller.secret)
        req.add_header(HEADERS[kind], ident)
        req.add_header("X-Forwarded-For", self.client_address[0])
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                status, body = resp.status, resp.read()
                ctype = resp.headers.get("Content-Type", "text/plain")
        except urllib.error.HTTPError as err:
            status, body = err.code, err.read()
            ctype = err.headers.get("Content-Type", "text/plain")
        except OSError as exc:
            log.warning("metadata request for %s %s failed: %s", kind, ident, exc)
            status, body, ctype = 502, b"Metadata service unavailable\n", "text/plain"
        self._reply(status, body, ctype, send_body)

    def _reply(self, status: int, body: bytes, ctype: str, send_body: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body:
            self.wfile.write(body)


class MetadataProxies:
    """One proxy per namespace, made on first need and stopped with the namespace."""

    def __init__(self, controller: ControllerClient) -> None:
        self.controller = controller
        self._servers: dict[str, _Server] = {}
        self._lock = threading.Lock()

    def ensure(self, namespace: str, kind: str, ident: str) -> None:
        with self._lock:
            running = self._servers.get(namespace)
            if running is not None and running.identity == (kind, ident):
                return
            if running is not None:
                self._shutdown(namespace)
            sock = listen_in(namespace)
            server = _Server((ADDRESS, PORT), _Handler, bind_and_activate=False)
            server.socket.close()
            server.socket = sock
            server.server_address = sock.getsockname()
            server.controller = self.controller
            server.identity = (kind, ident)
            threading.Thread(target=server.serve_forever, name=f"metadata-{namespace}",
                             daemon=True).start()
            self._servers[namespace] = server
            log.info("metadata proxy serving %s %s in %s", kind, ident, namespace)

    def stop(self, namespace: str) -> None:
        with self._lock:
            self._shutdown(namespace)

    def _shutdown(self, namespace: str) -> None:
        server = self._servers.pop(namespace, None)
        if server is not None:
            server.shutdown()
            server.server_close()

    def close(self) -> None:
        with self._lock:
            for namespace in list(self._servers):
                self._shutdown(namespace)
