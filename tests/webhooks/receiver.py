"""A real HTTP receiver on loopback for webhook tests, scripted answer by answer.

with Receiver(answers=[503, 200]) as receiver:   # then 200 for every later request
    receiver.url                                 # "http://127.0.0.1:<port>/hook"
    receiver.requests                            # every request: headers and body
    receiver.hold.set()                          # answer nothing until released
    receiver.stop() / receiver.start()           # down for a while, back on the same port
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

from tests.fixtures.redis_server import free_port


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


class Receiver:
    def __init__(self, answers: list[int] | None = None, port: int | None = None) -> None:
        self.port = port or free_port()
        self.answers = list(answers or [])
        self.requests: list[Received] = []
        self.redirect_to: str | None = None
        self.retry_after: str | None = None
        # Bytes of the answer's body (a receiver that talks too much).
        self.body_size: int | None = None
        # While set, requests wait (never answered) until it is cleared or the server stops.
        self.hold = threading.Event()
        self.arrived = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                receiver.requests.append(
                    Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
                receiver.arrived.set()
                while receiver.hold.is_set() and receiver._server is not None:
                    receiver.hold.wait(0.05)
                    if not receiver.hold.is_set():
                        break
                code = receiver.answers.pop(0) if receiver.answers else 200
                self.send_response(code)
                if receiver.retry_after and code in (429, 503):
                    self.send_header("Retry-After", receiver.retry_after)
                if receiver.redirect_to and 300 <= code < 400:
                    self.send_header("Location", receiver.redirect_to)
                payload = b"ok" if code < 300 else b"nope"
                if receiver.body_size is not None:
                    payload = b"x" * receiver.body_size
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler

    def start(self) -> None:
        server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="webhook-receiver", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()

    def __enter__(self) -> Receiver:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.hold.clear()
        self.stop()
