// Finding the novita-mock binary (an explicit path, NOVITA_MOCK_BIN, or this machine's platform
// package) and checking, before it is started, that it can run here.

import { accessSync, constants, openSync, readSync, closeSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

import { BinaryError } from "./errors.js";
import { binaryName, describeHere, platformPackages, platformProblem } from "./platform.js";

export const ENV_BINARY = "NOVITA_MOCK_BIN";

const here = createRequire(import.meta.url);

/** The binary to run: `explicit`, else `$NOVITA_MOCK_BIN`, else the one in this machine's
 * platform package (`@novita-mock/linux-x64`, ...). The one chosen is checked with
 * `checkBinary`; none found throws `BinaryError` naming where it looked. */
export function findBinary(explicit?: string): string {
  const chosen = explicit ?? (process.env[ENV_BINARY] || undefined);
  if (chosen !== undefined) return checkBinary(chosen);
  const packages = platformPackages();
  if (packages.length === 0) {
    throw new BinaryError(
      binaryName(),
      `no platform package is published for ${describeHere()}; ` +
        `set ${ENV_BINARY} to a novita-mock binary built for it`,
    );
  }
  const looked: string[] = [];
  for (const name of packages) {
    let manifest: string;
    try {
      manifest = here.resolve(`${name}/package.json`);
    } catch {
      looked.push(`${name} (not installed)`);
      continue;
    }
    return checkBinary(join(dirname(manifest), "bin", binaryName()));
  }
  throw new BinaryError(
    `${packages[0]}/bin/${binaryName()}`,
    `not found: ${looked.join(", ")} for ${describeHere()}; reinstall novita-mock without ` +
      `--omit=optional (or --no-optional), or set ${ENV_BINARY} to the binary`,
  );
}

/** Returns `path` when it names an executable file that can run here; throws `BinaryError`
 * naming the path and what is wrong otherwise. */
export function checkBinary(path: string): string {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch {
    throw new BinaryError(path, `does not exist (this machine is ${describeHere()})`);
  }
  if (isDirectory) throw new BinaryError(path, "is a directory, not a program");
  if (process.platform !== "win32") {
    try {
      accessSync(path, constants.X_OK);
    } catch {
      const mode = (statSync(path).mode & 0o777).toString(8);
      throw new BinaryError(path, `is not executable (mode ${mode}); chmod +x it`);
    }
  }
  const problem = platformProblem(readHead(path));
  if (problem !== null) throw new BinaryError(path, problem);
  return path;
}

function readHead(path: string): Buffer {
  const head = Buffer.alloc(64);
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (error) {
    throw new BinaryError(path, `cannot be read: ${(error as Error).message}`);
  }
  try {
    return head.subarray(0, readSync(fd, head, 0, head.length, 0));
  } finally {
    closeSync(fd);
  }
}

/** The `BinaryError` for a binary the system refused to start. */
export function startProblem(path: string, error: NodeJS.ErrnoException): BinaryError {
  switch (error.code) {
    case "ENOEXEC":
      return new BinaryError(path, `cannot run on ${describeHere()}: ${error.message}`);
    case "ENOENT":
      return new BinaryError(
        path,
        `cannot be started on ${describeHere()}: its loader or script interpreter is missing ` +
          "(built for another platform or C library?)",
      );
    default:
      return new BinaryError(path, `cannot be started: ${error.message}`);
  }
}
