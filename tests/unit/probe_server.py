"""A loopback API server for probe tests: the first path segment says how to answer.

`/200/...`, `/401/...` (any status) answer that status with a JSON body that quotes the request's credential back
(so a test can prove no server text reaches the output); `/scope403/...` answers 403 the way Anthropic's usage
endpoint refuses a setup-token that lacks the `user:profile` scope; `/hang/...` never answers; `/reset/...` reads
the request and resets the connection. Every request's method, path and headers are recorded.
"""

from __future__ import annotations

import json
import socket
import socketserver
import struct
import threading
from typing import Any, NamedTuple


class Seen(NamedTuple):
    method: str
    path: str
    headers: dict[str, str]


class ProbeServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.seen: list[Seen] = []
        self.release = threading.Event()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def url(self, behaviour: str) -> str:
        return f"{self.base_url}/{behaviour}"

    def __enter__(self) -> ProbeServer:
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release.set()
        self.shutdown()
        self.server_close()


class _Handler(socketserver.StreamRequestHandler):
    server: ProbeServer

    def handle(self) -> None:
        request_line = self.rfile.readline().decode("latin-1").strip()
        if not request_line:
            return
        method, path, _ = request_line.split(" ", 2)
        headers: dict[str, str] = {}
        while (line := self.rfile.readline().decode("latin-1")).strip():
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if length := int(headers.get("content-length", "0")):
            self.rfile.read(length)
        self.server.seen.append(Seen(method, path, headers))
        behaviour = path.split("/")[1]
        if behaviour == "hang":
            self.server.release.wait(60)
            return
        if behaviour == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return
        credential = headers.get("authorization") or headers.get("x-api-key") or headers.get("x-goog-api-key") or ""
        body = json.dumps(
            {"error": {"type": "authentication_error", "message": f"\x1b[31mbad credential {credential} \u202e"}}
        ).encode()
        if behaviour == "scope403":
            body = b'{"error": {"type": "permission_error", "message": "OAuth token does not meet scope requirement user:profile"}}'
        status = 403 if behaviour == "scope403" else int(behaviour)
        head = f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        self.wfile.write(head.encode() + body)
