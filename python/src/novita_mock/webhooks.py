"""A webhook receiver for tests: a local HTTP server on a free port that records every POST
the mock delivers and answers with the status the test chooses."""

from __future__ import annotations

import collections
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from ._errors import NovitaMockError
from .control import ControlClient

MAX_DELIVERIES = 10_000
MAX_BODY = 1 << 20


@dataclass(frozen=True)
class Delivery:
    """One POST the receiver got: its path, headers (names in lower case), raw body and the
    body parsed as JSON (None when it was not JSON)."""

    path: str
    headers: dict[str, str]
    body: bytes
    json: Any = field(default=None)

    @property
    def task(self) -> dict[str, Any]:
        """The event's `payload.task` (empty when the body has none)."""
        if not isinstance(self.json, dict):
            return {}
        payload = self.json.get("payload")
        task = payload.get("task") if isinstance(payload, dict) else None
        return task if isinstance(task, dict) else {}

    @property
    def task_id(self) -> str | None:
        return self.task.get("task_id")

    @property
    def status(self) -> str | None:
        """The task status the event reports (`TASK_STATUS_SUCCEED`, ...)."""
        return self.task.get("status")


class WebhookWaitError(NovitaMockError):
    """`wait_for` moved the mock clock by its whole budget and the deliveries did not come.
    `deliveries` are those received, `mock_log` the mock's own delivery log."""

    def __init__(self, message: str, deliveries: list[Delivery], mock_log: Any) -> None:
        super().__init__(f"{message}; the mock's webhook log: {json.dumps(mock_log)}")
        self.deliveries = deliveries
        self.mock_log = mock_log


class WebhookReceiver:
    """Receives webhooks on `host`, on a port the system picks. `url` (with `path`) goes into
    `extra.webhook.url`; `deliveries` lists what arrived (the newest `MAX_DELIVERIES`);
    `status` is the answer every POST gets (set 500 to make the mock retry). Bodies over 1 MiB
    are refused with 413."""

    def __init__(self, host: str = "127.0.0.1", path: str = "/novita-webhook") -> None:
        self.host = host
        self.path = path if path.startswith("/") else "/" + path
        self.status = 200
        self._deliveries: collections.deque[Delivery] = collections.deque(maxlen=MAX_DELIVERIES)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise NovitaMockError("the receiver is not started")
        port = self._server.server_address[1]
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{port}{self.path}"

    @property
    def deliveries(self) -> list[Delivery]:
        with self._lock:
            return list(self._deliveries)

    def deliveries_for(self, task_id: str | None = None) -> list[Delivery]:
        """The deliveries of one task (all of them when `task_id` is None)."""
        return [d for d in self.deliveries if task_id is None or d.task_id == task_id]

    def clear(self) -> None:
        with self._lock:
            self._deliveries.clear()

    def wait_for(
        self,
        control: ControlClient,
        count: int = 1,
        *,
        task_id: str | None = None,
        step: float = 1.0,
        max_seconds: float = 600.0,
    ) -> list[Delivery]:
        """Waits for `count` deliveries (of `task_id`, when given) by driving the mock clock:
        settles what is due now, then advances `step` simulated seconds at a time, up to
        `max_seconds`. Each advance answers once the attempts that fell due have run, so no
        real time is waited. Raises `WebhookWaitError` when they have not come by then."""
        moved = 0.0
        control.advance_clock(0)
        while True:
            got = self.deliveries_for(task_id)
            if len(got) >= count:
                return got
            if moved >= max_seconds:
                which = f" of task {task_id}" if task_id else ""
                raise WebhookWaitError(
                    f"{len(got)} of {count} webhook deliveries{which} arrived after "
                    f"moving the mock clock {moved:g} s",
                    got,
                    control.webhooks(),
                )
            control.advance_clock(step)
            moved += step

    def start(self) -> WebhookReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_BODY:
                    self.send_error(413)
                    return
                body = self.rfile.read(length)
                try:
                    parsed = json.loads(body) if body else None
                except ValueError:
                    parsed = None
                headers = {k.lower(): v for k, v in self.headers.items()}
                delivery = Delivery(self.path, headers, body, parsed)
                with receiver._lock:
                    receiver._deliveries.append(delivery)
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass  # quiet: the deliveries are the record

        server = ThreadingHTTPServer((self.host, 0), Handler)
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, name="novita-webhook-receiver", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(5.0)
            self._thread = None

    def __enter__(self) -> WebhookReceiver:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
