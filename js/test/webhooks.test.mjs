// The webhook receiver gets the mock's deliveries; waitFor drives the mock clock, never sleeps.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { WebhookWaitError, startNovitaMock, startWebhookReceiver } from "../dist/index.js";
import { binaryUnderTest, submitWan } from "./helpers.mjs";

let mock;
let receiver;
before(async () => {
  mock = await startNovitaMock({ binary: binaryUnderTest(), paused: true });
  receiver = await startWebhookReceiver();
});
after(async () => {
  await receiver?.stop();
  await mock?.stop();
});

test("waitFor advances the paused clock until the task's event arrives", async () => {
  const id = await submitWan(mock.url, receiver.url);
  const before = (await mock.control.clock()).now_seconds;
  const [event] = await receiver.waitFor(mock.control, { taskId: id });
  assert.equal(event.taskId, id);
  assert.equal(event.status, "TASK_STATUS_SUCCEED");
  assert.equal(event.path, "/novita-webhook");
  assert.equal(event.headers["content-type"], "application/json");
  assert.ok((await mock.control.clock()).now_seconds - before >= 7, "the clock was moved, not waited on");
  assert.equal((await mock.control.webhooks()).find((w) => w.task_id === id).log.delivery, "delivered");
});

test("a receiver answering 500 makes the mock retry", async () => {
  receiver.clear();
  receiver.status = 500;
  try {
    const id = await submitWan(mock.url, receiver.url);
    const got = await receiver.waitFor(mock.control, { taskId: id, count: 2, step: 5 });
    assert.ok(got.length >= 2);
    const log = (await mock.control.task(id)).webhook;
    assert.ok(log.attempts.length >= 2 && log.attempts.every((a) => a.status === 500));
  } finally {
    receiver.status = 200;
  }
});

test("waitFor rejects with the mock's delivery log when nothing comes", async () => {
  receiver.clear();
  const id = await submitWan(mock.url);
  await assert.rejects(receiver.waitFor(mock.control, { taskId: id, maxSeconds: 3 }), (error) => {
    assert.ok(error instanceof WebhookWaitError);
    assert.match(error.message, /0 of 1 webhook deliveries of task .* after moving the mock clock 3 s/);
    return true;
  });
});
