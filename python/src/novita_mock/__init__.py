"""The mock Novita AI video server for tests in Python.

`NovitaMock` starts the `novita-mock` binary this wheel carries on a free port; `.control`
drives it (tasks, clock, queued outcomes, journal, webhooks); `WebhookReceiver` receives its
webhooks. The pytest plugin (`novita_mock.pytest_plugin`, loaded by its entry point) gives the
fixtures `novita_mock` and `novita_webhook_receiver`."""

from __future__ import annotations

from importlib import metadata as _metadata

from ._binary import ENV_BINARY, check_binary, find_binary
from ._errors import (
    BinaryError,
    ControlError,
    MockUnreachable,
    NovitaMockError,
    OptionRefused,
    StartupError,
)
from ._process import NovitaMock
from .control import ControlClient
from .webhooks import Delivery, WebhookReceiver, WebhookWaitError

try:
    __version__ = _metadata.version("novita-mock")
except _metadata.PackageNotFoundError:  # pragma: no cover - run from a source tree
    __version__ = "0+unknown"

__all__ = [
    "ENV_BINARY",
    "BinaryError",
    "ControlClient",
    "ControlError",
    "Delivery",
    "MockUnreachable",
    "NovitaMock",
    "NovitaMockError",
    "OptionRefused",
    "StartupError",
    "WebhookReceiver",
    "WebhookWaitError",
    "__version__",
    "check_binary",
    "find_binary",
]
