/**
 * One worker's loop: take a task, run it, repeat; wait with a growing delay
 * while a polling storage is empty. Greenlet workers run it in the
 * consumer's event loop; thread and process workers run it in their own.
 *
 * @module
 */
import type { Huey } from "../huey.ts";
import { getLogger } from "../logger.ts";
import type { Task } from "../task.ts";
import { setImmediate } from "node:timers";
import { sleep } from "../_runtime.ts";
import { oneLine, StorageWatch } from "./storage_watch.ts";

/** Options of {@linkcode runWorkerLoop}. */
export interface WorkerLoopOptions {
  /** Seconds to wait after the first empty poll. */
  initialDelay: number;
  /** The longest wait between polls. */
  maxDelay: number;
  /** Growth of the wait between empty polls. */
  backoff: number;
  /** Aborted to stop after the running task (graceful). */
  stop: AbortSignal;
  /** Aborted to interrupt the running task (fast stop): it goes back to the queue. */
  interrupt: AbortSignal;
  /** Told when a task starts (for hard timeouts and lease release by a parent). */
  onStart?: (task: Task) => void;
  /** Told when a task is done. */
  onFinish?: (task: Task) => void;
  /**
   * Tells storage outages once and paces the retries; the loops and the
   * scheduler of a process share one. @default a watch of this loop's own
   */
  watch?: StorageWatch;
}

const logger = getLogger("huey.consumer");

/** Runs a worker's hooks of one kind, logging (not throwing) their errors. */
export async function runHooks(hooks: readonly (() => unknown)[], kind: string): Promise<void> {
  for (const hook of hooks) {
    try {
      await hook();
    } catch (error) {
      logger.exception(`${kind} hook ${hook.name || "(anonymous)"} failed`, error);
    }
  }
}

/**
 * The most tasks of one loop whose outcomes may still be being stored while
 * it runs the next: past it, the loop waits for them.
 */
const MOST_STORING = 128;

/**
 * The longest a loop runs tasks without letting the event loop turn (ms).
 * Tasks leased ahead and stored behind resolve at once, so without a pause
 * a loop could run hundreds of them in one turn: the storage's batched
 * requests (the next leases, the stores) would wait until it stops, and so
 * would everything else in the process (timers, sockets, an HTTP server).
 */
const SLICE_MS = 1;

/** Resolves after the event loop has turned once (timers and I/O ran). */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Takes and runs tasks until `stop` aborts; one task runs at a time. While
 * the storage fails, the loop tells its `watch` and waits as it says.
 *
 * The loop starts its next task as soon as a task has run and only the
 * storing of its outcome remains (see `ExecuteOptions.onStoring`): the
 * stores of consecutive tasks then share round trips. It waits for every
 * store before it returns.
 */
export async function runWorkerLoop(huey: Huey, options: WorkerLoopOptions): Promise<void> {
  const storing = new Storing();
  try {
    await takeAndRun(huey, options, storing);
  } finally {
    await storing.drained();
  }
}

/** Counts the executions of a loop still storing their outcome. */
class Storing {
  count = 0;
  #waiting: (() => void)[] = [];

  /** One more. */
  add(): void {
    this.count++;
  }

  /** One fewer; wakes the waiters when none is left. */
  done(): void {
    if (--this.count > 0) return;
    for (const wake of this.#waiting.splice(0)) wake();
  }

  /** Resolves when none is left. */
  drained(): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise((resolve) => this.#waiting.push(resolve));
  }
}

async function takeAndRun(huey: Huey, options: WorkerLoopOptions, storing: Storing): Promise<void> {
  const { initialDelay, maxDelay, backoff, stop, interrupt, onStart, onFinish } = options;
  const watch = options.watch ?? new StorageWatch();
  let delay = initialDelay;
  let sliceStart = performance.now();
  while (!stop.aborted) {
    if (performance.now() - sliceStart > SLICE_MS) {
      await yieldToEventLoop();
      sliceStart = performance.now();
    }
    let task: Task | null;
    try {
      task = await huey.dequeue({ signal: stop, prefetch: true });
    } catch (error) {
      if (stop.aborted) break;
      await sleep(watch.failed("Reading the queue", error), stop);
      continue;
    }
    watch.succeeded();
    if (task === null) {
      if (!huey.storage.blocking) {
        await sleep(Math.min(delay, maxDelay), stop);
        delay *= backoff;
      }
      continue;
    }
    delay = initialDelay;
    onStart?.(task);
    const running = task;
    let goOn!: () => void;
    const mayGoOn = new Promise<void>((resolve) => (goOn = resolve));
    storing.add();
    void execute(huey, running, { interrupt, watch }, goOn, () => {
      try {
        onFinish?.(running);
      } finally {
        storing.done();
        goOn();
      }
    });
    await mayGoOn;
    // Wait for them all, not the oldest: the next tasks' stores then go together again.
    if (storing.count >= MOST_STORING) await storing.drained();
  }
}

/**
 * Executes one task, logging (not throwing) its errors, then calls
 * `finished`. A failure to store an outcome while the storage is known to
 * be down adds nothing to the watch's line.
 */
async function execute(
  huey: Huey,
  task: Task,
  around: { interrupt: AbortSignal; watch: StorageWatch },
  onStoring: () => void,
  finished: () => void,
): Promise<void> {
  try {
    await huey.execute(task, { signal: around.interrupt, onStoring });
  } catch (error) {
    if (around.watch.down) logger.debug(`Could not finish ${task}: ${oneLine(error)}`);
    else logger.exception(`Error running task ${task.id}`, error);
  } finally {
    finished();
  }
}
