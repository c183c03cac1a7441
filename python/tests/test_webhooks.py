"""Webhooks as a QA engineer tests them: the mock posts to the receiver fixture, and the test
waits by moving the mock clock, not by sleeping."""

from __future__ import annotations

from novita_client import NovitaClient

from conftest import submit_wan
from novita_mock import NovitaMock, WebhookReceiver


def test_the_receiver_gets_the_result_when_the_task_ends(
    novita_mock: NovitaMock, sdk: NovitaClient, novita_webhook_receiver: WebhookReceiver
) -> None:
    task_id = submit_wan(sdk, webhook={"url": novita_webhook_receiver.url})

    [delivery] = novita_webhook_receiver.wait_for(novita_mock.control, task_id=task_id)

    assert delivery.json["event_type"] == "ASYNC_TASK_RESULT"
    assert delivery.status == "TASK_STATUS_SUCCEED"
    assert delivery.headers["content-type"].startswith("application/json")
    # The mock's own log says the same: delivered at the first attempt.
    [log] = novita_mock.control.webhooks()
    assert log["task_id"] == task_id and log["log"]["delivery"] == "delivered"


def test_a_failing_receiver_gets_the_retries(
    novita_mock: NovitaMock, sdk: NovitaClient, novita_webhook_receiver: WebhookReceiver
) -> None:
    novita_webhook_receiver.status = 500
    task_id = submit_wan(sdk, webhook={"url": novita_webhook_receiver.url})
    novita_mock.control.finish(task_id)

    # One try, then retries after 1 and 2 s of mock time.
    deliveries = novita_webhook_receiver.wait_for(novita_mock.control, count=3, task_id=task_id)

    assert [d.status for d in deliveries] == ["TASK_STATUS_SUCCEED"] * 3
    attempts = novita_mock.control.task(task_id)["webhook"]["attempts"]
    assert [a["status"] for a in attempts[:3]] == [500, 500, 500]
