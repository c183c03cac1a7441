// A binary that cannot run, refused flags and a mock dying at start-up each give one clear error.
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";

import { BinaryError, OptionRefused, StartupError, findBinary, startNovitaMock } from "../dist/index.js";
import { binaryUnderTest } from "./helpers.mjs";

const dir = mkdtempSync(join(tmpdir(), "novita-mock-bad-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name, content, mode = 0o755) {
  const path = join(dir, name);
  writeFileSync(path, content);
  chmodSync(path, mode);
  return path;
}

/** An ELF header for `machine` (e_machine), little-endian, 64-bit. */
function elf(machine) {
  const head = Buffer.alloc(64);
  head.write("\x7fELF", 0, "latin1");
  head[4] = 2;
  head[5] = 1;
  head.writeUInt16LE(machine, 18);
  return head;
}

const here = `${process.platform} ${process.arch}`;

test("a missing binary names the path and this platform", async () => {
  const path = join(dir, "nowhere", "novita-mock");
  await assert.rejects(startNovitaMock({ binary: path }), (error) => {
    assert.ok(error instanceof BinaryError);
    assert.equal(error.path, path);
    assert.ok(error.message.includes(path) && error.message.includes(here), error.message);
    return true;
  });
});

test("NOVITA_MOCK_BIN is used before the platform package", () => {
  const saved = process.env.NOVITA_MOCK_BIN;
  process.env.NOVITA_MOCK_BIN = join(dir, "from-env");
  try {
    assert.throws(() => findBinary(), (error) => error.path === join(dir, "from-env"));
  } finally {
    process.env.NOVITA_MOCK_BIN = saved;
  }
});

test("a binary built for another architecture or system is refused before it starts", async () => {
  const other = process.arch === "arm64" ? 0x3e : 0xb7;
  const wrongArch = file("arm-mock", elf(other));
  await assert.rejects(startNovitaMock({ binary: wrongArch }), (error) => {
    assert.ok(error instanceof BinaryError);
    assert.match(error.message, new RegExp(`${wrongArch}: is built for \\w+; this machine is ${here}`));
    return true;
  });
  const windows = file("mock.exe", Buffer.from("MZ\x90\x00", "latin1"));
  if (process.platform !== "win32") {
    await assert.rejects(startNovitaMock({ binary: windows }), /is a Windows program; this machine is/);
  }
  const text = file("notes.txt", "just text\n");
  await assert.rejects(startNovitaMock({ binary: text }), /is not a program/);
});

test("a binary that is not executable, or a directory, is refused", async () => {
  const plain = file("plain", elf(0x3e), 0o644);
  await assert.rejects(startNovitaMock({ binary: plain }), /is not executable \(mode 644\)/);
  await assert.rejects(startNovitaMock({ binary: dir }), /is a directory, not a program/);
});

test("a refused flag rejects with the binary's own line", async () => {
  await assert.rejects(startNovitaMock({ binary: binaryUnderTest(), speed: 0 }), (error) => {
    assert.ok(error instanceof OptionRefused);
    assert.match(error.message, /^novita-mock: .*speed/);
    assert.equal(error.exitCode, 2);
    return true;
  });
});

test("a mock that dies during start-up rejects with its last log lines", async () => {
  const dying = file(
    "dying-mock",
    "#!/bin/sh\necho 'starting up'\necho 'cannot open the state file: disk on fire' >&2\nexit 3\n",
  );
  await assert.rejects(startNovitaMock({ binary: dying }), (error) => {
    assert.ok(error instanceof StartupError);
    assert.equal(error.exitCode, 3);
    assert.ok(error.logTail.includes("cannot open the state file: disk on fire"));
    assert.match(error.message, /exited with status 3 during start-up/);
    assert.match(error.message, /last lines of its log:\n.*starting up/);
    return true;
  });
});

test("a mock that never reports its address is stopped after the start-up budget", async () => {
  const silent = file("silent-mock", "#!/bin/sh\necho 'thinking'\nexec sleep 600\n");
  await assert.rejects(startNovitaMock({ binary: silent, startupTimeoutMs: 300 }), (error) => {
    assert.ok(error instanceof StartupError);
    assert.match(error.message, /did not report its address within 300 ms/);
    assert.deepEqual(error.logTail, ["thinking"]);
    return true;
  });
});
