/**
 * Greenlet workers: concurrent async loops in the consumer's own event
 * loop, sharing its Huey. Best for I/O-bound tasks.
 *
 * @module
 * @internal
 */
import { EVENT_WORKER_DIED } from "../event.ts";
import type { RunningTask } from "../heartbeat.ts";
import { getLogger } from "../logger.ts";
import { type ConsumerHost, WORKER } from "./host.ts";
import type { Task } from "../task.ts";
import type { WorkerPool } from "./pool.ts";
import { runWorker, type WorkerLoopOptions } from "./worker_loop.ts";

interface Loop {
  stop: AbortController;
  done: Promise<void>;
  dead: boolean;
  /** Its worker's name. */
  name: string;
  /**
   * The tasks it runs, each with when it started (epoch ms). Keyed by the
   * task itself: a lookup by object costs less than one by its id string.
   */
  running: Map<Task, number>;
}

const logger = getLogger("huey.consumer");

/** The loops' polling settings, their max tasks, and the storage watch they share. */
type LoopSettings = Pick<
  WorkerLoopOptions,
  "initialDelay" | "maxDelay" | "backoff" | "maxTasks" | "watch"
>;

/** N async worker loops. */
export class GreenletPool implements WorkerPool {
  #host: ConsumerHost;
  #size: number;
  #loop: LoopSettings;
  #loops: Loop[] = [];
  #interrupt = new AbortController();

  /**
   * @param host The consumer's Huey.
   * @param size How many loops.
   * @param loop The loops' polling settings, max tasks, and the storage watch they share.
   */
  constructor(
    host: ConsumerHost,
    size: number,
    loop: LoopSettings,
  ) {
    this.#host = host;
    this.#size = size;
    this.#loop = loop;
  }

  start(): Promise<void> {
    this.#interrupt = new AbortController();
    this.#loops = Array.from({ length: this.#size }, (_, index) => this.#spawn(index + 1));
    return Promise.resolve();
  }

  #spawn(number: number): Loop {
    const stop = new AbortController();
    const name = `Worker-${number}`;
    const running = new Map<Task, number>();
    const loop: Loop = { stop, dead: false, done: Promise.resolve(), name, running };
    const interrupt = this.#interrupt.signal;
    const options = {
      ...this.#loop,
      stop: stop.signal,
      interrupt,
      name,
      onStart: (task: Task) => running.set(task, Date.now()),
      onDone: (task: Task) => running.delete(task),
    };
    loop.done = (async () => {
      // At its max tasks the loop ends; as huey's greenlets, it starts again
      // (shutdown hooks, then startup hooks): same process, nothing freed.
      while (await runWorker(this.#host, options) && !stop.signal.aborted) {
        logger.info(`Worker-${number} restarting (max tasks).`);
      }
    })().catch((error) => {
      loop.dead = true;
      logger.exception(`${name} died`, error);
      this.#host[WORKER].events.lifecycle(EVENT_WORKER_DIED, name, String(error));
    });
    return loop;
  }

  async stop(graceful: boolean): Promise<void> {
    if (!graceful) this.#interrupt.abort();
    for (const loop of this.#loops) loop.stop.abort();
    await Promise.all(this.#loops.map((loop) => loop.done));
  }

  checkHealth(): Promise<number> {
    let replaced = 0;
    this.#loops = this.#loops.map((loop, index) => {
      if (!loop.dead) return loop;
      replaced++;
      logger.warning(`Worker-${index + 1} died, starting a new one`);
      return this.#spawn(index + 1);
    });
    return Promise.resolve(replaced);
  }

  running(): RunningTask[] {
    return this.#loops.flatMap(({ name: worker, running }) =>
      [...running].map(([task, started]) => ({
        id: task.id,
        name: task.name,
        startedAt: new Date(started),
        worker,
      }))
    );
  }
}
