// Reads the mock's output (standard output and error, both): keeps the last lines, copies every
// line to a log file when asked, and picks out the address the mock reports once it listens.

import { appendFileSync } from "node:fs";
import type { Readable } from "node:stream";

// What the binary prints once its socket is bound (mock-server/src/bin/novita-mock/main.rs).
const LISTENING = /^novita-mock listening on (http:\/\/\S+)\s*$/;

export class OutputReader {
  private readonly lines: string[] = [];
  private partial: Record<string, string> = {};
  address: string | null = null;
  private readonly waiters: Array<() => void> = [];
  ended = false;
  private openStreams = 0;

  constructor(
    private readonly keep: number,
    private readonly logFile: string | undefined,
  ) {}

  /** Reads `stream` (named `key`) until it closes. */
  follow(stream: Readable, key: string): void {
    this.openStreams += 1;
    this.partial[key] = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => {
      const text = this.partial[key] + chunk;
      const parts = text.split(/\r?\n/);
      this.partial[key] = parts.pop() ?? "";
      for (const line of parts) this.take(line);
    });
    stream.on("close", () => {
      if (this.partial[key]) this.take(this.partial[key]);
      this.partial[key] = "";
      this.openStreams -= 1;
      if (this.openStreams === 0) {
        this.ended = true;
        this.wake();
      }
    });
  }

  /** The last `count` lines of output. */
  tail(count: number): string[] {
    return count > 0 ? this.lines.slice(-count) : [];
  }

  /** Resolves once the address is known or the output has ended. */
  ready(): Promise<void> {
    if (this.address !== null || this.ended) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private take(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.keep) this.lines.splice(0, this.lines.length - this.keep);
    if (this.logFile !== undefined) appendFileSync(this.logFile, `${line}\n`);
    if (this.address === null) {
      const found = LISTENING.exec(line);
      if (found) {
        this.address = found[1];
        this.wake();
      }
    }
  }

  private wake(): void {
    for (const resolve of this.waiters.splice(0)) resolve();
  }
}
