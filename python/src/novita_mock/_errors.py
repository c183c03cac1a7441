"""The exceptions of `novita_mock`: one base class, one class per kind of failure."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class NovitaMockError(Exception):
    """Base class of every error this package raises."""


class BinaryError(NovitaMockError):
    """The `novita-mock` binary cannot be used: missing, not executable, or built for another
    platform. `path` is the file that was tried, `problem` what is wrong with it."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"novita-mock binary {path}: {problem}")
        self.path = path
        self.problem = problem


class StartupError(NovitaMockError):
    """The mock did not come up: it exited during start-up, or it did not report its address or
    answer `/health` in time. `log_tail` holds its last log lines, `returncode` its exit status
    (None while it was still running)."""

    def __init__(
        self, message: str, log_tail: Sequence[str], returncode: int | None = None
    ) -> None:
        self.reason = message
        self.log_tail = list(log_tail)
        self.returncode = returncode
        shown = "\n".join(f"    {line}" for line in self.log_tail) or "    (no output)"
        super().__init__(f"{message}\n  last lines of its log:\n{shown}")


class OptionRefused(StartupError):
    """The binary refused an option or a setting (exit status 2). The message is the binary's
    own one-line error, unchanged; `log_tail` still holds everything it printed."""

    def __init__(self, line: str, log_tail: Sequence[str], returncode: int | None) -> None:
        super().__init__(line, log_tail, returncode)
        self.args = (line,)

    def __str__(self) -> str:
        return self.reason


class ControlError(NovitaMockError):
    """A control-API call answered with a status other than 2xx. `status` is the HTTP status,
    `body` the mock's answer: parsed JSON when it was JSON (the control API's `{"error": ...}`,
    or Novita's error body for a missing or wrong token), else the text."""

    def __init__(self, method: str, url: str, status: int, body: Any) -> None:
        if isinstance(body, dict) and "error" in body:
            detail = body["error"]
        elif isinstance(body, dict) and "reason" in body:
            detail = f"{body['reason']}: {body.get('message', '')}".rstrip(": ")
        else:
            detail = body
        super().__init__(f"{method} {url}: HTTP {status}: {detail}")
        self.method = method
        self.url = url
        self.status = status
        self.body = body


class MockUnreachable(NovitaMockError):
    """The mock did not answer at all (refused connection, timeout, closed socket)."""

    def __init__(self, method: str, url: str, reason: str) -> None:
        super().__init__(f"{method} {url}: the mock did not answer: {reason}")
        self.method = method
        self.url = url
        self.reason = reason
