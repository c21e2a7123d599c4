/**
 * The `Consumer`: runs a Huey's tasks with a pool of workers, a scheduler
 * and a health check, until it is stopped.
 *
 * @module
 */
import process from "node:process";
import { fileURLToPath } from "node:url";
import { ConfigurationError, HueyError } from "../errors.ts";
import { EVENT_CONSUMER_STARTED, EVENT_CONSUMER_STOPPED } from "../event.ts";
import { getLogger, useConsumerLevel } from "../logger.ts";
import { flushLogs } from "../_log_batch.ts";
import { MemoryStorage } from "../storage/memory.ts";
import { sleep, startProcess, startThread } from "../_runtime.ts";
import { Heartbeat } from "./heartbeat.ts";
import { type ConsumerHost, WORKER } from "./host.ts";
import { consumerId } from "./identity.ts";
import { levelFor } from "./logging.ts";
import {
  type ConsumerOptions,
  resolveConsumerOptions,
  type ResolvedConsumerOptions,
} from "./options.ts";
import type { WorkerPool } from "./pool.ts";
import { GreenletPool } from "./pool_greenlet.ts";
import { RemotePool } from "./pool_remote.ts";
import type { InitMessage } from "./protocol.ts";
import { type MetricsServer, serveMetrics } from "./metrics_server.ts";
import type { DashboardHuey } from "../dashboard/source.ts";
import { Scheduler } from "./scheduler.ts";
import { StorageWatch } from "./storage_watch.ts";

/** Options of {@linkcode Consumer.run}. */
export interface RunOptions {
  /** Aborting it stops the consumer gracefully. */
  signal?: AbortSignal;
}

/** How workers log; the CLI sets it from its flags. */
export interface WorkerLogging {
  /** `-v` (true), `-q` (false), or neither. */
  verbose?: boolean;
  /** `-S`. */
  simple?: boolean;
  /** `-l`. */
  logfile?: string;
}

const logger = getLogger("huey.consumer");

const entryUrl = new URL(
  import.meta.url.endsWith(".ts") ? "./worker_entry.ts" : "./worker_entry.js",
  import.meta.url,
);

/**
 * Runs tasks: a pool of workers takes them from the queue, a scheduler
 * enqueues scheduled and periodic tasks, a health check replaces workers
 * that died.
 *
 * @example
 * ```ts
 * import { MemoryHuey } from "../mod.ts";
 * const huey = new MemoryHuey("example");
 * const add = huey.task(function add(a: number, b: number) { return a + b; });
 * const consumer = huey.createConsumer({ workerType: "greenlet", workers: 2 });
 * const running = consumer.run();
 * const result = await add(1, 2);
 * console.assert((await result.get({ blocking: true, timeout: 5 })) === 3);
 * await consumer.stop();
 * await running;
 * ```
 */
export class Consumer {
  /** The Huey whose tasks run. */
  readonly huey: ConsumerHost;
  /** The options, with defaults applied. */
  readonly options: ResolvedConsumerOptions;
  /** The scheduler (its `tick()` is public for tests). */
  readonly scheduler: Scheduler;
  /** `host:pid` of this process: the `consumer` of its events. */
  readonly id: string = consumerId();
  #logging: WorkerLogging;
  #pool: WorkerPool;
  #stopping: Promise<void> | null = null;
  #stopped = new AbortController();
  /** Aborted as soon as a stop is asked for (a start waiting for the storage gives up). */
  #stopAsked = new AbortController();
  /** Tells the storage's outages once for the scheduler and the greenlet workers. */
  #watch = new StorageWatch();
  #running: Promise<void> | null = null;
  /** Settles when the latest start or restart of the workers is over: a stop waits for it. */
  #starting: Promise<void> = Promise.resolve();
  /** Puts this consumer's record every health-check interval while it runs. */
  #heartbeat: Heartbeat;

  /**
   * @param huey The Huey whose tasks run.
   * @param options See {@linkcode ConsumerOptions}.
   * @param logging How thread and process workers log.
   * @throws {ConfigurationError} An option is wrong, or the worker type cannot serve this Huey.
   */
  constructor(huey: ConsumerHost, options: ConsumerOptions = {}, logging: WorkerLogging = {}) {
    this.huey = huey;
    this.options = resolveConsumerOptions(options);
    this.#logging = logging;
    const { workerType, module } = this.options;
    if (workerType !== "greenlet") {
      if (huey.storage instanceof MemoryStorage) {
        throw new ConfigurationError(
          `MemoryHuey keeps its queue in this process: ${workerType} workers cannot see it; use workerType 'greenlet'`,
        );
      }
      if (!module) {
        throw new ConfigurationError(
          `${workerType} workers import your module themselves: pass { module: { url: import.meta.url } } or use workerType 'greenlet'`,
        );
      }
    }
    this.scheduler = new Scheduler(huey, {
      interval: this.options.schedulerInterval,
      periodic: this.options.periodic,
      clock: this.options.clock,
      watch: this.#watch,
    });
    this.#pool = this.#createPool();
    this.#heartbeat = new Heartbeat({
      storage: () => huey.storage,
      interval: this.options.healthCheckInterval,
      workers: this.options.workers,
      workerType: this.options.workerType,
      running: () => this.#pool.running(),
      watch: this.#watch,
    });
  }

  #createPool(): WorkerPool {
    const { workers, workerType, initialDelay, maxDelay, backoff, maxTasks, module } = this.options;
    const loop = { initialDelay, maxDelay, backoff, maxTasks };
    if (workerType === "greenlet") {
      return new GreenletPool(this.huey, workers, { ...loop, watch: this.#watch });
    }
    const init: Omit<InitMessage, "name"> = {
      type: "init",
      consumer: this.id,
      moduleUrl: module!.url,
      exportName: module!.exportName,
      loop,
      logging: {
        level: levelFor(this.#logging.verbose),
        simple: this.#logging.simple ?? false,
        logfile: this.#logging.logfile,
      },
    };
    const launch = workerType === "thread"
      ? (name: string) => startThread(entryUrl, name)
      : () => Promise.resolve(startProcess(fileURLToPath(entryUrl), { HUEY_WORKER: "process" }));
    return new RemotePool(this.huey, workers, launch, init);
  }

  /**
   * Runs until stopped (by `stop()` or `signal`).
   *
   * @throws {ConfigurationError} The Huey is in immediate mode.
   */
  run(options: RunOptions = {}): Promise<void> {
    if (this.huey.immediate) {
      throw new ConfigurationError(
        "Huey is in immediate mode: tasks run when called, there is nothing to consume",
      );
    }
    this.#running ??= this.#run(options.signal);
    return this.#running;
  }

  async #run(signal?: AbortSignal): Promise<void> {
    useConsumerLevel();
    if (signal?.aborted) void this.stop();
    signal?.addEventListener("abort", () => void this.stop(), { once: true });
    const metrics = await this.#serveMetrics();
    let dashboard: { close(): Promise<void> } | null = null;
    try {
      dashboard = await this.#serveDashboard();
      this.#starting = this.#start();
      await this.#starting;
      const stopped = this.#stopped.signal;
      const scheduling = this.#stopping ? null : this.scheduler.run(stopped);
      const health = this.#stopping ? null : this.#healthChecks();
      const beating = this.#stopping ? null : this.#heartbeat.run(stopped);
      await new Promise<void>((resolve) => {
        if (stopped.aborted) return resolve();
        stopped.addEventListener("abort", () => resolve(), { once: true });
      });
      await Promise.all([scheduling, health, beating, this.#stopping]);
      if (beating) await this.#heartbeat.end();
      const events = this.huey[WORKER].events;
      events.lifecycle(EVENT_CONSUMER_STOPPED);
      await events.stop();
    } finally {
      await dashboard?.close();
      await metrics?.close();
    }
    logger.info("Consumer exiting.");
    flushLogs();
  }

  /**
   * Starts the metrics server, when the options ask for one.
   *
   * @throws {HueyError} Its address cannot be bound; the message says which and why.
   */
  async #serveMetrics(): Promise<MetricsServer | null> {
    const address = this.options.metrics;
    if (address === null) return null;
    try {
      const server = await serveMetrics(this.huey, address);
      logger.info(`Metrics served at ${server.url}`);
      return server;
    } catch (error) {
      const reason = `The consumer cannot serve metrics on ${address.host}:${address.port}: ${
        (error as Error).message
      }`;
      logger.error(reason);
      throw new HueyError(reason, { cause: error });
    }
  }

  /**
   * Starts the dashboard server, when the options ask for one (its module
   * is loaded only then).
   *
   * @throws {HueyError} Its address cannot be bound; the message says which and why.
   */
  async #serveDashboard(): Promise<{ close(): Promise<void> } | null> {
    const { dashboard: address, dashboardToken: token } = this.options;
    if (address === null) return null;
    const { serveDashboard } = await import("../dashboard/server.ts");
    try {
      const server = await serveDashboard(this.huey as unknown as DashboardHuey, {
        ...address,
        auth: token === null ? null : { token },
      });
      logger.info(`Dashboard served at ${server.url}`);
      return server;
    } catch (error) {
      const reason = `The consumer cannot serve the dashboard on ${address.host}:${address.port}: ${
        (error as Error).message
      }`;
      logger.error(reason);
      throw new HueyError(reason, { cause: error });
    }
  }

  /** Waits for the storage, flushes locks and starts the workers, unless a stop came first. */
  async #start(): Promise<void> {
    await this.#reachStorage();
    if (this.#stopping) return;
    await this.#flushLocks();
    if (this.#stopping) return;
    this.#logStart();
    this.huey[WORKER].events.start(this.id);
    this.huey[WORKER].events.lifecycle(EVENT_CONSUMER_STARTED);
    await this.huey[WORKER].events.flush(); // before any worker's events
    try {
      await this.#pool.start();
    } catch (error) {
      // Some workers may have started: they must not run on without the consumer.
      await this.#pool.stop(false).catch((stopError) =>
        logger.exception("Could not stop the workers", stopError)
      );
      await this.huey[WORKER].events.stop();
      throw error;
    }
  }

  /**
   * Checks that the storage answers (reachable, and accepting the
   * credentials) before any worker starts. A storage that cannot be reached
   * is logged once and tried again with a backoff until it answers or the
   * consumer is stopped; one that refuses the consumer (a bad setting, such
   * as a wrong password, or a missing permission) ends the start.
   *
   * @throws {HueyError} The storage refused the consumer; the message says why.
   */
  async #reachStorage(): Promise<void> {
    const stop = this.#stopAsked.signal;
    while (!stop.aborted) {
      try {
        await this.huey.storage.queueSize();
        this.#watch.succeeded();
        return;
      } catch (error) {
        if (refusesForGood(error)) {
          const { message } = error as Error;
          const where = this.huey.storage.location;
          const reason = `The consumer cannot start: ${message}${
            where && message.includes(where) ? "" : ` (${describeStorage(this.huey)})`
          }`;
          logger.error(reason);
          throw new HueyError(reason, { cause: error });
        }
        const where = `Connecting to the storage (${describeStorage(this.huey)})`;
        await sleep(this.#watch.failed(where, error, "ERROR"), stop);
      }
    }
  }

  async #flushLocks(): Promise<void> {
    if (!this.options.flushLocks) return;
    const flushed = await this.huey.flushLocks(...this.options.extraLocks);
    for (const name of flushed) logger.warning(`Found stale lock ${name}: released`);
  }

  #logStart(): void {
    const {
      workers,
      workerType,
      schedulerInterval,
      periodic,
      checkWorkerHealth,
      healthCheckInterval,
    } = this.options;
    logger.info(
      `Huey consumer started with ${workers} ${workerType}, PID ${process.pid} at ${
        new Date().toISOString()
      }`,
    );
    logger.info(`Storage: ${describeStorage(this.huey)}.`);
    logger.info(`Scheduler runs every ${schedulerInterval} second(s).`);
    logger.info(`Periodic tasks are ${periodic ? "enabled" : "disabled"}.`);
    if (checkWorkerHealth) logger.info(`Health checks every ${healthCheckInterval} second(s).`);
    const names = this.huey.registry.names();
    logger.info(
      `The following commands are available:\n${names.map((name) => `+ ${name}`).join("\n")}`,
    );
  }

  async #healthChecks(): Promise<void> {
    if (!this.options.checkWorkerHealth) return;
    const signal = this.#stopped.signal;
    while (!signal.aborted) {
      await sleep(this.options.healthCheckInterval, signal, true);
      if (!signal.aborted && !this.#stopping) {
        await this.#pool.checkHealth().catch((error) =>
          logger.exception("Health check failed", error)
        );
      }
    }
  }

  /**
   * Stops the consumer: gracefully (running tasks finish, shutdown hooks run)
   * or fast (running tasks are interrupted and go back to the queue).
   * Calling it again while a graceful stop is under way makes it fast.
   */
  stop(options: { graceful?: boolean } = {}): Promise<void> {
    const { graceful = true } = options;
    if (this.#stopping && graceful) return this.#stopping;
    this.#stopAsked.abort();
    logger.info(
      graceful ? "Shutting down gracefully..." : "Shutting down fast: interrupting running tasks",
    );
    // A start or restart under way ends first, so no worker it starts is left running.
    const stopping = this.#starting.catch(() => {})
      .then(() => this.#pool.stop(graceful))
      .finally(() => this.#stopped.abort());
    this.#stopping = this.#stopping
      ? Promise.all([this.#stopping, stopping]).then(() => {})
      : stopping;
    return this.#stopping;
  }

  /**
   * Stops every worker gracefully and starts new ones (their startup hooks
   * run again). Does nothing unless the consumer runs and is not stopping.
   */
  restart(): Promise<void> {
    if (!this.#running || this.#stopping) return Promise.resolve();
    const restarting = this.#starting.catch(() => {}).then(async () => {
      if (this.#stopping) return;
      logger.info("Restarting workers...");
      await this.#pool.stop(true);
      if (this.#stopping) return;
      this.#pool = this.#createPool();
      await this.#pool.start();
    });
    this.#starting = restarting;
    return restarting;
  }

  /** Stops gracefully (for `await using`). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
    await this.#running;
  }
}

/** `SqliteStorage at /abs/path/app.db`, `RedisStorage at host:port`, or the storage's kind alone. */
function describeStorage(huey: ConsumerHost): string {
  const { storage } = huey;
  return `${storage.constructor.name} '${storage.name}'${
    storage.location ? ` at ${storage.location}` : ""
  }`;
}

/**
 * Whether a storage error will not go away by waiting: a bad setting (e.g.
 * a wrong password), or a permission the runtime denies (Deno's `NotCapable`).
 */
function refusesForGood(error: unknown): boolean {
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    if (cause instanceof ConfigurationError) return true;
    if (cause.name === "NotCapable" || cause.name === "PermissionDenied") return true;
  }
  return false;
}
