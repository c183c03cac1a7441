"""Shared helpers of the example suite: the official SDK pointed at the test's mock."""

from __future__ import annotations

from typing import Any

import pytest
from novita_client import NovitaClient

from novita_mock import NovitaMock

# pytester runs inner pytest sessions (tests/test_processes.py).
pytest_plugins = ["pytester"]

PROMPT = "A red fox trotting through fresh snow"


@pytest.fixture
def sdk(novita_mock: NovitaMock) -> NovitaClient:
    """The official Python SDK, as a service under test would configure it."""
    return NovitaClient("qa-key", base_url=novita_mock.url)


def submit_wan(sdk: NovitaClient, **extra: Any) -> str:
    """Submits a Wan 2.1 text-to-video job through the SDK's own request helper (the SDK has
    no Wan method) and returns its task id."""
    body: dict[str, Any] = {"prompt": PROMPT, "width": 832, "height": 480}
    if extra:
        body["extra"] = extra
    answer = sdk._post("/v3/async/wan-t2v", body)
    return str(answer["task_id"])
