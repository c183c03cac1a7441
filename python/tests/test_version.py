"""One version: the wheel's is the crate's (maturin reads mock-server/Cargo.toml), and the
binary in the wheel says the same."""

from __future__ import annotations

import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

import novita_mock

CARGO_TOML = Path(__file__).resolve().parents[2] / "mock-server" / "Cargo.toml"


def crate_version() -> str:
    text = CARGO_TOML.read_text()
    if sys.version_info >= (3, 11):
        import tomllib

        return str(tomllib.loads(text)["package"]["version"])
    package = text.split("[package]", 1)[1].split("\n[", 1)[0]
    found = re.search(r'^version\s*=\s*"([^"]+)"', package, re.MULTILINE)
    assert found, f"no version in the [package] table of {CARGO_TOML}"
    return found.group(1)


@pytest.mark.skipif(not CARGO_TOML.exists(), reason="run outside the repository")
def test_the_wheel_has_the_crates_version() -> None:
    assert metadata.version("novita-mock") == crate_version()
    assert novita_mock.__version__ == crate_version()


def test_the_binary_has_the_wheels_version() -> None:
    run = subprocess.run(
        [novita_mock.find_binary(), "--version"], capture_output=True, text=True, timeout=30
    )
    assert run.stdout.strip() == f"novita-mock {metadata.version('novita-mock')}"
