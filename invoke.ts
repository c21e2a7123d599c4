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

const logger = getLogger("huey");

/** Marks a run that stopped because the caller's signal aborted. */
export class Interrupted extends Error {}

/**
 * Runs a task's function, stopping it at its timeout or when `signal`
 * aborts; `task.signal` aborts when it is stopped.
 *
 * @throws {TaskTimeout} It ran past its timeout.
 * @throws {Interrupted} `signal` aborted (before it started, or while it ran).
 * @returns What the function returned.
 */
export function invoke(
  definition: TaskDefinition,
  task: Task,
  signal: AbortSignal | undefined,
): Promise<unknown> {
  const controller = new AbortController();
  task.signal = controller.signal;
  if (signal?.aborted) {
    // Interrupted before it started: the function must not run at all.
    controller.abort(signal.reason);
    return Promise.reject(new Interrupted());
  }
  const args = definition.context ? [...task.args, task] : task.args;
  const timeout = task.timeout;
  const started = timeout === null ? 0 : performance.now();
  const work = new Promise<unknown>((resolve) =>
    resolve((definition.fn as (...a: unknown[]) => unknown)(...args))
  );
  if (timeout === null && !signal) return work;
  return new Promise((resolve, reject) => {
    /** The run was stopped (timeout or interrupt): its promise is abandoned. */
    let stopped = false;
    const stop = (reason: unknown, rejection: unknown): void => {
      stopped = true;
      controller.abort(reason);
      cleanup();
      reject(rejection);
    };
    // Counted from the start: the function's synchronous part has run already.
    const timer = timeout === null ? undefined : setTimeout(() => {
      const error = timeoutError(task);
      stop(error, error);
    }, Math.max(0, timeout * 1000 - (performance.now() - started)));
    const unwatch = signal && whenAborted(signal, () => stop(signal.reason, new Interrupted()));
    const cleanup = (): void => {
      clearTimeout(timer);
      unwatch?.();
    };
    /**
     * A run that ended past its deadline before the timer could fire (the
     * event loop was blocked) fails with `TaskTimeout` too.
     */
    const late = (): TaskTimeout | undefined => {
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
      controller.abort(error);
      return error;
    };
    work.then((value) => {
      if (stopped) return;
      cleanup();
      const overran = late();
      if (overran) reject(overran);
      else resolve(value);
    }, (error) => {
      if (stopped) return;
      cleanup();
      reject(late() ?? error);
    });
  });
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
