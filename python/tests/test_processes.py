"""The plugin leaves no mock process behind: after a passing, a failing and an interrupted
test, with and without xdist, every mock the inner session started has exited."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from processes import is_running_mock

INNER_TESTS = """
import os, time

def record(mock):
    with open(os.environ["MOCK_PIDS"], "a") as f:
        f.write(f"{mock.pid}\\n")

def test_passes(novita_mock):
    record(novita_mock)

def test_fails(novita_mock):
    record(novita_mock)
    assert novita_mock.control.tasks()["tasks"] == ["something"]

def test_also_passes(novita_mock):
    record(novita_mock)
"""


def plugin_args(config: pytest.Config) -> list[str]:
    """Loads the plugin in the inner session only when the outer one did not get it from the
    installed wheel's entry point (a run from the source tree with `-p`)."""
    if config.pluginmanager.has_plugin("novita_mock"):
        return []
    return ["-p", "novita_mock.pytest_plugin"]


def recorded(path: Path) -> set[int]:
    return {int(line) for line in path.read_text().split()} if path.exists() else set()


@pytest.mark.parametrize(
    ("workers", "most_mocks"), [([], 1), (["-n", "2"], 2)], ids=["one-process", "xdist"]
)
def test_no_mock_outlives_a_session_with_a_failing_test(
    pytester: pytest.Pytester,
    pytestconfig: pytest.Config,
    monkeypatch: pytest.MonkeyPatch,
    workers: list[str],
    most_mocks: int,
) -> None:
    pids = pytester.path / "pids"
    monkeypatch.setenv("MOCK_PIDS", str(pids))
    pytester.makepyfile(test_inner=INNER_TESTS)

    result = pytester.runpytest_subprocess(*plugin_args(pytestconfig), *workers)

    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*novita-mock log (last lines)*"])
    started = recorded(pids)
    # One mock per session, or one per xdist worker that ran a test.
    assert 1 <= len(started) <= most_mocks
    assert [pid for pid in started if is_running_mock(pid)] == []


def test_no_mock_outlives_an_interrupted_session(
    pytester: pytest.Pytester, pytestconfig: pytest.Config
) -> None:
    pids = pytester.path / "pids"
    pytester.makepyfile(
        test_inner="""
import os, time

def test_waits_for_ctrl_c(novita_mock):
    with open(os.environ["MOCK_PIDS"], "a") as f:
        f.write(f"{novita_mock.pid}\\n")
    time.sleep(600)
"""
    )
    inner = subprocess.Popen(
        [sys.executable, "-m", "pytest", *plugin_args(pytestconfig), "-p", "no:cacheprovider"],
        cwd=pytester.path,
        env={**os.environ, "MOCK_PIDS": str(pids)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        # The inner test writes the mock's pid once the mock is up; look until it has.
        deadline = time.monotonic() + 120
        while not recorded(pids) and inner.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        [mock_pid] = recorded(pids)
        assert is_running_mock(mock_pid)

        inner.send_signal(signal.SIGINT)  # Ctrl-C, to the pytest process alone
        output, _ = inner.communicate(timeout=120)
    finally:
        if inner.poll() is None:
            inner.kill()
            inner.wait()

    assert b"KeyboardInterrupt" in output, output.decode()
    assert not is_running_mock(mock_pid)
