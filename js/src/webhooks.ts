// A webhook receiver for tests: a local HTTP server on a port the system picks that records
// every POST the mock delivers, answers with the status the test chooses, and waits for
// deliveries by driving the mock clock (never by sleeping).

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

import type { ControlClient } from "./control.js";
import { NovitaMockError } from "./errors.js";
import type { TaskStatus, TaskWebhookLog } from "./types.js";

export const MAX_DELIVERIES = 10_000;
export const MAX_BODY = 1 << 20;

/** One POST the receiver got. */
export class Delivery {
  constructor(
    readonly path: string,
    /** Header names in lower case. */
    readonly headers: Record<string, string>,
    readonly body: Buffer,
    /** The body parsed as JSON; null when it was not JSON. */
    readonly json: unknown,
  ) {}

  /** The event's `payload.task` (empty when the body has none). */
  get task(): Record<string, unknown> {
    const payload = (this.json as { payload?: { task?: unknown } } | null)?.payload;
    const task = payload?.task;
    return task !== null && typeof task === "object" ? (task as Record<string, unknown>) : {};
  }

  get taskId(): string | undefined {
    const id = this.task.task_id;
    return typeof id === "string" ? id : undefined;
  }

  /** The task status the event reports (`TASK_STATUS_SUCCEED`, ...). */
  get status(): TaskStatus | undefined {
    return this.task.status as TaskStatus | undefined;
  }
}

/** `waitFor` moved the mock clock by its whole budget and the deliveries did not come. */
export class WebhookWaitError extends NovitaMockError {
  constructor(
    message: string,
    readonly deliveries: Delivery[],
    readonly mockLog: TaskWebhookLog[],
  ) {
    super(`${message}; the mock's webhook log: ${JSON.stringify(mockLog)}`);
  }
}

export interface WaitOptions {
  count?: number;
  taskId?: string;
  /** Simulated seconds per advance. Default 1. */
  step?: number;
  /** Simulated seconds to move at most. Default 600. */
  maxSeconds?: number;
}

/** Receives webhooks on `host`; `url` goes into `extra.webhook.url`. Keeps the newest
 * `MAX_DELIVERIES`; bodies over 1 MiB are refused with 413; `status` is the answer every POST
 * gets (set 500 to make the mock retry). */
export class WebhookReceiver {
  status = 200;
  readonly path: string;
  private readonly received: Delivery[] = [];
  private server: Server | undefined;

  constructor(
    readonly host = "127.0.0.1",
    path = "/novita-webhook",
  ) {
    this.path = path.startsWith("/") ? path : `/${path}`;
  }

  get url(): string {
    const address = this.server?.address() as AddressInfo | null | undefined;
    if (!address) throw new NovitaMockError("the receiver is not started");
    const host = this.host.includes(":") ? `[${this.host}]` : this.host;
    return `http://${host}:${address.port}${this.path}`;
  }

  get deliveries(): Delivery[] {
    return [...this.received];
  }

  /** The deliveries of one task (all of them without `taskId`). */
  deliveriesFor(taskId?: string): Delivery[] {
    return this.received.filter((d) => taskId === undefined || d.taskId === taskId);
  }

  clear(): void {
    this.received.length = 0;
  }

  /** Waits for `count` deliveries (of `taskId`, when given) by driving the mock clock: settles
   * what is due now, then advances `step` simulated seconds at a time, up to `maxSeconds`.
   * Each advance answers once the attempts that fell due have run, so no real time is waited.
   * Rejects with `WebhookWaitError` when they have not come by then. */
  async waitFor(control: ControlClient, options: WaitOptions = {}): Promise<Delivery[]> {
    const { count = 1, taskId, step = 1, maxSeconds = 600 } = options;
    let moved = 0;
    await control.advanceClock(0);
    for (;;) {
      const got = this.deliveriesFor(taskId);
      if (got.length >= count) return got;
      if (moved >= maxSeconds) {
        const which = taskId === undefined ? "" : ` of task ${taskId}`;
        throw new WebhookWaitError(
          `${got.length} of ${count} webhook deliveries${which} arrived after moving the ` +
            `mock clock ${moved} s`,
          got,
          await control.webhooks(),
        );
      }
      await control.advanceClock(step);
      moved += step;
    }
  }

  async start(): Promise<this> {
    const server = createServer((request, response) => this.handle(request, response));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, this.host, () => resolve());
    });
    this.server = server;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    if (request.method !== "POST") {
      response.writeHead(405, { Allow: "POST", "Content-Length": "0" }).end();
      return;
    }
    if (Number(request.headers["content-length"] ?? 0) > MAX_BODY) {
      response.writeHead(413, { "Content-Length": "0", Connection: "close" }).end();
      request.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY) chunks.push(chunk);
    });
    request.on("end", () => {
      if (size > MAX_BODY) {
        response.writeHead(413, { "Content-Length": "0" }).end();
        return;
      }
      const body = Buffer.concat(chunks);
      this.record(request, body);
      response.writeHead(this.status, { "Content-Length": "0" }).end();
    });
  }

  private record(request: IncomingMessage, body: Buffer): void {
    let json: unknown = null;
    try {
      json = body.length > 0 ? JSON.parse(body.toString("utf8")) : null;
    } catch {
      json = null;
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
    }
    this.received.push(new Delivery(request.url ?? "/", headers, body, json));
    if (this.received.length > MAX_DELIVERIES) this.received.shift();
  }
}

/** Starts a receiver; stop it with `await receiver.stop()`. */
export async function startWebhookReceiver(host?: string, path?: string): Promise<WebhookReceiver> {
  return new WebhookReceiver(host, path).start();
}
