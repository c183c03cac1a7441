// No mock process outlives what started it: a test that throws, an uncaught error, a Node
// process that ends without stop(), SIGTERM. Each case runs in a child Node process that
// prints the mock's pid; once that child has ended, the mock must be gone.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { test } from "node:test";

import { startNovitaMock } from "../dist/index.js";
import { alive, binaryUnderTest } from "./helpers.mjs";

const INDEX = fileURLToPath(new URL("../dist/index.js", import.meta.url));

/** Runs `body` (ESM, with `mock` started) in a child Node; returns the mock's pid and status. */
function runChild(body, args = []) {
  const script = `
    import { startNovitaMock } from ${JSON.stringify(INDEX)};
    const mock = await startNovitaMock({ binary: ${JSON.stringify(binaryUnderTest())} });
    console.log("PID " + mock.pid);
    ${body}
  `;
  const child = spawnSync(process.execPath, [...args, "--input-type=module", "-e", script], {
    encoding: "utf8",
    timeout: 60_000,
  });
  const found = /PID (\d+)/.exec(child.stdout);
  assert.ok(found, `the child printed no pid:\n${child.stdout}\n${child.stderr}`);
  return { pid: Number(found[1]), status: child.status, signal: child.signal, stderr: child.stderr };
}

/** The kill was sent before the child exited; give the kernel a bounded moment to finish it. */
async function gone(pid) {
  for (let i = 0; i < 200 && alive(pid); i++) await new Promise((r) => setTimeout(r, 25));
  return !alive(pid);
}

test("stop() ends the process and may be called twice", async () => {
  const mock = await startNovitaMock({ binary: binaryUnderTest() });
  const pid = mock.pid;
  assert.ok(alive(pid));
  assert.equal(await mock.stop(), 0);
  assert.equal(await mock.stop(), null);
  assert.ok(await gone(pid));
});

test("an uncaught error kills the mock", async () => {
  const run = runChild(`throw new Error("the test blew up");`);
  assert.equal(run.status, 1);
  assert.match(run.stderr, /the test blew up/);
  assert.ok(await gone(run.pid), `mock ${run.pid} outlived the child`);
});

test("a Node process that forgets stop() exits and takes the mock with it", async () => {
  const run = runChild(`await mock.control.advanceClock(1);`);
  assert.equal(run.status, 0, run.stderr);
  assert.ok(await gone(run.pid), `mock ${run.pid} outlived the child`);
});

test("SIGTERM to the test process kills the mock", async () => {
  const run = runChild(`process.kill(process.pid, "SIGTERM"); await new Promise(() => setInterval(() => {}, 1000));`);
  assert.equal(run.signal, "SIGTERM");
  assert.ok(await gone(run.pid), `mock ${run.pid} outlived the child`);
});

test("a node:test file whose test throws leaves no mock behind", async () => {
  const body = `
    const { test, after } = await import("node:test");
    after(() => mock.stop());
    test("fails", () => { throw new Error("assertion went wrong"); });
  `;
  const run = runChild(body, ["--test-reporter=tap"]);
  assert.notEqual(run.status, 0);
  assert.ok(await gone(run.pid), `mock ${run.pid} outlived the test file`);
});
