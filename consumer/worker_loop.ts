/**
 * One worker's loop: take a task, run it, repeat; wait with a growing delay
 * while a polling storage is empty. Greenlet workers run it in the
 * consumer's event loop; thread and process workers run it in their own.
 *
 * @module
 */
import { runEach } from "../hooks.ts";
import { getLogger } from "../logger.ts";
import type { Task } from "../task.ts";
import { setImmediate } from "node:timers";
import { sleep } from "../_runtime.ts";
import { type ConsumerHost, WORKER, type WorkerHost } from "./host.ts";
import { isUnreachable, oneLine, StorageWatch } from "./storage_watch.ts";

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
  /**
   * End the loop once it has taken this many tasks (after they are done),
   * so that its worker can be replaced; `null`: never.
   */
  maxTasks?: number | null;
  /** Told when a task starts (for hard timeouts and lease release by a parent). */
  onStart?: (task: Task) => void;
  /** Told when a task is done. */
  onDone?: (task: Task) => void;
  /** The worker's name in its tasks' events (greenlet workers; a thread or process worker's publisher knows it). */
  name?: string;
  /**
   * Tells storage outages once and paces the retries; the loops and the
   * scheduler of a process share one. @default a watch of this loop's own
   */
  watch?: StorageWatch;
}

const logger = getLogger("huey.consumer");

/**
 * A worker's life: its startup hooks, then its loop, then, unless it was
 * interrupted, its shutdown hooks (a hook that fails is logged). Greenlet
 * workers and thread or process workers alike.
 *
 * @param host The Huey whose tasks it runs.
 * @param options The loop's options.
 * @param onReady Told when the startup hooks have run.
 * @returns `true` when the loop ended because it reached `maxTasks`.
 */
export async function runWorker(
  host: ConsumerHost,
  options: WorkerLoopOptions,
  onReady?: () => void,
): Promise<boolean> {
  await runEach(host.startupHooks.hooks, [], "Startup hook", logger);
  onReady?.();
  const recycled = await runWorkerLoop(host, options);
  if (!options.interrupt.aborted) {
    await runEach(host.shutdownHooks.hooks, [], "Shutdown hook", logger);
  }
  return recycled;
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
 *
 * @returns `true` when it ended because it reached `maxTasks`.
 */
export async function runWorkerLoop(
  host: ConsumerHost,
  options: WorkerLoopOptions,
): Promise<boolean> {
  const storing = new Storing();
  try {
    return await takeAndRun(host, options, storing);
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

async function takeAndRun(
  host: ConsumerHost,
  options: WorkerLoopOptions,
  storing: Storing,
): Promise<boolean> {
  const { initialDelay, maxDelay, backoff, interrupt, onStart, onDone, maxTasks = null } = options;
  // Ended at maxTasks: no message is leased ahead for a loop that takes no more.
  const full = new AbortController();
  const stop = maxTasks === null ? options.stop : AbortSignal.any([options.stop, full.signal]);
  let taken = 0;
  const worker = host[WORKER];
  const watch = options.watch ?? new StorageWatch();
  const around = { interrupt, watch, name: options.name };
  let delay = initialDelay;
  let sliceStart = performance.now();
  while (!stop.aborted) {
    if (performance.now() - sliceStart > SLICE_MS) {
      await yieldToEventLoop();
      sliceStart = performance.now();
    }
    let task: Task | null;
    try {
      task = worker.takeReady(stop) ?? await worker.dequeue(stop);
    } catch (error) {
      if (stop.aborted) break;
      await sleep(watch.failed("Reading the queue", error), stop);
      continue;
    }
    watch.succeeded();
    if (task === null) {
      if (!host.storage.blocking) {
        await sleep(Math.min(delay, maxDelay), stop);
        delay *= backoff;
      }
      continue;
    }
    delay = initialDelay;
    if (++taken === maxTasks) full.abort();
    onStart?.(task);
    const running = task;
    let goOn!: () => void;
    const mayGoOn = new Promise<void>((resolve) => (goOn = resolve));
    storing.add();
    void execute(worker, running, around, goOn, () => {
      try {
        onDone?.(running);
      } finally {
        storing.done();
        goOn();
      }
    });
    await mayGoOn;
    // Wait for them all, not the oldest: the next tasks' stores then go together again.
    if (storing.count >= MOST_STORING) await storing.drained();
  }
  if (full.signal.aborted) logger.info(`Worker reached max tasks (${maxTasks}), exiting.`);
  return full.signal.aborted;
}

/**
 * Executes one task, logging (not throwing) its errors, then calls
 * `done`. A failure to store an outcome while the storage is known to
 * be down adds nothing to the watch's line.
 */
async function execute(
  worker: WorkerHost,
  task: Task,
  around: { interrupt: AbortSignal; watch: StorageWatch; name: string | undefined },
  onStoring: () => void,
  done: () => void,
): Promise<void> {
  try {
    await worker.execute(task, around.interrupt, onStoring, around.name);
  } catch (error) {
    if (around.watch.down) {
      logger.debug(`Could not store the outcome of ${task}: ${oneLine(error)}`);
    } else if (isUnreachable(error)) {
      // The server went away while the outcome was stored: the outage's one line, no stack
      // (the message stays leased and comes back once the storage is).
      around.watch.failed(`Storing the outcome of ${task}`, error);
    } else logger.exception(`Error running task ${task.id}`, error);
  } finally {
    done();
  }
}
