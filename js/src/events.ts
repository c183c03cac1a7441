// The mock's event stream (`GET /_mock/events`, Server-Sent Events) as an async iterator.

import { ControlError, MockUnreachable } from "./errors.js";

/** Which events to receive: one task's, some kinds (`"request"` only when named), and where to
 * resume from the mock's history. */
export interface EventsOptions {
  task?: string;
  /** `task.created`, `task.status`, `task.finished`, `webhook.attempt`, `request`. */
  kinds?: string[];
  /** Resume after this event id (`Last-Event-ID`). */
  lastEventId?: number;
}

/** One event's data: `id`, `kind`, `at_unix_ms`, `task_id` and the kind's own fields
 * (`status`, `endpoint`, `attempt`, `result`, `http_status`, `delivery`, `route`, ...). A
 * stream the mock cuts off ends with `{kind: "stream.cut_off", missed, last_id}`. */
export interface MockEvent {
  id?: number;
  kind: string;
  at_unix_ms?: number;
  task_id?: string;
  [field: string]: unknown;
}

/** An open subscription: `for await` yields each event as it comes and ends when the mock
 * ends the stream (a cut-off, or the mock stopping). `close()` (or leaving the loop) leaves. */
export class EventStream implements AsyncIterableIterator<MockEvent> {
  /** The id of the last event read, to resume from with `lastEventId`. */
  lastEventId: number | undefined;
  private buffer = "";
  private readonly decoder = new TextDecoder();

  constructor(
    private readonly reader: ReadableStreamDefaultReader<Uint8Array>,
    private readonly abort: AbortController,
  ) {}

  [Symbol.asyncIterator](): EventStream {
    return this;
  }

  async next(): Promise<IteratorResult<MockEvent>> {
    for (;;) {
      const end = this.buffer.indexOf("\n\n");
      if (end >= 0) {
        const block = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 2);
        const data: string[] = [];
        for (const line of block.split("\n")) {
          if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
          else if (line.startsWith("id:")) this.lastEventId = Number(line.slice(3).trim());
        }
        if (data.length > 0) return { value: JSON.parse(data.join("\n")) as MockEvent, done: false };
        continue;
      }
      let chunk: Uint8Array | undefined;
      try {
        chunk = (await this.reader.read()).value;
      } catch {
        chunk = undefined;
      }
      if (chunk === undefined) {
        this.close();
        return { value: undefined, done: true };
      }
      this.buffer += this.decoder.decode(chunk, { stream: true });
    }
  }

  async return(): Promise<IteratorResult<MockEvent>> {
    this.close();
    return { value: undefined, done: true };
  }

  /** Leaves the stream (closes the connection). */
  close(): void {
    this.abort.abort();
  }
}

/** Subscribes to the mock at `url` now; resolves once the stream is open. A bad filter rejects
 * with `ControlError` (400), a full stream too (503); no answer with `MockUnreachable`. */
export async function openEvents(
  url: string,
  headers: Record<string, string>,
  options: EventsOptions,
): Promise<EventStream> {
  const query = new URLSearchParams();
  if (options.task !== undefined) query.set("task", options.task);
  if (options.kinds !== undefined) query.set("kind", options.kinds.join(","));
  const search = query.toString();
  const target = `${url}/_mock/events${search === "" ? "" : `?${search}`}`;
  const sent: Record<string, string> = { ...headers, Accept: "text/event-stream" };
  if (options.lastEventId !== undefined) sent["Last-Event-ID"] = String(options.lastEventId);
  const abort = new AbortController();
  let answer: Response;
  try {
    answer = await fetch(target, { headers: sent, signal: abort.signal });
  } catch (error) {
    throw new MockUnreachable("GET", target, error instanceof Error ? error.message : String(error));
  }
  if (answer.status !== 200 || answer.body === null) {
    const text = await answer.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: kept as text
    }
    throw new ControlError("GET", target, answer.status, body);
  }
  return new EventStream(answer.body.getReader(), abort);
}
