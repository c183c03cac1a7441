"""The shapes of the control API's answers, as `TypedDict`s (for editors and type checkers;
the client returns the parsed JSON as it came)."""

from __future__ import annotations

from typing import Any, TypedDict


class Clock(TypedDict):
    """`GET /_mock/clock`: the mock clock."""

    paused: bool
    speed: float
    now_seconds: float
    now_unix_ms: int


class TaskSummary(TypedDict, total=False):
    """One task of `GET /_mock/tasks`, and the answer of finish, fail and advance."""

    task_id: str
    endpoint: str
    task_type: str
    status: str
    progress_percent: int
    eta: float
    age_ms: int
    submitted_unix_ms: int
    webhook: str
    fault: str


class TaskList(TypedDict):
    """`GET /_mock/tasks`: the newest tasks, oldest of them first."""

    stored: int
    evicted: int
    tasks: list[TaskSummary]


class JournalEntry(TypedDict):
    """One request the mock received on its Novita routes."""

    seq: int
    at_unix_ms: int
    method: str
    path: str
    query: str | None
    status: int | None
    scenario: str | None
    fault: str | None
    body: str
    duration_ms: int


class JournalPage(TypedDict):
    """`GET /_mock/journal`."""

    total_recorded: int
    dropped: int
    entries: list[JournalEntry]


class QueuedOutcome(TypedDict, total=False):
    """An outcome waiting for its next `count` matching requests."""

    outcome: dict[str, Any]
    count: int
    match: str
