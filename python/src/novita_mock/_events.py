"""The mock's event stream (`GET /_mock/events`, Server-Sent Events) as an iterator of dicts."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Iterator
from typing import IO, Any, cast

from ._errors import ControlError, MockUnreachable


class EventStream:
    """An open subscription: iterating yields each event's data as a dict (`id`, `kind`,
    `at_unix_ms`, `task_id`, ...), waiting for the next one. It ends when the mock ends the
    stream: after a `stream.cut_off` event (this reader fell too far behind; open another with
    `last_event_id` set to its `last_id` to resume) or when the mock stops. Close it (or use it
    as a context manager) to leave."""

    def __init__(
        self, opener: urllib.request.OpenerDirector, request: urllib.request.Request, timeout: float
    ) -> None:
        self.last_event_id: int | None = None
        try:
            self._answer = cast(IO[bytes], opener.open(request, timeout=timeout))
        except urllib.error.HTTPError as e:
            body = e.read().decode("utf-8", errors="replace")
            try:
                decoded: Any = json.loads(body)
            except ValueError:
                decoded = body
            raise ControlError("GET", request.full_url, e.code, decoded) from None
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, "reason", None) or e
            raise MockUnreachable("GET", request.full_url, str(reason)) from None

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return self

    def __next__(self) -> dict[str, Any]:
        data: list[str] = []
        for raw in self._answer:
            line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            if line.startswith("data:"):
                data.append(line[5:].lstrip(" "))
            elif line.startswith("id:"):
                self.last_event_id = int(line[3:].strip())
            elif line == "" and data:
                return cast(dict[str, Any], json.loads("\n".join(data)))
        self.close()
        raise StopIteration

    def close(self) -> None:
        self._answer.close()

    def __enter__(self) -> EventStream:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def events_request(
    url: str,
    token: str | None,
    task: str | None,
    kinds: Iterable[str] | None,
    last_event_id: int | None,
) -> urllib.request.Request:
    """The request of a subscription with these filters."""
    query: dict[str, str] = {}
    if task is not None:
        query["task"] = task
    if kinds is not None:
        query["kind"] = ",".join(kinds)
    full = url + "/_mock/events"
    if query:
        full += "?" + urllib.parse.urlencode(query)
    request = urllib.request.Request(full, method="GET")
    request.add_header("Accept", "text/event-stream")
    if token is not None:
        request.add_header("X-Mock-Token", token)
    if last_event_id is not None:
        request.add_header("Last-Event-ID", str(last_event_id))
    return request
