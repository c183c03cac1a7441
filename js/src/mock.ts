// NovitaMock: one novita-mock process on a port it picked itself, started, watched and stopped.

import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { isIP } from "node:net";

import { findBinary, startProblem } from "./binary.js";
import { ControlClient } from "./control.js";
import { MockUnreachable, NovitaMockError, OptionRefused, StartupError } from "./errors.js";
import { OutputReader } from "./output.js";
import { track, untrack } from "./reaper.js";

// A refusal the binary prints before exiting with status 2: its own line, or clap's.
const REFUSAL = /^(novita-mock: |error: )/;
const ENV_PREFIX = "NOVITA_MOCK_";

export interface NovitaMockOptions {
  /** `--speed`: simulated seconds per real second while the clock runs. */
  speed?: number;
  /** `--paused`: the clock starts paused; nothing moves unless the test moves it. */
  paused?: boolean;
  /** `--api-key`, each: the keys accepted (none: any non-empty key). */
  apiKeys?: readonly string[];
  /** `--control-token`; made up when `host` is not loopback and none is given. */
  token?: string;
  /** `--scenario`, `--state`, `--retired`: see the mock's manual. */
  scenario?: string;
  state?: string;
  retired?: string;
  /** Any other flag, as it is (`["--rate-limit", "20"]`). */
  extraArgs?: readonly string[];
  /** The binary; default: `NOVITA_MOCK_BIN`, then this machine's platform package. */
  binary?: string;
  /** Where to listen (a port is picked by the system). Default `127.0.0.1`. */
  host?: string;
  /** Variables added to the child's environment (`NOVITA_MOCK_*` of this process are not passed). */
  env?: Record<string, string>;
  /** Appends everything the mock prints to this file. */
  logFile?: string;
  /** Start-up budget: the address reported and `/health` answered. Default 30 000. */
  startupTimeoutMs?: number;
  /** How long `stop()` waits after SIGTERM before it kills. Default 15 000. */
  stopTimeoutMs?: number;
  /** Lines of output kept for `logTail()` and start-up errors. Default 500. */
  keepLines?: number;
}

/** Starts a mock and resolves once `/health` answers. Rejects with `BinaryError`,
 * `OptionRefused` or `StartupError`; a mock that failed to start is stopped first. */
export async function startNovitaMock(options: NovitaMockOptions = {}): Promise<NovitaMock> {
  return new NovitaMock(options).start();
}

/** A mock started elsewhere (a container, a compose or CI service): `start()` checks that it
 * answers `/health`, `stop()` leaves it running. */
export async function connectNovitaMock(url: string, token?: string): Promise<NovitaMock> {
  const parsed = new URL(url);
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new NovitaMockError(`not a mock URL (http://host:port expected): ${url}`);
  }
  const mock = new NovitaMock({ token });
  mock.external = url.replace(/\/+$/, "");
  return mock.start();
}

export class NovitaMock {
  readonly options: NovitaMockOptions;
  readonly token: string | undefined;
  /** @internal the URL of a mock started elsewhere */
  external: string | undefined;
  private child: ChildProcess | undefined;
  private output: OutputReader | undefined;
  private exited: Promise<number | null> | undefined;
  private base: string | undefined;
  private client: ControlClient | undefined;

  constructor(options: NovitaMockOptions = {}) {
    if (typeof options.apiKeys === "string") {
      throw new TypeError("apiKeys takes a list of keys, not one string");
    }
    this.options = { ...options };
    const host = options.host ?? "127.0.0.1";
    this.token = options.token ?? (isLoopback(host) ? undefined : randomBytes(16).toString("hex"));
  }

  /** The mock's base URL (`NOVITA_BASE_URL` for a client under test). */
  get url(): string {
    if (this.base === undefined) throw new NovitaMockError("the mock is not started");
    return this.base;
  }

  /** The control-API client of this mock. */
  get control(): ControlClient {
    if (this.client === undefined) throw new NovitaMockError("the mock is not started");
    return this.client;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    if (this.external !== undefined) return this.base !== undefined;
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The last `count` lines the mock printed (standard output and error). */
  logTail(count = 50): string[] {
    return this.output?.tail(count) ?? [];
  }

  /** The flags this mock is started with. */
  args(): string[] {
    const o = this.options;
    const host = o.host ?? "127.0.0.1";
    const args = ["--addr", `${host.includes(":") && !host.startsWith("[") ? `[${host}]` : host}:0`];
    if (o.speed !== undefined) args.push("--speed", String(o.speed));
    if (o.paused) args.push("--paused");
    for (const key of o.apiKeys ?? []) args.push("--api-key", key);
    if (this.token !== undefined) args.push("--control-token", this.token);
    if (o.scenario !== undefined) args.push("--scenario", o.scenario);
    if (o.state !== undefined) args.push("--state", o.state);
    if (o.retired !== undefined) args.push("--retired", o.retired);
    return [...args, ...(o.extraArgs ?? [])];
  }

  /** Starts the binary and resolves once `/health` answers. */
  async start(): Promise<this> {
    const deadline = Date.now() + (this.options.startupTimeoutMs ?? 30_000);
    if (this.external !== undefined) {
      this.base = this.external;
      this.client = new ControlClient(this.base, { token: this.token });
      await this.waitHealthy(deadline);
      return this;
    }
    if (this.child !== undefined) throw new NovitaMockError("this mock is already started");
    const binary = findBinary(this.options.binary);
    await this.spawn(binary);
    try {
      await this.waitStarted(binary, deadline);
    } catch (error) {
      await this.stop();
      throw error;
    }
    // Started: the process no longer keeps Node alive; the reaper kills it when Node exits.
    const child = this.child as ChildProcess | undefined;
    child?.unref();
    for (const stream of [child?.stdout, child?.stderr]) {
      (stream as unknown as { unref?: () => void } | null)?.unref?.();
    }
    return this;
  }

  /** SIGTERM, then waits up to `stopTimeoutMs` for the mock to exit, then kills it. Resolves
   * to its exit code (null for a mock started elsewhere or killed). Safe to call twice. */
  async stop(): Promise<number | null> {
    const child = this.child;
    const exited = this.exited;
    this.child = undefined;
    if (child === undefined || exited === undefined) return null;
    child.ref();
    try {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const budget = this.options.stopTimeoutMs ?? 15_000;
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<"late">((resolve) => {
          timer = setTimeout(() => resolve("late"), budget);
        });
        const first = await Promise.race([exited, late]);
        clearTimeout(timer);
        if (first === "late") child.kill("SIGKILL");
      }
      return await exited;
    } finally {
      untrack(child);
    }
  }

  private spawn(binary: string): Promise<void> {
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(process.env)) {
      if (!key.startsWith(ENV_PREFIX) && value !== undefined) env[key] = value;
    }
    Object.assign(env, { NO_COLOR: "1" }, this.options.env ?? {});
    const child = spawn(binary, this.args(), { env, stdio: ["ignore", "pipe", "pipe"] });
    const output = new OutputReader(this.options.keepLines ?? 500, this.options.logFile);
    this.output = output;
    this.exited = new Promise((resolve) => child.once("close", (code) => resolve(code)));
    return new Promise((resolve, reject) => {
      child.once("error", (error: NodeJS.ErrnoException) => {
        this.child = undefined;
        reject(startProblem(binary, error));
      });
      child.once("spawn", () => {
        this.child = child;
        track(child);
        output.follow(child.stdout!, "stdout");
        output.follow(child.stderr!, "stderr");
        resolve();
      });
    });
  }

  private async waitStarted(binary: string, deadline: number): Promise<void> {
    const output = this.output!;
    const timedOut = Symbol("timeout");
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<typeof timedOut>((resolve) => {
      timer = setTimeout(() => resolve(timedOut), Math.max(0, deadline - Date.now()));
    });
    const first = await Promise.race([output.ready(), late]);
    clearTimeout(timer);
    if (output.address === null) {
      if (first !== timedOut) throw await this.exitedError(binary);
      const budget = this.options.startupTimeoutMs ?? 30_000;
      throw new StartupError(
        `${binary} did not report its address within ${budget} ms`,
        output.tail(20),
        this.child?.exitCode ?? null,
      );
    }
    this.base = reachable(output.address);
    this.client = new ControlClient(this.base, { token: this.token });
    await this.waitHealthy(deadline);
  }

  private async exitedError(binary: string): Promise<StartupError> {
    const code = await this.exited!;
    const tail = this.output!.tail(20);
    const refusals = tail.filter((line) => REFUSAL.test(line));
    if (code === 2 && refusals.length > 0) {
      return new OptionRefused(refusals[refusals.length - 1], tail, code);
    }
    return new StartupError(`${binary} exited with status ${code} during start-up`, tail, code);
  }

  /** Asks `/health` until it answers; only a mock not answering yet is asked again. */
  private async waitHealthy(deadline: number): Promise<void> {
    for (;;) {
      try {
        await this.control.health();
        return;
      } catch (error) {
        if (!(error instanceof MockUnreachable)) throw error;
        const child = this.child;
        if (this.external === undefined && !this.running) {
          throw new StartupError(
            `the mock exited before answering /health (${error.reason})`,
            this.logTail(20),
            child?.exitCode ?? null,
          );
        }
        if (Date.now() >= deadline) {
          throw new StartupError(
            `${this.control.url}/health did not answer: ${error.reason}`,
            this.logTail(20),
            child?.exitCode ?? null,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }
}

function isLoopback(host: string): boolean {
  if (host === "localhost") return true;
  const bare = host.replace(/^\[|\]$/g, "");
  if (isIP(bare) === 4) return bare.startsWith("127.");
  return bare === "::1";
}

/** The URL to call a mock that reported `address`: an unspecified host is called on loopback. */
function reachable(address: string): string {
  const parsed = new URL(address);
  if (parsed.hostname === "0.0.0.0") return `http://127.0.0.1:${parsed.port}`;
  if (parsed.hostname === "[::]") return `http://[::1]:${parsed.port}`;
  return address.replace(/\/+$/, "");
}
