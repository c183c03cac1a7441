"""Reads the mock's output (standard output and error, merged) on a thread of its own: keeps the
last lines in memory, copies every line to a log file when asked, and picks out the address
the mock reports once it listens."""

from __future__ import annotations

import collections
import re
import threading
from typing import IO

# What the binary prints once its socket is bound (mock-server/src/bin/novita-mock/main.rs).
LISTENING = re.compile(r"^novita-mock listening on (http://\S+)\s*$")


class OutputReader:
    """Drains `stream` until it closes. `address` is set (and `ready` fired) when the listening
    line arrives; `ready` also fires when the stream ends, so a waiter never hangs on a mock
    that died first."""

    def __init__(self, stream: IO[bytes], keep: int, log_file: IO[str] | None) -> None:
        self._stream = stream
        self._lines: collections.deque[str] = collections.deque(maxlen=keep)
        self._log_file = log_file
        self._lock = threading.Lock()
        self.address: str | None = None
        self.ready = threading.Event()
        self.ended = threading.Event()
        self._thread = threading.Thread(target=self._run, name="novita-mock-output", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)

    def tail(self, count: int) -> list[str]:
        with self._lock:
            lines = list(self._lines)
        return lines[-count:] if count > 0 else []

    def _run(self) -> None:
        try:
            for raw in iter(self._stream.readline, b""):
                self._take(raw.decode("utf-8", errors="replace").rstrip("\r\n"))
        except (OSError, ValueError):
            pass  # the stream was closed under us at stop
        finally:
            self.ended.set()
            self.ready.set()

    def _take(self, line: str) -> None:
        with self._lock:
            self._lines.append(line)
        if self._log_file is not None:
            self._log_file.write(line + "\n")
            self._log_file.flush()
        if self.address is None:
            found = LISTENING.match(line)
            if found is not None:
                self.address = found.group(1)
                self.ready.set()
