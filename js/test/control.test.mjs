// The mock starts on a port it picked, and every control method drives it.
import assert from "node:assert/strict";
import { after, before, beforeEach, test } from "node:test";

import { ControlError, MockUnreachable, ControlClient, startNovitaMock } from "../dist/index.js";
import { binaryUnderTest, submitWan } from "./helpers.mjs";

let mock;
before(async () => {
  mock = await startNovitaMock({ binary: binaryUnderTest(), paused: true });
});
after(async () => {
  await mock?.stop();
});
beforeEach(async () => {
  await mock.control.reset();
});

test("the mock listens on loopback on a port it picked and answers /health", async () => {
  assert.match(mock.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.notEqual(new URL(mock.url).port, "8080");
  assert.deepEqual(mock.args().slice(0, 2), ["--addr", "127.0.0.1:0"]);
  const health = await mock.control.health();
  assert.equal(health.status, "ok");
  assert.equal(health.clock.paused, true);
});

test("a task moves with the clock, finishes and fails on command", async () => {
  const id = await submitWan(mock.url);
  assert.equal((await mock.control.task(id)).summary.status, "TASK_STATUS_QUEUED");
  const clock = await mock.control.advanceClock(2);
  assert.equal(clock.now_seconds >= 2, true);
  assert.equal((await mock.control.task(id)).summary.status, "TASK_STATUS_PROCESSING");
  assert.equal((await mock.control.finish(id)).status, "TASK_STATUS_SUCCEED");

  const other = await submitWan(mock.url);
  const failed = await mock.control.fail(other, "QA_SAID_SO");
  assert.equal(failed.status, "TASK_STATUS_FAILED");
  assert.equal((await mock.control.task(other)).result.task.reason, "QA_SAID_SO");

  const third = await submitWan(mock.url);
  assert.equal((await mock.control.advanceTask(third, 60)).status, "TASK_STATUS_SUCCEED");
  const listed = await mock.control.tasks({ limit: 2 });
  assert.equal(listed.tasks.length, 2);
  assert.equal(listed.stored, 3);
});

test("a non-2xx answer rejects with its status and the mock's body", async () => {
  const id = await submitWan(mock.url);
  await mock.control.finish(id);
  await assert.rejects(mock.control.finish(id), (error) => {
    assert.ok(error instanceof ControlError);
    assert.equal(error.status, 409);
    assert.equal(typeof error.body.error, "string");
    assert.match(error.message, /HTTP 409/);
    return true;
  });
  await assert.rejects(mock.control.task("no-such-task"), { status: 404, body: { error: "no task no-such-task" } });
  await assert.rejects(mock.control.advanceClock(-1), { name: "ControlError", status: 400 });
});

test("queued outcomes, the journal, the clock and the config", async () => {
  const queue = await mock.control.queueOutcome("reject", { reason: "ILLEGAL_PROMPT", count: 1, match: "wan-t2v" });
  assert.equal(queue.length, 1);
  assert.deepEqual([queue[0].count, queue[0].match, queue[0].outcome.type], [1, "wan-t2v", "reject"]);
  await assert.rejects(submitWan(mock.url), /submit: 400 .*ILLEGAL_PROMPT/);
  assert.deepEqual(await mock.control.outcomes(), []);
  await mock.control.queueOutcomes([{ outcome: { type: "rate_limit" } }, { outcome: { type: "server_error" }, count: 2 }]);
  assert.equal((await mock.control.outcomes()).length, 2);
  await mock.control.clearOutcomes();
  assert.deepEqual(await mock.control.outcomes(), []);
  const journal = await mock.control.journal({ path: "wan-t2v" });
  assert.deepEqual(journal.entries.map((e) => e.status), [400]);
  assert.equal((await mock.control.resumeClock()).paused, false);
  assert.equal((await mock.control.pauseClock()).paused, true);
  assert.equal((await mock.control.clock()).paused, true);
  assert.equal((await mock.control.config()).config.addr, "127.0.0.1:0");
  assert.equal(mock.control.dashboardUrl(), `${mock.url}/_mock/ui`);
});

test("a mock that does not answer rejects with MockUnreachable", async () => {
  const closed = new ControlClient("http://127.0.0.1:9", { timeoutMs: 5000 });
  await assert.rejects(closed.health(), (error) => error instanceof MockUnreachable && /did not answer/.test(error.message));
});

test("a token-guarded mock takes the token from the options", async () => {
  const guarded = await startNovitaMock({ binary: binaryUnderTest(), token: "qa-token" });
  try {
    assert.equal((await guarded.control.clock()).paused, false);
    const bare = new ControlClient(guarded.url);
    await assert.rejects(bare.clock(), (error) => error.status === 401 && error.body.reason === "MISSING_MOCK_TOKEN");
  } finally {
    await guarded.stop();
  }
});

test("events() follows a task from its creation to its end, and resumes", async () => {
  const events = await mock.control.events({ kinds: ["task.created", "task.finished"] });
  const id = await submitWan(mock.url);
  await mock.control.advanceClock(600);
  const created = (await events.next()).value;
  const finished = (await events.next()).value;
  events.close();
  assert.equal(created.kind, "task.created");
  assert.equal(created.task_id, id);
  assert.equal(created.endpoint, "wan-t2v");
  assert.equal(finished.kind, "task.finished");
  assert.equal(finished.status, "TASK_STATUS_SUCCEED");
  assert.ok(finished.id > created.id);

  const statuses = [];
  for await (const event of await mock.control.events({ task: id, lastEventId: created.id })) {
    statuses.push(event.status);
    if (statuses.length === 2) break;
  }
  assert.deepEqual(statuses, ["TASK_STATUS_PROCESSING", "TASK_STATUS_SUCCEED"]);
});

test("events() with a bad filter rejects with the mock's 400", async () => {
  await assert.rejects(mock.control.events({ kinds: ["task.exploded"] }), (error) => {
    assert.ok(error instanceof ControlError);
    assert.equal(error.status, 400);
    assert.match(error.body.error, /kind/);
    return true;
  });
});

test("metrics() is the Prometheus text, counted by route template", async () => {
  const id = await submitWan(mock.url);
  const text = await mock.control.metrics();
  assert.match(text, /novita_mock_requests_total\{route="\/v3\/async\/wan-t2v",status="200"\}/);
  assert.equal(text.includes(id), false);
});
