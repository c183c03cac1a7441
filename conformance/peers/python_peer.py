"""Drives the official Python SDK (novita-client 0.7.1) against a server, unchanged: submits a
Wan 2.1 text-to-video job through the SDK's own request helper (it has no Wan method), waits
with the SDK's own poller and decodes every task result into the SDK's types.

Usage: python_peer.py BASE_URL. Prints `statuses ...` and `final STATUS VIDEO_URL`; exits 1
with the SDK's error when a result does not decode."""

import sys

from novita_client import NovitaClient

client = NovitaClient("sdk-peer-key", base_url=sys.argv[1])
submitted = client._post(
    "/v3/async/wan-t2v",
    {"prompt": "A red fox trotting through fresh snow", "width": 832, "height": 480},
)
seen = []
result = client.wait_for_task_v3(
    submitted["task_id"], wait_for=240, callback=lambda p: seen.append(p.task.status.value)
)
print("statuses", ",".join(sorted(set(seen))))
print("final", result.task.status.value, result.get_video_urls()[0])
print("ttl", result.videos[0].video_url_ttl, "seed", result.extra.seed)
