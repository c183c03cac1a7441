"""Counting processes, to check that nothing the package starts is left behind (Linux /proc)."""

from __future__ import annotations

import os
from pathlib import Path


def children(of: int | None = None) -> set[int]:
    """Pids of the direct children of process `of` (this one by default), zombies included:
    a child that was stopped but never waited for still counts."""
    parent = os.getpid() if of is None else of
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # it ended while we looked
        # `pid (comm) state ppid ...`: comm may hold spaces, so split after its last ')'.
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == parent:
            found.add(int(entry.name))
    return found


def is_running_mock(pid: int) -> bool:
    """Whether `pid` is a live (not zombie) novita-mock process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    state = stat.rsplit(")", 1)[1].split()[0]
    return state != "Z" and b"novita-mock" in cmdline
