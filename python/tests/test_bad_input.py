"""Bad input to NovitaMock: each case raises one clear exception, and leaves no process."""

from __future__ import annotations

import platform
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from novita_mock import (
    BinaryError,
    NovitaMock,
    OptionRefused,
    StartupError,
    find_binary,
)
from processes import children


@pytest.fixture(autouse=True)
def no_process_left_behind() -> Iterator[None]:
    before = children()
    yield
    assert children() == before


def executable(path: Path, content: bytes, mode: int = 0o755) -> Path:
    path.write_bytes(content)
    path.chmod(mode)
    return path


def foreign_elf() -> bytes:
    """The start of a 64-bit little-endian ELF executable for an architecture this machine
    is not (aarch64 here, or x86-64 on an aarch64 machine)."""
    machine = 0x3E if platform.machine().lower() in ("aarch64", "arm64") else 0xB7
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    return ident + (2).to_bytes(2, "little") + machine.to_bytes(2, "little") + bytes(44)


def test_a_missing_binary_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "novita-mock"
    with pytest.raises(BinaryError) as raised:
        NovitaMock(binary=missing).start()
    assert raised.value.path == str(missing)
    assert str(raised.value) == f"novita-mock binary {missing}: does not exist"


def test_the_variable_names_the_binary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "elsewhere" / "novita-mock"
    monkeypatch.setenv("NOVITA_MOCK_BIN", str(missing))
    with pytest.raises(BinaryError, match="does not exist") as raised:
        NovitaMock().start()
    assert raised.value.path == str(missing)


def test_a_directory_is_not_a_binary(tmp_path: Path) -> None:
    with pytest.raises(BinaryError, match="is a directory"):
        NovitaMock(binary=tmp_path).start()


def test_a_binary_without_the_execute_bit_is_refused(tmp_path: Path) -> None:
    path = executable(tmp_path / "novita-mock", b"#!/bin/sh\n", mode=0o644)
    with pytest.raises(BinaryError) as raised:
        NovitaMock(binary=path).start()
    assert raised.value.problem == "is not executable (mode -rw-r--r--); chmod +x it"


def test_a_binary_for_another_architecture_is_refused(tmp_path: Path) -> None:
    path = executable(tmp_path / "novita-mock", foreign_elf())
    with pytest.raises(BinaryError, match=r"is built for (aarch64|x86_64); this machine is"):
        NovitaMock(binary=path).start()


def test_a_binary_for_another_system_is_refused(tmp_path: Path) -> None:
    path = executable(tmp_path / "novita-mock.exe", b"MZ" + bytes(62))
    with pytest.raises(BinaryError, match="is a Windows program"):
        NovitaMock(binary=path).start()


def test_a_mock_that_exits_during_start_up_shows_its_last_lines(tmp_path: Path) -> None:
    script = b"#!/bin/sh\necho 'loading scenario'\necho 'cannot open /qa/x.yaml' >&2\nexit 3\n"
    path = executable(tmp_path / "novita-mock", script)
    with pytest.raises(StartupError) as raised:
        NovitaMock(binary=path).start()
    assert raised.value.returncode == 3
    assert raised.value.log_tail == ["loading scenario", "cannot open /qa/x.yaml"]
    assert "exited with status 3 during start-up" in str(raised.value)
    assert "cannot open /qa/x.yaml" in str(raised.value)


def test_a_mock_that_never_listens_is_stopped(tmp_path: Path) -> None:
    path = executable(tmp_path / "novita-mock", b"#!/bin/sh\necho 'thinking'\nexec sleep 600\n")
    with pytest.raises(StartupError, match="did not report its address") as raised:
        NovitaMock(binary=path, startup_timeout=0.2).start()
    assert raised.value.log_tail == ["thinking"]


def refusal_of(*args: str) -> str:
    """The first line the binary itself prints when it refuses `args`."""
    run = subprocess.run(
        [find_binary(), "--addr", "127.0.0.1:0", *args],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert run.returncode == 2, run
    return run.stderr.splitlines()[0]


def test_a_refused_setting_shows_the_binarys_line_unchanged() -> None:
    with pytest.raises(OptionRefused) as raised:
        NovitaMock(speed=0).start()
    assert str(raised.value) == refusal_of("--speed", "0.0")
    assert str(raised.value).startswith("novita-mock: ")
    assert raised.value.returncode == 2


def test_a_refused_flag_shows_the_binarys_line_unchanged() -> None:
    with pytest.raises(OptionRefused) as raised:
        NovitaMock(extra_args=["--retired", "maybe"]).start()
    assert str(raised.value) == refusal_of("--retired", "maybe")


def test_an_unusable_state_file_is_refused_with_the_binarys_line(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    state.write_text("{ not json")
    with pytest.raises(OptionRefused, match=rf"^novita-mock: state file {state}: "):
        NovitaMock(state=state).start()
