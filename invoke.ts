/**
 * How a task's function is called: with its timeout, and stopped when the
 * worker is interrupted.
 *
 * @module
 * @internal
 */
import { TaskTimeout } from "./errors.ts";
import { getLogger } from "./logger.ts";
import type { TaskDefinition } from "./registry.ts";
import type { Task } from "./task.ts";
import { RUN_STOP, RunStop } from "./run_stop.ts";

const logger = getLogger("huey");

/** Marks a run that stopped because the caller's signal aborted. */
export class Interrupted extends Error {}

/**
 * Runs a task's function, stopping it at its timeout or when `signal`
 * aborts; `task.signal` aborts when it is stopped.
 *
 * A function that returns without a promise (or another thenable) is done:
 * its value comes back as it is, and what it threw is thrown, without a
 * promise (the caller awaits only a promise). Otherwise the promise settles
 * with the outcome.
 *
 * @throws {TaskTimeout} It ran past its timeout.
 * @throws {Interrupted} `signal` aborted (before it started, or while it ran).
 * @returns What the function returned, or a promise of it.
 */
export function invoke(
  definition: TaskDefinition,
  task: Task,
  signal: AbortSignal | undefined,
): unknown {
  const stop = task[RUN_STOP] = new RunStop();
  if (signal?.aborted) {
    // Interrupted before it started: the function must not run at all.
    stop.abort(signal.reason);
    throw new Interrupted();
  }
  const args = definition.context ? [...task.args, task] : task.args;
  const timeout = task.timeout;
  const started = timeout === null ? 0 : performance.now();
  let returned: unknown;
  try {
    returned = (definition.fn as (...a: unknown[]) => unknown)(...args);
  } catch (error) {
    throw late(task, stop, started) ?? error;
  }
  if (!isThenable(returned)) {
    // It ended in its synchronous part: nothing could stop it, only its timeout may have passed.
    const overran = late(task, stop, started);
    if (overran) throw overran;
    return returned;
  }
  const work = Promise.resolve(returned);
  if (timeout === null && !signal) return work;
  return new Promise((resolve, reject) => {
    const end = (reason: unknown, rejection: unknown): void => {
      stop.abort(reason);
      cleanup();
      reject(rejection);
    };
    // Counted from the start: the function's synchronous part has run already.
    const timer = timeout === null ? undefined : setTimeout(() => {
      const error = timeoutError(task);
      end(error, error);
    }, Math.max(0, timeout * 1000 - (performance.now() - started)));
    const unwatch = signal && whenAborted(signal, () => end(signal.reason, new Interrupted()));
    const cleanup = (): void => {
      clearTimeout(timer);
      unwatch?.();
    };
    work.then((value) => {
      if (stop.stopped) return;
      cleanup();
      const overran = late(task, stop, started);
      if (overran) reject(overran);
      else resolve(value);
    }, (error) => {
      if (stop.stopped) return;
      cleanup();
      reject(late(task, stop, started) ?? error);
    });
  });
}

/** Whether a value is a promise or another thenable (`await` would adopt it). */
function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === "object" || typeof value === "function") &&
    typeof (value as { then?: unknown }).then === "function";
}

/**
 * A run that ended past its deadline before the timer could fire (the
 * event loop was blocked, or the function was synchronous) fails with
 * `TaskTimeout` too: the error, after its run is stopped and a warning
 * logged; `undefined` when it ended in time.
 *
 * @param started `performance.now()` when it started.
 */
function late(task: Task, stop: RunStop, started: number): TaskTimeout | undefined {
  const { timeout } = task;
  if (timeout === null) return undefined;
  const seconds = (performance.now() - started) / 1000;
  if (seconds < timeout) return undefined;
  logger.warning(
    `${task} ended ${seconds.toFixed(3)}s after it started, past its timeout of ${timeout}s, ` +
      "before the timeout could stop it: it fails with TaskTimeout. Greenlet workers " +
      "cannot interrupt synchronous code that blocks the event loop; run such tasks with " +
      "thread or process workers (-k thread, -k process): those are ended at the timeout",
  );
  const error = timeoutError(task);
  stop.abort(error);
  return error;
}

/** The error of a task that ran past its timeout. */
export function timeoutError(task: Task): TaskTimeout {
  return new TaskTimeout(`Task ${task.name} ${task.id} ran past its timeout of ${task.timeout}s`);
}

/** What to call when a caller's signal aborts: one listener per signal, not one per task. */
const stopsOf = new WeakMap<AbortSignal, Set<() => void>>();

/**
 * Calls `stop` when `signal` aborts.
 *
 * @returns Forgets `stop` again.
 */
function whenAborted(signal: AbortSignal, stop: () => void): () => void {
  let stops = stopsOf.get(signal);
  if (!stops) {
    const all = new Set<() => void>();
    signal.addEventListener("abort", () => [...all].forEach((each) => each()), { once: true });
    stopsOf.set(signal, stops = all);
  }
  stops.add(stop);
  return () => void stops.delete(stop);
}
