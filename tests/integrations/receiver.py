"""A webhook receiver on 127.0.0.1 for tests: it verifies signatures and, like a real
receiver should, processes each Idempotency-Key once (a repeat is acknowledged, not redone)."""

from __future__ import annotations

import json
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from voronka.integrations.webhooks import SIGNATURE_HEADER, verify_signature


class Receiver:
    def __init__(self, secret: str = "", status: int = 200, delay_s: float = 0.0) -> None:
        self.secret = secret
        self.status = status
        self.delay_s = delay_s
        self.arrivals: Counter[str] = Counter()  # key -> how many requests carried it
        self.processed: Counter[str] = Counter()  # key -> how many times it was acted on
        self.bodies: list[dict] = []
        self.headers: list[dict] = []
        self.bad_signatures = 0
        self.hold_at: int | None = None  # block the request with this arrival number …
        self.held = threading.Event()  # … set once it arrived
        self.release = threading.Event()  # … until this is set
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            # Headers and body leave in separate writes: without this, Nagle's algorithm and
            # the client's delayed ACK add 40 ms to every request.
            disable_nagle_algorithm = True

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                key = self.headers.get("Idempotency-Key", "")
                with receiver.lock:
                    receiver.arrivals[key] += 1
                    number = sum(receiver.arrivals.values())
                    if receiver.secret and not verify_signature(
                            receiver.secret, self.headers.get(SIGNATURE_HEADER, ""), body):
                        receiver.bad_signatures += 1
                    receiver.headers.append(dict(self.headers))
                    receiver.bodies.append(json.loads(body))
                if receiver.hold_at is not None and number == receiver.hold_at:
                    receiver.held.set()
                    receiver.release.wait(60)
                if receiver.delay_s:
                    threading.Event().wait(receiver.delay_s)
                with receiver.lock:
                    if receiver.status < 300 and not receiver.processed[key]:
                        receiver.processed[key] += 1
                self.send_response(receiver.status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
