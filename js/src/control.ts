// A client of the mock's control API (`/_mock/...` and `/health`): one method per route of
// openapi/mock-control.yaml, named after its operationId in camelCase.

import { ControlError, MockUnreachable } from "./errors.js";
import { openEvents, type EventStream, type EventsOptions } from "./events.js";
import type {
  Clock,
  ConfigView,
  Health,
  JournalPage,
  JournalQuery,
  OutcomeFields,
  OutcomeRequest,
  OutcomeType,
  QueuedOutcome,
  TaskDetail,
  TaskList,
  TaskSummary,
  TaskWebhookLog,
  TasksQuery,
} from "./types.js";

export const TOKEN_HEADER = "X-Mock-Token";

export interface ControlOptions {
  /** The control token (`--control-token`), sent as `X-Mock-Token` on every call. */
  token?: string;
  /** Bounds each call; an advance of the clock answers once the webhook attempts that fell due
   * have run, each of which may take the receiver's 5 s timeout. Default 60 000. */
  timeoutMs?: number;
}

/** Options of `queueOutcome`: how many matching requests, which ones, and the outcome's own
 * fields (`reason`, `status`, `ms`, `seconds`, ...). */
export type QueueOptions<T extends OutcomeType> = Partial<OutcomeFields<T>> & {
  count?: number;
  match?: string;
};

type Query = Record<string, string | number | undefined>;

/** Drives one mock at `url` (its base, e.g. `http://127.0.0.1:8080`). Every method resolves to
 * the parsed JSON answer (undefined for an empty one); a status other than 2xx rejects with
 * `ControlError` (`status`, `body`), no answer at all with `MockUnreachable`. */
export class ControlClient {
  readonly url: string;
  readonly token: string | undefined;
  readonly timeoutMs: number;

  constructor(url: string, options: ControlOptions = {}) {
    this.url = url.replace(/\/+$/, "");
    this.token = options.token;
    this.timeoutMs = options.timeoutMs ?? 60_000;
  }

  /** `GET /health`: liveness, the store's counts and the clock (never needs the token). */
  health(): Promise<Health> {
    return this.call("GET", "/health");
  }

  /** `GET /_mock/config`: the settings in force (key count and token presence only). */
  config(): Promise<ConfigView> {
    return this.call("GET", "/_mock/config");
  }

  /** `GET /_mock/tasks`: the newest `limit` tasks (the mock's default: 1000). */
  tasks(query: TasksQuery = {}): Promise<TaskList> {
    return this.call("GET", "/_mock/tasks", undefined, query);
  }

  /** `GET /_mock/tasks/{id}`: summary, request, result and webhook log of one task. */
  task(taskId: string): Promise<TaskDetail> {
    return this.call("GET", taskPath(taskId));
  }

  /** `POST /_mock/tasks/{id}/finish`: the task succeeds now (409 once it has ended). */
  finish(taskId: string): Promise<TaskSummary> {
    return this.call("POST", taskPath(taskId, "finish"));
  }

  /** `POST /_mock/tasks/{id}/fail`: the task fails now with `reason`. */
  fail(taskId: string, reason = "TASK_FAILED"): Promise<TaskSummary> {
    return this.call("POST", taskPath(taskId, "fail"), { reason });
  }

  /** `POST /_mock/tasks/{id}/advance`: moves one task's own clock `seconds` forward. */
  advanceTask(taskId: string, seconds: number): Promise<TaskSummary> {
    return this.call("POST", taskPath(taskId, "advance"), { seconds });
  }

  /** `GET /_mock/clock`. */
  clock(): Promise<Clock> {
    return this.call("GET", "/_mock/clock");
  }

  /** `POST /_mock/clock/pause`: nothing moves until the clock is advanced or resumed. */
  pauseClock(): Promise<Clock> {
    return this.call("POST", "/_mock/clock/pause");
  }

  /** `POST /_mock/clock/resume`. */
  resumeClock(): Promise<Clock> {
    return this.call("POST", "/_mock/clock/resume");
  }

  /** `POST /_mock/clock/advance`: moves every task `seconds` forward and runs the webhook
   * attempts that fall due on the way; answers once they have run. */
  advanceClock(seconds: number): Promise<Clock> {
    return this.call("POST", "/_mock/clock/advance", { seconds });
  }

  /** `POST /_mock/outcomes`: the next `count` matching requests get outcome `type`. `match` is
   * a path or its last part; without it every submission matches. Resolves to the queue. */
  queueOutcome<T extends OutcomeType>(
    type: T,
    options: QueueOptions<T> = {},
  ): Promise<QueuedOutcome[]> {
    const { count, match, ...fields } = options;
    const queued: Record<string, unknown> = { outcome: { type, ...fields } };
    if (count !== undefined) queued.count = count;
    if (match !== undefined) queued.match = match;
    return this.queueOutcomes([queued as OutcomeRequest]);
  }

  /** `POST /_mock/outcomes` with a list of `{ outcome: {...}, count, match }`. */
  queueOutcomes(outcomes: readonly OutcomeRequest[]): Promise<QueuedOutcome[]> {
    return this.call("POST", "/_mock/outcomes", outcomes);
  }

  /** `GET /_mock/outcomes`: what is still queued. */
  outcomes(): Promise<QueuedOutcome[]> {
    return this.call("GET", "/_mock/outcomes");
  }

  /** `DELETE /_mock/outcomes`. */
  async clearOutcomes(): Promise<void> {
    await this.call("DELETE", "/_mock/outcomes");
  }

  /** `GET /_mock/journal`: requests to the Novita routes, oldest first; `path` keeps those
   * whose path contains it, `limit` the newest that many. */
  journal(query: JournalQuery = {}): Promise<JournalPage> {
    return this.call("GET", "/_mock/journal", undefined, query);
  }

  /** `GET /_mock/webhooks`: `{ task_id, log }` for every task with a webhook. */
  webhooks(): Promise<TaskWebhookLog[]> {
    return this.call("GET", "/_mock/webhooks");
  }

  /** `POST /_mock/reset`: forgets tasks, outcomes, journal and pending webhooks (the clock
   * keeps its reading and its paused state). */
  async reset(): Promise<void> {
    await this.call("POST", "/_mock/reset");
  }

  /** `GET /_mock/metrics`: the mock's metrics in the Prometheus text format. */
  metrics(): Promise<string> {
    return this.call("GET", "/_mock/metrics");
  }

  /** `GET /_mock/events`: subscribes now and resolves to an async iterator of the events that
   * follow, filtered by `options` (one task, some kinds, resuming after `lastEventId`):
   * `for await (const event of await control.events({ kinds: ["task.finished"] })) ...`. */
  events(options: EventsOptions = {}): Promise<EventStream> {
    const headers: Record<string, string> = {};
    if (this.token !== undefined) headers[TOKEN_HEADER] = this.token;
    return openEvents(this.url, headers, options);
  }

  /** The dashboard's address, with the token when there is one. */
  dashboardUrl(): string {
    const base = `${this.url}/_mock/ui`;
    return this.token === undefined ? base : `${base}?${new URLSearchParams({ token: this.token })}`;
  }

  private async call<T>(method: string, path: string, body?: unknown, query?: Query): Promise<T> {
    let url = this.url + path;
    const pairs = Object.entries(query ?? {}).filter(([, v]) => v !== undefined);
    if (pairs.length > 0) {
      url += `?${new URLSearchParams(pairs.map(([k, v]): [string, string] => [k, String(v)]))}`;
    }
    const headers: Record<string, string> = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (this.token !== undefined) headers[TOKEN_HEADER] = this.token;
    let answer: Response;
    let text: string;
    try {
      answer = await fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await answer.text();
    } catch (error) {
      throw new MockUnreachable(method, url, reasonOf(error));
    }
    const parsed = decode(text);
    if (answer.status < 200 || answer.status > 299) {
      throw new ControlError(method, url, answer.status, parsed);
    }
    return parsed as T;
  }
}

function taskPath(taskId: string, action?: string): string {
  const path = `/_mock/tasks/${encodeURIComponent(taskId)}`;
  return action === undefined ? path : `${path}/${action}`;
}

function decode(text: string): unknown {
  if (text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** fetch's own message is "fetch failed"; the cause says what happened (ECONNREFUSED, ...). */
function reasonOf(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as Error & { cause?: unknown }).cause;
    if (cause instanceof Error) return cause.message;
    return error.message;
  }
  return String(error);
}
