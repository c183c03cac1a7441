// The errors of novita-mock: one base class, one class per kind of failure (the same kinds as
// the Python helper's exceptions).

/** Base class of every error this package throws or rejects with. */
export class NovitaMockError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The binary cannot be used: missing, not executable, or built for another platform. */
export class BinaryError extends NovitaMockError {
  readonly path: string;
  readonly problem: string;
  constructor(path: string, problem: string) {
    super(`novita-mock binary ${path}: ${problem}`);
    this.path = path;
    this.problem = problem;
  }
}

/** The mock did not come up: it exited during start-up, or did not report its address or
 * answer `/health` in time. `logTail` holds its last log lines, `exitCode` its exit status
 * (null while it was still running). */
export class StartupError extends NovitaMockError {
  readonly reason: string;
  readonly logTail: string[];
  readonly exitCode: number | null;
  constructor(reason: string, logTail: readonly string[], exitCode: number | null) {
    const shown = logTail.map((line) => `    ${line}`).join("\n") || "    (no output)";
    super(`${reason}\n  last lines of its log:\n${shown}`);
    this.reason = reason;
    this.logTail = [...logTail];
    this.exitCode = exitCode;
  }
}

/** The binary refused a flag or a setting (exit status 2). The message is the binary's own
 * line, unchanged; `logTail` still holds everything it printed. */
export class OptionRefused extends StartupError {
  constructor(line: string, logTail: readonly string[], exitCode: number | null) {
    super(line, logTail, exitCode);
    this.message = line;
  }
}

/** A control call answered with a status other than 2xx. `body` is the mock's answer: parsed
 * JSON when it was JSON (the control API's `{"error": ...}`, or Novita's error body for a
 * missing or wrong token), else the text. */
export class ControlError extends NovitaMockError {
  readonly method: string;
  readonly url: string;
  readonly status: number;
  readonly body: unknown;
  constructor(method: string, url: string, status: number, body: unknown) {
    super(`${method} ${url}: HTTP ${status}: ${detail(body)}`);
    this.method = method;
    this.url = url;
    this.status = status;
    this.body = body;
  }
}

/** A control call got no answer at all (refused connection, timeout, closed socket). */
export class MockUnreachable extends NovitaMockError {
  readonly method: string;
  readonly url: string;
  readonly reason: string;
  constructor(method: string, url: string, reason: string) {
    super(`${method} ${url}: the mock did not answer: ${reason}`);
    this.method = method;
    this.url = url;
    this.reason = reason;
  }
}

function detail(body: unknown): string {
  if (body !== null && typeof body === "object") {
    const record = body as Record<string, unknown>;
    if (typeof record.error === "string") return record.error;
    if (typeof record.reason === "string") {
      const message = typeof record.message === "string" ? record.message : "";
      return message ? `${record.reason}: ${message}` : record.reason;
    }
    return JSON.stringify(body);
  }
  return String(body);
}
