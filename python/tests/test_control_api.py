"""The control client: a method per route, and the mock's own error on a bad call."""

from __future__ import annotations

import pytest
from novita_client import NovitaClient

from conftest import submit_wan
from novita_mock import ControlError, NovitaMock


def test_an_unknown_task_is_a_404_with_the_mocks_error(novita_mock: NovitaMock) -> None:
    with pytest.raises(ControlError) as raised:
        novita_mock.control.finish("no-such-task")
    assert raised.value.status == 404
    assert raised.value.body == {"error": "no task no-such-task"}


def test_ending_a_task_twice_is_a_409(novita_mock: NovitaMock, sdk: NovitaClient) -> None:
    task_id = submit_wan(sdk)
    novita_mock.control.finish(task_id)
    with pytest.raises(ControlError) as raised:
        novita_mock.control.fail(task_id, "TASK_FAILED")
    assert raised.value.status == 409
    assert "already ended" in raised.value.body["error"]


def test_a_bad_advance_names_the_field_and_changes_nothing(novita_mock: NovitaMock) -> None:
    before = novita_mock.control.clock()["now_seconds"]
    with pytest.raises(ControlError) as raised:
        novita_mock.control.advance_clock(-1)
    assert raised.value.status == 400
    assert raised.value.body["error"].startswith("seconds must be")
    assert novita_mock.control.clock()["now_seconds"] == before


def test_one_tasks_clock_moves_alone(novita_mock: NovitaMock, sdk: NovitaClient) -> None:
    moved, still = submit_wan(sdk), submit_wan(sdk)
    summary = novita_mock.control.advance_task(moved, 3)
    assert summary["status"] == "TASK_STATUS_PROCESSING"
    assert novita_mock.control.task(still)["summary"]["status"] == "TASK_STATUS_QUEUED"


def test_the_clock_pauses_resumes_and_advances(novita_mock: NovitaMock) -> None:
    control = novita_mock.control
    assert control.resume_clock()["paused"] is False
    assert control.pause_clock()["paused"] is True
    start = control.clock()["now_seconds"]
    assert control.advance_clock(30)["now_seconds"] == pytest.approx(start + 30)


def test_outcomes_queue_and_clear(novita_mock: NovitaMock) -> None:
    control = novita_mock.control
    queued = control.queue_outcome("fail", reason="TASK_FAILED", count=2)
    assert queued == [{"outcome": {"type": "fail", "reason": "TASK_FAILED"}, "count": 2}]
    control.clear_outcomes()
    assert control.outcomes() == []
    with pytest.raises(ControlError) as raised:
        control.queue_outcome("no_such_outcome")
    assert raised.value.status == 400


def test_health_and_config_answer(novita_mock: NovitaMock) -> None:
    assert novita_mock.control.health()["status"] == "ok"
    assert novita_mock.control.config()["public_url"] == novita_mock.url


def test_a_mock_with_a_token_refuses_a_client_without_it() -> None:
    with NovitaMock(token="qa-token") as mock:
        assert mock.control.tasks()["tasks"] == []  # the mock's own client sends it
        stranger = NovitaMock.from_url(mock.url).start()  # /health needs no token
        with pytest.raises(ControlError) as raised:
            stranger.control.tasks()
        assert raised.value.status == 401
        assert raised.value.body["reason"] == "MISSING_MOCK_TOKEN"
        stranger.stop()
        assert mock.running  # stop() of a mock started elsewhere leaves it running
