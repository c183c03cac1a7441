"""A QA engineer's tests of a video job through the official Python SDK: the SDK submits and
waits with its own polling, the test decides what the mock does and when."""

from __future__ import annotations

import pytest
from novita_client import NovitaClient
from novita_client.exceptions import NovitaResponseError

from conftest import PROMPT, submit_wan
from novita_mock import NovitaMock


def test_the_sdk_waits_for_a_video_while_the_test_moves_the_clock(
    novita_mock: NovitaMock, sdk: NovitaClient
) -> None:
    task_id = submit_wan(sdk)
    seen: list[str] = []

    def after_each_poll(progress) -> None:  # type: ignore[no-untyped-def]
        seen.append(progress.task.status.value)
        if len(seen) == 1:
            # The clock is paused: the job is still queued. Wan 2.1 at 480p takes 1 s in
            # the queue and 6 s of work; move the mock clock past both.
            novita_mock.control.advance_clock(10)

    result = sdk.wait_for_task_v3(task_id, wait_for=60, callback=after_each_poll)

    assert seen[0] == "TASK_STATUS_QUEUED"
    assert result.task.status.value == "TASK_STATUS_SUCCEED"
    [video_url] = result.get_video_urls()
    assert video_url.startswith(novita_mock.url) and video_url.endswith(".mp4")


def test_a_task_finished_by_the_test_succeeds_at_the_next_poll(
    novita_mock: NovitaMock, sdk: NovitaClient
) -> None:
    task_id = submit_wan(sdk)
    assert novita_mock.control.task(task_id)["summary"]["status"] == "TASK_STATUS_QUEUED"

    novita_mock.control.finish(task_id)

    result = sdk.wait_for_task_v3(task_id, wait_for=10)
    assert result.task.status.value == "TASK_STATUS_SUCCEED"


def test_a_task_failed_by_the_test_reaches_the_sdk_with_its_reason(
    novita_mock: NovitaMock, sdk: NovitaClient
) -> None:
    task_id = submit_wan(sdk)

    summary = novita_mock.control.fail(task_id, "ILLEGAL_IMAGE_CONTENT")
    assert summary["status"] == "TASK_STATUS_FAILED"

    result = sdk.wait_for_task_v3(task_id, wait_for=10)
    assert result.task.status.value == "TASK_STATUS_FAILED"
    assert result.task.reason == "ILLEGAL_IMAGE_CONTENT"


def test_a_queued_rate_limit_reaches_the_sdk_once(
    novita_mock: NovitaMock, sdk: NovitaClient
) -> None:
    novita_mock.control.queue_outcome("rate_limit", count=1, match="wan-t2v")

    with pytest.raises(NovitaResponseError, match="status 429"):
        submit_wan(sdk)
    task_id = submit_wan(sdk)  # the outcome was used up: the retry is accepted

    assert novita_mock.control.outcomes() == []
    statuses = [e["status"] for e in novita_mock.control.journal(path="wan-t2v")["entries"]]
    assert statuses == [429, 200]
    assert [t["task_id"] for t in novita_mock.control.tasks()["tasks"]] == [task_id]


def test_the_journal_shows_what_the_sdk_sent(novita_mock: NovitaMock, sdk: NovitaClient) -> None:
    task_id = submit_wan(sdk)
    sdk.async_task_result(task_id)

    entries = novita_mock.control.journal()["entries"]

    assert [(e["method"], e["path"], e["status"]) for e in entries] == [
        ("POST", "/v3/async/wan-t2v", 200),
        ("GET", "/v3/async/task-result", 200),
    ]
    assert PROMPT in entries[0]["body"]
    assert entries[1]["query"] == f"task_id={task_id}"


def test_each_test_starts_with_an_empty_mock(novita_mock: NovitaMock) -> None:
    # The fixture reset the mock: nothing from earlier tests (every one above submits).
    listing = novita_mock.control.tasks()
    assert listing["stored"] == 0 and listing["tasks"] == []
    assert novita_mock.control.journal()["entries"] == []
    assert novita_mock.control.clock()["paused"] is True
