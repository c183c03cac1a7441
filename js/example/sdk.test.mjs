// The example suite .ci/js-package runs in a fresh project where novita-mock and its linux-x64
// platform package are installed from their npm tarballs, next to the official JS SDK. It is
// what a team's own node:test suite looks like: one mock for the file, reset before each test.
import assert from "node:assert/strict";
import { realpathSync } from "node:fs";
import { createRequire } from "node:module";
import { after, before, beforeEach, test } from "node:test";

import { NovitaSDK } from "novita-sdk";
import { findBinary, startNovitaMock, startWebhookReceiver } from "novita-mock";

let mock;
let receiver;
let sdk;

before(async () => {
  mock = await startNovitaMock({ paused: true });
  receiver = await startWebhookReceiver();
  sdk = new NovitaSDK("qa-key");
  sdk.setBaseUrl(mock.url);
});

after(async () => {
  await receiver?.stop();
  await mock?.stop();
});

beforeEach(async () => {
  await mock.control.reset();
  receiver.clear();
});

const wan = { model_name: "wan-t2v", prompt: "A red fox trotting through fresh snow", width: 832, height: 480, frames: 81, seed: 7 };

test("the binary is the one of the installed platform package", () => {
  assert.equal(process.env.NOVITA_MOCK_BIN, undefined);
  const platformPackage = createRequire(import.meta.url).resolve("@novita-mock/linux-x64/package.json");
  const expected = realpathSync(platformPackage).replace(/package\.json$/, "bin/novita-mock");
  assert.equal(realpathSync(findBinary()), expected);
});

test("a task submitted with the SDK succeeds once the mock clock has moved", async () => {
  const { task_id } = await sdk.wanT2v(wan);
  assert.equal((await sdk.progress({ task_id })).task.status, "TASK_STATUS_QUEUED");
  await mock.control.advanceClock(2);
  assert.equal((await sdk.progress({ task_id })).task.status, "TASK_STATUS_PROCESSING");
  await mock.control.advanceClock(60);
  const done = await sdk.progress({ task_id });
  assert.equal(done.task.status, "TASK_STATUS_SUCCEED");
  const video = await fetch(done.videos[0].video_url);
  assert.equal(video.status, 200);
  assert.equal(video.headers.get("content-type"), "video/mp4");
});

test("finish and fail end tasks on command, as the SDK sees them", async () => {
  const first = await sdk.wanT2v(wan);
  const second = await sdk.wanT2v(wan);
  await mock.control.finish(first.task_id);
  await mock.control.fail(second.task_id, "QA_FORCED_FAILURE");
  assert.equal((await sdk.progress({ task_id: first.task_id })).task.status, "TASK_STATUS_SUCCEED");
  const failed = await sdk.progress({ task_id: second.task_id });
  assert.equal(failed.task.status, "TASK_STATUS_FAILED");
  assert.equal(failed.task.reason, "QA_FORCED_FAILURE");
  await assert.rejects(mock.control.finish(second.task_id), (error) => error.status === 409 && typeof error.body.error === "string");
});

test("the webhook of a task arrives at the receiver", async () => {
  const { task_id } = await sdk.wanT2v({ ...wan, extra: { webhook: { url: receiver.url } } });
  const [event] = await receiver.waitFor(mock.control, { taskId: task_id });
  assert.equal(event.status, "TASK_STATUS_SUCCEED");
  assert.equal(event.json.event_type, "ASYNC_TASK_RESULT");
});

test("a queued outcome is what the SDK gets", async () => {
  await mock.control.queueOutcome("reject", { reason: "ILLEGAL_PROMPT", match: "wan-t2v" });
  await assert.rejects(sdk.wanT2v(wan), (error) => error.code === 400 && error.reason === "ILLEGAL_PROMPT");
  await mock.control.queueOutcome("rate_limit", { count: 1 });
  await assert.rejects(sdk.wanT2v(wan), (error) => error.code === 429);
  const { task_id } = await sdk.wanT2v(wan);
  assert.match(task_id, /\S/);
  const statuses = (await mock.control.journal({ path: "wan-t2v" })).entries.map((e) => e.status);
  assert.deepEqual(statuses, [400, 429, 200]);
});
