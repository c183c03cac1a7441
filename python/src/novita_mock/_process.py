"""`NovitaMock`: one `novita-mock` process on a free port, started, watched and stopped."""

from __future__ import annotations

import atexit
import ipaddress
import os
import re
import secrets
import signal
import subprocess
import threading
import time
import urllib.parse
import weakref
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import IO

from ._binary import find_binary, start_problem
from ._errors import MockUnreachable, NovitaMockError, OptionRefused, StartupError
from ._output import OutputReader
from .control import ControlClient

# A refusal the binary prints before exiting with status 2: its own line, or clap's.
_REFUSAL = re.compile(r"^(novita-mock: |error: )")
_ENV_PREFIX = "NOVITA_MOCK_"
_running: weakref.WeakSet[NovitaMock] = weakref.WeakSet()


class NovitaMock:
    """A mock Novita server in a child process, for tests.

    The keyword arguments are the binary's flags (`--speed`, `--paused`, `--api-key`,
    `--control-token`, `--scenario`, `--state`, `--retired`); `extra_args` adds any other flag
    as it is. The mock listens on `host` (loopback by default) on a port the system picks;
    `url` is its base once `start()` returns. `NOVITA_MOCK_*` variables of this process are not
    passed on: the arguments alone decide (`env` adds variables for the child).

    Use it as a context manager, or call `start()` and `stop()`.
    """

    def __init__(
        self,
        *,
        speed: float | None = None,
        paused: bool = False,
        api_keys: Sequence[str] = (),
        token: str | None = None,
        scenario: str | os.PathLike[str] | None = None,
        state: str | os.PathLike[str] | None = None,
        retired: str | None = None,
        extra_args: Sequence[str] = (),
        binary: str | os.PathLike[str] | None = None,
        host: str = "127.0.0.1",
        env: Mapping[str, str] | None = None,
        log_file: str | os.PathLike[str] | None = None,
        startup_timeout: float = 30.0,
        stop_timeout: float = 15.0,
        keep_lines: int = 500,
    ) -> None:
        if isinstance(api_keys, str):
            raise TypeError("api_keys takes a list of keys, not one string")
        self.speed = speed
        self.paused = paused
        self.api_keys = list(api_keys)
        self.scenario = scenario
        self.state = state
        self.retired = retired
        self.extra_args = list(extra_args)
        self.binary = binary
        self.host = host
        self.env = dict(env or {})
        self.log_file = log_file
        self.startup_timeout = startup_timeout
        self.stop_timeout = stop_timeout
        self.keep_lines = keep_lines
        # Beyond loopback the control API needs a token: make one rather than parse the mock's.
        self.token = token if token is not None or _is_loopback(host) else secrets.token_hex(16)
        self._url: str | None = None
        self._control: ControlClient | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._output: OutputReader | None = None
        self._log: IO[str] | None = None
        self._external = False
        self._lock = threading.Lock()

    @classmethod
    def from_url(cls, url: str, token: str | None = None) -> NovitaMock:
        """A mock started elsewhere (a container, compose, a CI service) at `url`, with its
        control `token`. `start()` checks that it answers `/health`; `stop()` leaves it
        running. The control client and the pytest plugin work the same on it."""
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValueError(f"not a mock URL (http://host:port expected): {url!r}")
        mock = cls(token=token)
        mock._external = True
        mock._url = url.rstrip("/")
        mock._control = ControlClient(mock._url, token)
        return mock

    # --- what a test uses

    @property
    def url(self) -> str:
        """The mock's base URL (`NOVITA_BASE_URL` for a client under test)."""
        if self._url is None:
            raise NovitaMockError("the mock is not started: call start() or use `with`")
        return self._url

    @property
    def control(self) -> ControlClient:
        """The control-API client of this mock."""
        if self._control is None:
            raise NovitaMockError("the mock is not started: call start() or use `with`")
        return self._control

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    @property
    def running(self) -> bool:
        if self._external:
            return self._url is not None
        return self._process is not None and self._process.poll() is None

    def log_tail(self, count: int = 50) -> list[str]:
        """The mock's last `count` lines of output (standard output and error, merged)."""
        return [] if self._output is None else self._output.tail(count)

    def args(self) -> list[str]:
        """The command-line flags this mock is started with."""
        args = ["--addr", f"{_bracketed(self.host)}:0"]
        if self.speed is not None:
            args += ["--speed", repr(float(self.speed))]
        if self.paused:
            args.append("--paused")
        for key in self.api_keys:
            args += ["--api-key", key]
        if self.token is not None:
            args += ["--control-token", self.token]
        if self.scenario is not None:
            args += ["--scenario", os.fspath(self.scenario)]
        if self.state is not None:
            args += ["--state", os.fspath(self.state)]
        if self.retired is not None:
            args += ["--retired", self.retired]
        return args + self.extra_args

    # --- start and stop

    def start(self) -> NovitaMock:
        """Starts the binary and returns once `/health` answers. Raises `BinaryError` for a
        binary that cannot run, `OptionRefused` with the binary's own line for a refused flag,
        `StartupError` with the log's tail when it exits or hangs during start-up."""
        with self._lock:
            if self._external:
                self._wait_healthy(time.monotonic() + self.startup_timeout)
                return self
            if self._process is not None:
                raise NovitaMockError("this mock is already started")
            binary = find_binary(self.binary)
            self._spawn(binary)
        try:
            self._wait_started(binary)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> int | None:
        """SIGTERM, then waits up to `stop_timeout` seconds for the mock to exit, then kills
        it. Returns its exit status (None for a mock started elsewhere). Safe to call twice."""
        with self._lock:
            process, self._process = self._process, None
        if process is None:
            return None
        try:
            if process.poll() is None:
                _terminate(process)
                try:
                    process.wait(self.stop_timeout)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        finally:
            _running.discard(self)
            if self._output is not None:
                self._output.join(5.0)
            if process.stdout is not None:
                process.stdout.close()
            if self._log is not None:
                self._log.close()
                self._log = None
        return process.returncode

    def __enter__(self) -> NovitaMock:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self._url or "not started"
        return f"<NovitaMock {where}{' (external)' if self._external else ''}>"

    # --- start-up steps

    def _spawn(self, binary: str) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(_ENV_PREFIX)}
        env.update(self.env)
        env.setdefault("NO_COLOR", "1")
        if self.log_file is not None:
            self._log = open(self.log_file, "a", encoding="utf-8")
        try:
            process = subprocess.Popen(
                [binary, *self.args()],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                env=env,
            )
        except OSError as e:
            if self._log is not None:
                self._log.close()
                self._log = None
            raise start_problem(binary, e) from None
        self._process = process
        _running.add(self)
        assert process.stdout is not None
        self._output = OutputReader(process.stdout, self.keep_lines, self._log)
        self._output.start()

    def _wait_started(self, binary: str) -> None:
        process, output = self._process, self._output
        assert process is not None and output is not None
        deadline = time.monotonic() + self.startup_timeout
        output.ready.wait(self.startup_timeout)
        if output.address is None:
            if output.ended.is_set():
                raise self._exited_error(binary, process)
            raise StartupError(
                f"{binary} did not report its address within {self.startup_timeout:g} s",
                output.tail(20),
                process.poll(),
            )
        self._url = _reachable(output.address)
        self._control = ControlClient(self._url, self.token)
        self._wait_healthy(deadline)

    def _exited_error(self, binary: str, process: subprocess.Popen[bytes]) -> StartupError:
        try:
            code: int | None = process.wait(self.stop_timeout)
        except subprocess.TimeoutExpired:
            code = None
        assert self._output is not None
        self._output.join(5.0)
        tail = self._output.tail(20)
        refusals = [line for line in tail if _REFUSAL.match(line)]
        if code == 2 and refusals:
            return OptionRefused(refusals[-1], tail, code)
        return StartupError(f"{binary} exited with status {code} during start-up", tail, code)

    def _wait_healthy(self, deadline: float) -> None:
        """Asks `/health` until it answers; only a mock that is not answering yet is asked
        again, and never past `deadline`."""
        control = self.control
        while True:
            try:
                control.health()
                return
            except MockUnreachable as e:
                process = self._process
                if process is not None and process.poll() is not None:
                    raise StartupError(
                        f"the mock exited before answering /health ({e.reason})",
                        self.log_tail(20),
                        process.returncode,
                    ) from None
                if time.monotonic() >= deadline:
                    raise StartupError(
                        f"{control.url}/health did not answer: {e.reason}",
                        self.log_tail(20),
                        None if process is None else process.poll(),
                    ) from None
                time.sleep(0.05)


def _terminate(process: subprocess.Popen[bytes]) -> None:
    if os.name == "nt":
        process.terminate()
    else:
        process.send_signal(signal.SIGTERM)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def _reachable(address: str) -> str:
    """The URL to call a mock that reported `address`: an unspecified host (0.0.0.0, ::) is
    called on loopback."""
    parsed = urllib.parse.urlsplit(address)
    host = parsed.hostname or "127.0.0.1"
    if host == "0.0.0.0":
        return f"http://127.0.0.1:{parsed.port}"
    if host == "::":
        return f"http://[::1]:{parsed.port}"
    return address.rstrip("/")


@atexit.register
def _stop_leftovers() -> None:
    """A mock still running when the interpreter exits (a test run interrupted between start
    and stop) is stopped, not left behind."""
    for mock in list(_running):
        mock.stop()
