/**
 * Thread and process workers: each imports the user's module itself and
 * runs the worker loop in its own event loop; the consumer watches them,
 * stops a task that runs past its timeout by ending its worker, and replaces
 * workers that died.
 *
 * @module
 * @internal
 */
import { Buffer } from "node:buffer";
import { EVENT_WORKER_DIED } from "../event.ts";
import type { RunningTask as TaskRun } from "../heartbeat.ts";
import { getLogger } from "../logger.ts";
import { unrefTimer, type WorkerChannel } from "../_runtime.ts";
import { type ConsumerHost, WORKER } from "./host.ts";
import type { WorkerPool } from "./pool.ts";
import type { FromWorker, InitMessage } from "./protocol.ts";

/** Starts one worker and gives the channel to it. */
export type LaunchWorker = (name: string) => Promise<WorkerChannel>;

interface RunningTask {
  name: string;
  startedAt: Date;
  receipt?: string;
  data?: string;
  timer?: ReturnType<typeof setTimeout>;
}

interface RemoteWorker {
  name: string;
  channel: WorkerChannel;
  running: Map<string, RunningTask>;
  ready: Promise<void>;
  stopped: Promise<void>;
  alive: boolean;
  /** The consumer is ending this worker on purpose. */
  ending: boolean;
}

/** Seconds a worker gets past a task's timeout to stop it itself, before it is ended. */
const TIMEOUT_GRACE = 1;
/** Seconds a worker that said it stopped gets to exit by itself (and flush its log) before it is ended. */
const STOPPED_GRACE = 0.2;
/** Seconds a fast stop waits for workers to release their tasks before ending them. */
const FAST_STOP_WAIT = 5;

const logger = getLogger("huey.consumer");

/** A pool of thread or process workers. */
export class RemotePool implements WorkerPool {
  #host: ConsumerHost;
  #size: number;
  #launch: LaunchWorker;
  #init: Omit<InitMessage, "name">;
  #workers: RemoteWorker[] = [];
  #closing = false;
  /** Workers being started in the place of ended ones: a stop waits for them. */
  #replacing = new Set<Promise<void>>();

  /**
   * @param host The consumer's own Huey (records hard timeouts, renews and
   *   releases the leases of the workers' tasks).
   * @param size How many workers.
   * @param launch Starts one worker.
   * @param init What each worker is told at start (its name is added).
   */
  constructor(
    host: ConsumerHost,
    size: number,
    launch: LaunchWorker,
    init: Omit<InitMessage, "name">,
  ) {
    this.#host = host;
    this.#size = size;
    this.#launch = launch;
    this.#init = init;
  }

  async start(): Promise<void> {
    this.#closing = false;
    this.#workers = await Promise.all(
      Array.from({ length: this.#size }, (_, index) => this.#spawn(`Worker-${index + 1}`)),
    );
    await Promise.all(this.#workers.map((worker) => worker.ready));
  }

  /**
   * Starts or stops renewing, in this process, the lease of a task a worker
   * runs. A worker renews its leases itself, but not while a synchronous
   * task blocks its event loop (the very tasks thread and process workers
   * are for): without this, another consumer would get such a task again
   * while it still runs.
   */
  #renewing(task: RunningTask, renew: boolean): void {
    if (task.receipt === undefined) return;
    if (renew) this.#host[WORKER].holdLease(task.receipt);
    else this.#host[WORKER].dropLease(task.receipt);
  }

  async #spawn(name: string): Promise<RemoteWorker> {
    const channel = await this.#launch(name);
    let ready!: () => void;
    let failed!: (error: Error) => void;
    let stopped!: () => void;
    const worker: RemoteWorker = {
      name,
      channel,
      running: new Map(),
      alive: true,
      ending: false,
      ready: new Promise<void>((resolve, reject) => {
        ready = resolve;
        failed = reject;
      }),
      stopped: new Promise<void>((resolve) => (stopped = resolve)),
    };
    channel.onMessage((message) => this.#receive(worker, message as FromWorker, ready, failed));
    channel.onExit((reason) => {
      worker.alive = false;
      // A dead worker's tasks are left to their leases, which then expire.
      for (const task of worker.running.values()) {
        clearTimeout(task.timer);
        this.#renewing(task, false);
      }
      if (!worker.ending) {
        logger.error(`${name} ${reason}; its running tasks come back when their leases expire`);
        this.#host[WORKER].events.lifecycle(EVENT_WORKER_DIED, name, reason);
      }
      failed(new Error(`${name} ${reason} before it was ready`));
      stopped();
    });
    channel.post({ ...this.#init, name } satisfies InitMessage);
    return worker;
  }

  #receive(
    worker: RemoteWorker,
    message: FromWorker,
    ready: () => void,
    failed: (error: Error) => void,
  ): void {
    switch (message.type) {
      case "ready":
        return ready();
      case "failed":
        // Its reason first: ending it reports a plainer one.
        failed(new Error(message.error));
        worker.ending = true;
        return worker.channel.terminate();
      case "start": {
        if (message.done) this.#forget(worker, message.done);
        const task: RunningTask = {
          name: message.name,
          startedAt: new Date(),
          receipt: message.receipt,
          data: message.data,
        };
        this.#renewing(task, true);
        if (message.timeout !== null) {
          task.timer = setTimeout(
            () => void this.#timedOut(worker, message.taskId, message.timeout!),
            (message.timeout + TIMEOUT_GRACE) * 1000,
          );
        }
        worker.running.set(message.taskId, task);
        return;
      }
      case "done":
        return this.#forget(worker, message.taskIds);
      case "stopped":
        // Its loop is over: what may still run in it (an interrupted task's
        // timers, a task's stray interval) must neither go on nor keep it alive.
        worker.ending = true;
        setTimeout(() => {
          if (worker.alive) worker.channel.terminate();
        }, STOPPED_GRACE * 1000);
        if (message.recycle && !this.#closing) {
          logger.info(`${worker.name} restarting (max tasks).`);
          void this.#succeed(worker);
        }
        return;
    }
  }

  /** Forgets the tasks a worker is done with. */
  #forget(worker: RemoteWorker, taskIds: string[]): void {
    for (const taskId of taskIds) {
      const task = worker.running.get(taskId);
      if (task === undefined) continue;
      clearTimeout(task.timer);
      this.#renewing(task, false);
      worker.running.delete(taskId);
    }
  }

  /** A task ran past its timeout and its worker did not stop it: end the worker, record the failure, replace it. */
  async #timedOut(worker: RemoteWorker, taskId: string, timeout: number): Promise<void> {
    const running = worker.running.get(taskId);
    if (!running?.data || !worker.alive) return;
    logger.error(`Task ${taskId} ran past its timeout of ${timeout}s: ending ${worker.name}`);
    worker.ending = true;
    worker.channel.terminate();
    // A process worker counts as stopped once its channel is drained (every message read).
    await worker.stopped;
    if (!worker.running.has(taskId)) {
      // Its "done" was on the way: the run's own outcome is stored, and stays.
      logger.warning(`Task ${taskId} had finished after all; ${worker.name} was ended needlessly`);
    } else {
      await this.#recordTimeout(taskId, running);
    }
    await this.#succeed(worker);
  }

  /**
   * Starts a fresh worker in the place of one that ended, unless the pool is
   * stopping. It takes the slot as soon as it is launched, before it is
   * ready: its own "stopped" (a fast recycle) must find it there.
   */
  #succeed(worker: RemoteWorker): Promise<void> {
    const index = this.#workers.findIndex((each) => each.name === worker.name);
    if (index < 0 || this.#closing) return Promise.resolve();
    const replacing: Promise<void> = this.#spawn(worker.name)
      .then((fresh) => {
        this.#workers[index] = fresh;
        return fresh.ready;
      })
      .catch((error) => logger.exception(`${worker.name} could not start`, error))
      .finally(() => this.#replacing.delete(replacing));
    this.#replacing.add(replacing);
    return replacing;
  }

  /** Stores the `TaskTimeout` of a task whose worker was ended (retries and error handler apply). */
  async #recordTimeout(taskId: string, running: RunningTask): Promise<void> {
    try {
      const data = Buffer.from(running.data!, "base64");
      await this.#host[WORKER].recordTimeout(data, running.receipt);
    } catch (error) {
      logger.exception(`Could not record the timeout of task ${taskId}`, error);
    }
  }

  async #replace(name: string): Promise<RemoteWorker> {
    const worker = await this.#spawn(name);
    await worker.ready.catch((error) => logger.exception(`${name} could not start`, error));
    return worker;
  }

  async stop(graceful: boolean): Promise<void> {
    // No replacement from now on (a hard timeout may still end a worker).
    this.#closing = true;
    while (this.#replacing.size > 0) await Promise.all([...this.#replacing]);
    const workers = this.#workers.filter((worker) => worker.alive);
    for (const worker of workers) worker.channel.post({ type: "stop", graceful });
    if (!graceful) {
      const waited = new Promise<void>((resolve) =>
        unrefTimer(setTimeout(resolve, FAST_STOP_WAIT * 1000))
      );
      await Promise.race([Promise.all(workers.map((worker) => worker.stopped)), waited]);
      await Promise.all(
        workers.filter((worker) => worker.alive).map((worker) => this.#end(worker)),
      );
    }
    await Promise.all(workers.map((worker) => worker.stopped));
  }

  /** Ends a worker that did not stop in time, and puts its running tasks back on the queue. */
  async #end(worker: RemoteWorker): Promise<void> {
    worker.ending = true;
    worker.channel.terminate();
    await worker.stopped;
    for (const [taskId, task] of worker.running) {
      if (!task.receipt) continue;
      await this.#host.storage.release(task.receipt).catch((error) =>
        logger.exception(`Could not release task ${taskId}`, error)
      );
    }
  }

  running(): TaskRun[] {
    return this.#workers.filter((worker) => worker.alive).flatMap((worker) =>
      [...worker.running].map(([id, { name, startedAt }]) => ({
        id,
        name,
        startedAt,
        worker: worker.name,
      }))
    );
  }

  async checkHealth(): Promise<number> {
    let replaced = 0;
    for (const [index, worker] of this.#workers.entries()) {
      if (worker.alive || worker.ending || this.#closing) continue;
      replaced++;
      logger.warning(`${worker.name} died, starting a new one`);
      this.#workers[index] = await this.#replace(worker.name);
    }
    return replaced;
  }
}
