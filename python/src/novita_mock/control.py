"""A client of the mock's control API (`/_mock/...` and `/health`): one method per route.

Every call returns the answer's parsed JSON (None for 204); an answer other than 2xx raises
`ControlError` with its status and body, no answer at all raises `MockUnreachable`."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping
from typing import Any, cast

from ._errors import ControlError, MockUnreachable
from ._events import EventStream, events_request
from ._types import Clock, JournalPage, QueuedOutcome, TaskList, TaskSummary

TOKEN_HEADER = "X-Mock-Token"

# Proxies from the environment (HTTP_PROXY) never apply: the mock is a local or private peer.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class ControlClient:
    """Drives one mock at `url` (its base, e.g. `http://127.0.0.1:8080`). `token` is its
    control token (`--control-token`), sent as `X-Mock-Token` on every call. `timeout` bounds
    each call in seconds; an advance of the clock answers once the webhook attempts that fell
    due have run, each of which may take the receiver's 5 s timeout."""

    def __init__(self, url: str, token: str | None = None, timeout: float = 60.0) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout

    # --- health and settings

    def health(self) -> dict[str, Any]:
        """`GET /health`: liveness, the store's counts and the clock (never needs the token)."""
        return cast("dict[str, Any]", self._call("GET", "/health"))

    def config(self) -> dict[str, Any]:
        """`GET /_mock/config`: the settings in force (key count and token presence only)."""
        return cast("dict[str, Any]", self._call("GET", "/_mock/config"))

    # --- tasks

    def tasks(self, limit: int | None = None) -> TaskList:
        """`GET /_mock/tasks`: the newest `limit` tasks (the mock's default: 1000)."""
        return cast(TaskList, self._call("GET", "/_mock/tasks", query={"limit": limit}))

    def task(self, task_id: str) -> dict[str, Any]:
        """`GET /_mock/tasks/{id}`: summary, request, result and webhook log of one task."""
        return cast("dict[str, Any]", self._call("GET", _task_path(task_id)))

    def finish(self, task_id: str) -> TaskSummary:
        """`POST /_mock/tasks/{id}/finish`: the task succeeds now (409 once it has ended)."""
        return cast(TaskSummary, self._call("POST", _task_path(task_id, "finish")))

    def fail(self, task_id: str, reason: str = "TASK_FAILED") -> TaskSummary:
        """`POST /_mock/tasks/{id}/fail`: the task fails now with `reason`."""
        body = {"reason": reason}
        return cast(TaskSummary, self._call("POST", _task_path(task_id, "fail"), body))

    def advance_task(self, task_id: str, seconds: float) -> TaskSummary:
        """`POST /_mock/tasks/{id}/advance`: moves one task's own clock `seconds` forward."""
        body = {"seconds": seconds}
        return cast(TaskSummary, self._call("POST", _task_path(task_id, "advance"), body))

    # --- the mock clock

    def clock(self) -> Clock:
        """`GET /_mock/clock`."""
        return cast(Clock, self._call("GET", "/_mock/clock"))

    def pause_clock(self) -> Clock:
        """`POST /_mock/clock/pause`: nothing moves until the clock is advanced or resumed."""
        return cast(Clock, self._call("POST", "/_mock/clock/pause"))

    def resume_clock(self) -> Clock:
        """`POST /_mock/clock/resume`."""
        return cast(Clock, self._call("POST", "/_mock/clock/resume"))

    def advance_clock(self, seconds: float) -> Clock:
        """`POST /_mock/clock/advance`: moves every task `seconds` forward and runs the webhook
        attempts that fall due on the way; answers once they have run."""
        return cast(Clock, self._call("POST", "/_mock/clock/advance", {"seconds": seconds}))

    # --- queued outcomes

    def queue_outcome(
        self,
        type: str,
        *,
        count: int | None = None,
        match: str | None = None,
        **fields: Any,
    ) -> list[QueuedOutcome]:
        """`POST /_mock/outcomes`: the next `count` matching requests get outcome `type`
        (`rate_limit`, `fail`, `reject`, `server_error`, a fault name, ...) with its `fields`
        (`reason=`, `status=`, `ms=`, `seconds=`, ...). `match` is a path or its last part;
        without it every submission matches. Answers the whole queue."""
        queued: dict[str, Any] = {"outcome": {"type": type, **fields}}
        if count is not None:
            queued["count"] = count
        if match is not None:
            queued["match"] = match
        return self.queue_outcomes([queued])

    def queue_outcomes(self, outcomes: Iterable[Mapping[str, Any]]) -> list[QueuedOutcome]:
        """`POST /_mock/outcomes` with a list of `{"outcome": {...}, "count": N, "match": P}`."""
        body = [dict(o) for o in outcomes]
        return cast("list[QueuedOutcome]", self._call("POST", "/_mock/outcomes", body))

    def outcomes(self) -> list[QueuedOutcome]:
        """`GET /_mock/outcomes`: what is still queued."""
        return cast("list[QueuedOutcome]", self._call("GET", "/_mock/outcomes"))

    def clear_outcomes(self) -> None:
        """`DELETE /_mock/outcomes`."""
        self._call("DELETE", "/_mock/outcomes")

    # --- what the mock saw and did

    def journal(self, path: str | None = None, limit: int | None = None) -> JournalPage:
        """`GET /_mock/journal`: requests to the Novita routes, oldest first; `path` keeps
        those whose path contains it, `limit` the newest that many."""
        query = {"path": path, "limit": limit}
        return cast(JournalPage, self._call("GET", "/_mock/journal", query=query))

    def webhooks(self) -> list[dict[str, Any]]:
        """`GET /_mock/webhooks`: `{"task_id", "log"}` for every task with a webhook."""
        return cast("list[dict[str, Any]]", self._call("GET", "/_mock/webhooks"))

    def reset(self) -> None:
        """`POST /_mock/reset`: forgets tasks, outcomes, journal and pending webhooks (the
        clock keeps its reading and its paused state)."""
        self._call("POST", "/_mock/reset")

    def video(self, file_or_url: str) -> bytes:
        """`GET /_mock/videos/{file}`: the MP4 a succeeded task's `video_url` names, given as
        that URL or as its file name."""
        name = file_or_url.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0]
        path = "/_mock/videos/" + urllib.parse.quote(name, safe="")
        return self._request("GET", path, accept="video/mp4")

    def metrics(self) -> str:
        """`GET /_mock/metrics`: the mock's metrics in the Prometheus text format."""
        return self._request("GET", "/_mock/metrics", accept="text/plain").decode()

    def events(
        self,
        task: str | None = None,
        kinds: Iterable[str] | None = None,
        last_event_id: int | None = None,
    ) -> EventStream:
        """`GET /_mock/events`: subscribes now and returns an iterator of the events that
        follow (each a dict), optionally one task's (`task`) and some kinds (`kinds`, e.g.
        `["task.finished", "webhook.attempt"]`; `"request"` only when named). `last_event_id`
        resumes after that event from the mock's history. A bad filter raises `ControlError`
        (400), as does a full stream (503). Each read waits at most `timeout` seconds (the mock
        sends a keep-alive every 15 s)."""
        request = events_request(self.url, self.token, task, kinds, last_event_id)
        return EventStream(_OPENER, request, self.timeout)

    def dashboard_url(self) -> str:
        """The dashboard's address, with the token when there is one."""
        if self.token is None:
            return f"{self.url}/_mock/ui"
        return f"{self.url}/_mock/ui?" + urllib.parse.urlencode({"token": self.token})

    # --- the one HTTP call

    def _call(
        self,
        method: str,
        path: str,
        body: Any = None,
        query: Mapping[str, Any] | None = None,
    ) -> Any:
        return _decode(self._request(method, path, body, query))

    def _request(
        self,
        method: str,
        path: str,
        body: Any = None,
        query: Mapping[str, Any] | None = None,
        accept: str = "application/json",
    ) -> bytes:
        url = self.url + path
        if query:
            pairs = {k: v for k, v in query.items() if v is not None}
            if pairs:
                url += "?" + urllib.parse.urlencode(pairs)
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Accept", accept)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if self.token is not None:
            request.add_header(TOKEN_HEADER, self.token)
        try:
            with _OPENER.open(request, timeout=self.timeout) as answer:
                return cast(bytes, answer.read())
        except urllib.error.HTTPError as e:
            raise ControlError(method, url, e.code, _decode(e.read())) from None
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, "reason", None) or e
            raise MockUnreachable(method, url, str(reason)) from None


def _task_path(task_id: str, action: str | None = None) -> str:
    path = "/_mock/tasks/" + urllib.parse.quote(task_id, safe="")
    return path if action is None else f"{path}/{action}"


def _decode(raw: bytes) -> Any:
    if not raw:
        return None
    text = raw.decode("utf-8", errors="replace")
    try:
        return json.loads(text)
    except ValueError:
        return text
