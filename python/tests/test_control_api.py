"""The control client: a method per route, and the mock's own error on a bad call."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from novita_client import NovitaClient

from conftest import submit_wan
from novita_mock import ControlClient, ControlError, NovitaMock


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


# The spec names each operation; the client's method is that name (the dashboard, a page for a
# browser, is given as its address).
SPEC = Path(__file__).resolve().parents[2] / "openapi" / "mock-control.yaml"
METHOD_FOR = {"dashboard": "dashboard_url"}


def test_the_client_has_a_method_for_every_operation_of_the_control_spec() -> None:
    operations = re.findall(r"^\s+operationId:\s*(\w+)\s*$", SPEC.read_text(), re.MULTILINE)
    assert len(operations) >= 19, operations
    missing = [
        op
        for op in operations
        if not callable(getattr(ControlClient, METHOD_FOR.get(op, op), None))
    ]
    assert missing == [], f"the control spec has operations the client lacks: {missing}"


def test_the_video_of_a_finished_task_is_an_mp4(novita_mock: NovitaMock, sdk: NovitaClient) -> None:
    task_id = submit_wan(sdk)
    novita_mock.control.finish(task_id)
    [video_url] = sdk.wait_for_task_v3(task_id, wait_for=10).get_video_urls()

    by_url = novita_mock.control.video(video_url)
    assert by_url[4:8] == b"ftyp", by_url[:16]
    assert novita_mock.control.video(video_url.rsplit("/", 1)[-1]) == by_url

    with pytest.raises(ControlError) as raised:
        novita_mock.control.video("no-such-video.mp4")
    assert raised.value.status == 404


def test_events_tell_a_task_from_creation_to_its_end(
    novita_mock: NovitaMock, sdk: NovitaClient
) -> None:
    control = novita_mock.control
    with control.events(kinds=["task.created", "task.finished"]) as events:
        task_id = submit_wan(sdk)
        control.advance_clock(600)
        created, finished = next(events), next(events)
    assert created["kind"] == "task.created"
    assert created["task_id"] == task_id
    assert created["endpoint"] == "wan-t2v"
    assert finished["kind"] == "task.finished"
    assert finished["status"] == "TASK_STATUS_SUCCEED"
    assert finished["id"] > created["id"]
    # A new subscription resumes after the event it names, from the mock's history.
    with control.events(task=task_id, last_event_id=created["id"]) as resumed:
        statuses = [next(resumed)["status"], next(resumed)["status"]]
    assert statuses == ["TASK_STATUS_PROCESSING", "TASK_STATUS_SUCCEED"]


def test_a_bad_event_filter_is_a_400_naming_it(novita_mock: NovitaMock) -> None:
    with pytest.raises(ControlError) as raised:
        novita_mock.control.events(kinds=["task.exploded"])
    assert raised.value.status == 400
    assert "kind" in raised.value.body["error"]


def test_metrics_count_by_route_template(novita_mock: NovitaMock, sdk: NovitaClient) -> None:
    task_id = submit_wan(sdk)
    text = novita_mock.control.metrics()
    assert 'novita_mock_requests_total{route="/v3/async/wan-t2v",status="200"}' in text
    assert task_id not in text
