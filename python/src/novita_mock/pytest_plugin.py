"""The pytest plugin (entry point `pytest11`): a mock per test session, or per xdist worker,
reset before each test, and a webhook receiver per test.

Settings, on the command line or in the ini file (`[pytest]`, `[tool.pytest.ini_options]`):

    --novita-mock-bin PATH      novita_mock_bin     the binary (default: $NOVITA_MOCK_BIN, the
                                                    wheel's, then PATH)
    --novita-mock-speed X       novita_mock_speed   the mock clock's speed (default: the mock's, 1)
    --novita-mock-clock C       novita_mock_clock   `paused` (default) or `running` at each test
    --novita-mock-arg FLAG      novita_mock_args    more flags for the binary (repeatable)
    --novita-mock-url URL       novita_mock_url     use a mock started elsewhere instead
    --novita-mock-token T       novita_mock_token   its control token
"""

from __future__ import annotations

import shlex
from collections.abc import Generator, Iterator

import pytest

from ._process import NovitaMock
from .webhooks import WebhookReceiver

_LOG_KEY = pytest.StashKey[NovitaMock]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("novita-mock", "the mock Novita server (novita-mock)")
    group.addoption(
        "--novita-mock-bin",
        dest="novita_mock_bin",
        metavar="PATH",
        help="novita-mock binary to run (default: $NOVITA_MOCK_BIN, the wheel's, then PATH)",
    )
    group.addoption(
        "--novita-mock-speed",
        dest="novita_mock_speed",
        type=float,
        metavar="FACTOR",
        help="speed of the mock clock (default: 1); tests move it with advance_clock()",
    )
    group.addoption(
        "--novita-mock-clock",
        dest="novita_mock_clock",
        choices=("paused", "running"),
        help="the mock clock at the start of each test: paused (default) or running",
    )
    group.addoption(
        "--novita-mock-arg",
        dest="novita_mock_args",
        action="append",
        metavar="FLAG",
        help="one more flag for the binary, e.g. --novita-mock-arg=--rate-limit=20 (repeatable)",
    )
    group.addoption(
        "--novita-mock-url",
        dest="novita_mock_url",
        metavar="URL",
        help="use the mock already running at URL (a container, a CI service) instead",
    )
    group.addoption(
        "--novita-mock-token",
        dest="novita_mock_token",
        metavar="TOKEN",
        help="control token of the mock (X-Mock-Token)",
    )
    parser.addini("novita_mock_bin", "novita-mock binary to run")
    parser.addini("novita_mock_speed", "speed of the mock clock")
    parser.addini("novita_mock_clock", "paused (default) or running at the start of each test")
    parser.addini("novita_mock_args", "more flags for the binary", type="args")
    parser.addini("novita_mock_url", "use the mock already running at this URL")
    parser.addini("novita_mock_token", "control token of the mock")


def _setting(config: pytest.Config, name: str) -> str | None:
    given = config.getoption(name)
    if given is not None:
        return str(given)
    from_ini = config.getini(name)
    return str(from_ini) if from_ini else None


def _clock_paused(config: pytest.Config) -> bool:
    clock = _setting(config, "novita_mock_clock") or "paused"
    if clock not in ("paused", "running"):
        raise pytest.UsageError(f"novita_mock_clock must be paused or running, not {clock!r}")
    return clock == "paused"


def _session_mock(config: pytest.Config) -> NovitaMock:
    url = _setting(config, "novita_mock_url")
    token = _setting(config, "novita_mock_token")
    if url:
        return NovitaMock.from_url(url, token)
    speed = _setting(config, "novita_mock_speed")
    try:
        speed_value = float(speed) if speed is not None else None
    except ValueError:
        raise pytest.UsageError(f"novita_mock_speed must be a number, not {speed!r}") from None
    args = config.getoption("novita_mock_args") or config.getini("novita_mock_args") or []
    if isinstance(args, str):
        args = shlex.split(args)
    return NovitaMock(
        speed=speed_value,
        paused=_clock_paused(config),
        token=token,
        binary=_setting(config, "novita_mock_bin"),
        extra_args=list(args),
    )


@pytest.fixture(scope="session")
def novita_mock_session(pytestconfig: pytest.Config) -> Iterator[NovitaMock]:
    """The session's mock (one per xdist worker), not reset: use `novita_mock` in tests."""
    mock = _session_mock(pytestconfig)
    mock.start()
    try:
        yield mock
    finally:
        mock.stop()


@pytest.fixture
def novita_mock(novita_mock_session: NovitaMock, request: pytest.FixtureRequest) -> NovitaMock:
    """The session's mock, reset for this test: no tasks, outcomes, journal or pending
    webhooks from earlier tests, and the clock paused (or running, per `novita_mock_clock`)."""
    control = novita_mock_session.control
    control.reset()
    if _clock_paused(request.config):
        control.pause_clock()
    else:
        control.resume_clock()
    request.node.stash[_LOG_KEY] = novita_mock_session
    return novita_mock_session


@pytest.fixture
def novita_webhook_receiver() -> Iterator[WebhookReceiver]:
    """A webhook receiver on a free local port for this test: put `.url` in
    `extra.webhook.url`, then `.wait_for(novita_mock.control, task_id=...)`."""
    with WebhookReceiver() as receiver:
        yield receiver


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A failed test that used the mock shows the mock's last log lines in its report."""
    report: pytest.TestReport = yield
    mock = item.stash.get(_LOG_KEY, None)
    if mock is not None and report.failed and mock.running:
        lines = mock.log_tail(30)
        if lines:
            report.sections.append(("novita-mock log (last lines)", "\n".join(lines)))
    return report
