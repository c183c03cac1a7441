"""Finding the `novita-mock` binary and checking, before it is started, that it can run here."""

from __future__ import annotations

import errno
import os
import platform
import shutil
import stat
import sys
import sysconfig
from pathlib import Path

from ._errors import BinaryError

BINARY_NAME = "novita-mock.exe" if os.name == "nt" else "novita-mock"
ENV_BINARY = "NOVITA_MOCK_BIN"

# ELF e_machine values and the names platform.machine() gives the same architecture.
_ELF_MACHINES = {
    0x03: ("i386", {"i386", "i486", "i586", "i686", "x86"}),
    0x28: ("arm", {"armv6l", "armv7l", "armv8l", "arm"}),
    0x3E: ("x86_64", {"x86_64", "amd64"}),
    0xB7: ("aarch64", {"aarch64", "arm64"}),
    0xF3: ("riscv", {"riscv64", "riscv32"}),
    0x15: ("ppc64", {"ppc64", "ppc64le"}),
    0x16: ("s390x", {"s390x"}),
}


def scripts_dirs() -> list[Path]:
    """Where pip puts the wheel's `novita-mock`: the scripts directory of this interpreter's
    environment, then the user scheme's (`pip install --user`)."""
    dirs = [Path(sysconfig.get_path("scripts"))]
    try:
        dirs.append(Path(sysconfig.get_path("scripts", f"{os.name}_user")))
    except KeyError:
        pass
    return dirs


def find_binary(explicit: str | os.PathLike[str] | None = None) -> str:
    """The binary to run: `explicit`, else `$NOVITA_MOCK_BIN`, else the wheel's copy in the
    scripts directory next to this interpreter, else `novita-mock` on PATH. The one found is
    checked with `check_binary`; none found raises `BinaryError`."""
    chosen = explicit if explicit is not None else os.environ.get(ENV_BINARY) or None
    if chosen is not None:
        return check_binary(os.fspath(chosen))
    for directory in scripts_dirs():
        candidate = directory / BINARY_NAME
        if candidate.exists():
            return check_binary(str(candidate))
    on_path = shutil.which(BINARY_NAME)
    if on_path is not None:
        return check_binary(on_path)
    looked = ", ".join(str(d) for d in scripts_dirs())
    raise BinaryError(
        BINARY_NAME,
        f"not found in {looked} or on PATH; install the novita-mock wheel "
        f"or set {ENV_BINARY} to the binary",
    )


def check_binary(path: str) -> str:
    """Returns `path` when it names an executable file that can run on this machine; raises
    `BinaryError` naming the path and what is wrong otherwise."""
    p = Path(path)
    if not p.exists():
        raise BinaryError(path, "does not exist")
    if p.is_dir():
        raise BinaryError(path, "is a directory, not a program")
    if os.name != "nt" and not os.access(p, os.X_OK):
        mode = stat.filemode(p.stat().st_mode)
        raise BinaryError(path, f"is not executable (mode {mode}); chmod +x it")
    try:
        with p.open("rb") as f:
            head = f.read(64)
    except OSError as e:
        raise BinaryError(path, f"cannot be read: {e.strerror}") from e
    problem = platform_problem(head)
    if problem is not None:
        raise BinaryError(path, problem)
    return path


def platform_problem(head: bytes) -> str | None:
    """What keeps a program starting with `head` from running on this machine, or None when
    nothing visible does (the start itself may still fail; see `start_problem`)."""
    here = f"{sys.platform} {platform.machine()}"
    if head.startswith(b"#!"):
        return None
    if head[:2] == b"MZ":
        return None if os.name == "nt" else f"is a Windows program; this machine is {here}"
    if head[:4] in (b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe", b"\xca\xfe\xba\xbe"):
        if sys.platform == "darwin":
            return None
        return f"is a macOS (Mach-O) program; this machine is {here}"
    if head[:4] == b"\x7fELF":
        if not sys.platform.startswith("linux"):
            return f"is a Linux (ELF) program; this machine is {here}"
        return _elf_machine_problem(head, here)
    if sys.platform.startswith("linux") or sys.platform == "darwin":
        return f"is not a program (no ELF, Mach-O or #! header); this machine is {here}"
    return None


def _elf_machine_problem(head: bytes, here: str) -> str | None:
    if len(head) < 20:
        return "is a truncated ELF file"
    machine = int.from_bytes(head[18:20], "little" if head[5] == 1 else "big")
    known = _ELF_MACHINES.get(machine)
    if known is None:
        return f"is an ELF program for machine type {machine:#x}; this machine is {here}"
    name, aliases = known
    if platform.machine().lower() not in aliases:
        return f"is built for {name}; this machine is {here}"
    return None


def start_problem(path: str, error: OSError) -> BinaryError:
    """The `BinaryError` for a binary the OS refused to start."""
    if error.errno == errno.ENOEXEC:
        return BinaryError(path, f"cannot run on this machine: {error.strerror}")
    if error.errno == errno.ENOENT and Path(path).exists():
        return BinaryError(
            path,
            "cannot be started: its loader or script interpreter is missing "
            "(built for another platform or C library?)",
        )
    if error.errno == errno.EACCES:
        return BinaryError(path, f"cannot be started: {error.strerror}")
    return BinaryError(path, f"cannot be started: {error.strerror or error}")
