// Every mock process this module started and has not stopped yet is killed when the Node
// process ends: normally, by an uncaught exception, by process.exit(), or by SIGINT, SIGTERM or
// SIGHUP. Only SIGKILL of the Node process itself leaves a mock behind.

import type { ChildProcess } from "node:child_process";

const running = new Set<ChildProcess>();
const SIGNALS: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
let installed = false;

export function track(child: ChildProcess): void {
  running.add(child);
  install();
}

export function untrack(child: ChildProcess): void {
  running.delete(child);
}

/** The mocks still running (for tests of this module). */
export function runningCount(): number {
  return running.size;
}

function killAll(): void {
  for (const child of running) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
  running.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  killAll();
  // Die of the signal as Node would have without this handler, unless someone else handles it.
  for (const each of SIGNALS) process.removeListener(each, onSignal);
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on("exit", killAll);
  for (const signal of SIGNALS) process.on(signal, onSignal);
}
