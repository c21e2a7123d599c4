/**
 * Shared helpers of the core tests: a fresh memory Huey per test, one worker
 * step (`executeNext`), times relative to now, and a signal recorder.
 *
 * @module
 */
import assert from "node:assert/strict";
import { after, before } from "node:test";
import type { Huey, HueyOptions } from "../huey.ts";
import { MemoryHuey } from "../mod.ts";
import { Result, type ResultGroup } from "../result.ts";
import type { SignalName } from "../signals.ts";
import type { Task } from "../task.ts";
import { configureLogging } from "../logger.ts";

let counter = 0;

/** A fresh in-memory Huey with a unique name. */
export function makeHuey(options: HueyOptions = {}, name?: string): MemoryHuey {
  return new MemoryHuey(name ?? `test-${++counter}`, options);
}

/**
 * One worker step: dequeues the next task (it must exist) and executes it.
 *
 * @returns What `execute()` resolved to.
 */
export async function executeNext(huey: Huey, timestamp?: Date): Promise<unknown> {
  const task = await huey.dequeue();
  assert.ok(task, "expected a task in the queue");
  return huey.execute(task, { timestamp });
}

/** The time `seconds` from now. */
export function fromNow(seconds: number): Date {
  return new Date(Date.now() + seconds * 1000);
}

/** A recorded signal: its name, the task's id, and the extra arguments. */
export interface Emitted {
  signal: SignalName;
  task: Task;
  extra: unknown[];
}

/** Connects a catch-all handler; `take()` returns the signal names since the last take. */
export function recordSignals(huey: Huey): { all: Emitted[]; take(): string[] } {
  const all: Emitted[] = [];
  let seen = 0;
  huey.signal((signal, task, ...extra) => {
    all.push({ signal, task, extra });
  });
  return {
    all,
    take(): string[] {
      const names = all.slice(seen).map((each) => each.signal);
      seen = all.length;
      return names;
    },
  };
}

/**
 * Sends the huey loggers' lines into `lines` for the tests of this file
 * (tasks that fail on purpose log their stack), and back to stderr after.
 */
export function quietLogs(): string[] {
  const lines: string[] = [];
  before(() => configureLogging({ write: (line) => lines.push(line) }));
  after(() => configureLogging({ write: (line) => console.error(line) }));
  return lines;
}

/** Asserts that `enqueue()` or `reschedule()` gave a single Result (no pipeline), and returns it. */
export function single<R>(result: Result<R> | ResultGroup): Result<R> {
  assert.ok(result instanceof Result, "expected a single Result");
  return result;
}
