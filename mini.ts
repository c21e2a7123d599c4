/**
 * `MiniHuey`: huey's `contrib/mini.py`, a small scheduler that runs tasks in
 * this process — no storage, no consumer, no retries. Calls run at once (at
 * most `poolSize` at a time); scheduled calls and periodic tasks run from a
 * loop that `start()` starts.
 *
 * @module
 */
import type { CrontabValidator } from "./crontab.ts";
import { getLogger } from "./logger.ts";
import { Heap } from "./storage/_heap.ts";
import { checkSeconds } from "./time.ts";
import { checkDate, checkFunction, checkInteger, checkNumber, checkOption } from "./_options.ts";
import { ConfigurationError } from "./errors.ts";

/** Options of `new MiniHuey()`. */
export interface MiniHueyOptions {
  /** Seconds between two steps of the loop that `start()` runs. @default 1 */
  interval?: number;
  /** At most this many task runs at once; further calls wait for a free slot. @default unlimited */
  poolSize?: number;
  /**
   * The clock: "now" for delays, due times and periodic matches (tests
   * inject their own).
   * @default () => new Date()
   */
  now?: () => Date;
}

/** Options of {@linkcode MiniTask.schedule}: one of `delay` and `eta`. */
export interface MiniScheduleOptions<Args extends unknown[]> {
  /** The call's arguments. @default [] */
  args?: Args;
  /** Run this many seconds from now. */
  delay?: number;
  /** Run at this time. */
  eta?: Date;
}

/** A function registered on a {@linkcode MiniHuey}: calling it runs it now. */
export interface MiniTask<Args extends unknown[], R> {
  /** Runs the function now (or when a pool slot frees up) and resolves to its value. */
  (...args: Args): Promise<Awaited<R>>;
  /** The function's name. */
  readonly name: string;
  /**
   * Runs the function later, from the loop, and resolves to its value then.
   * A time already past runs it now. A run that throws rejects the promise:
   * await or catch it. Nothing persists: a pending call is lost with the process.
   *
   * @throws {ConfigurationError} Neither or both of `delay` and `eta`, or a bad value.
   */
  schedule(options: MiniScheduleOptions<Args>): Promise<Awaited<R>>;
}

interface Scheduled {
  readonly eta: number;
  readonly sequence: number;
  readonly start: () => Promise<unknown>;
}

interface Periodic {
  readonly name: string;
  readonly validate: CrontabValidator;
  readonly fn: () => unknown;
}

const logger = getLogger("huey.mini");

/**
 * An in-process task runner with huey's task API, for scripts and apps that
 * need background work and cron-like jobs without a queue. Nothing persists:
 * scheduled calls are lost with the process.
 *
 * The loop checks the periodic tasks once per wall-clock minute (UTC), at the
 * first step within each minute, so a task matching 12:05 runs at the step
 * that first sees 12:05, whenever the loop was started.
 *
 * @example
 * ```ts
 * import { crontab } from "./crontab.ts";
 * import { MiniHuey } from "./mini.ts";
 * const mini = new MiniHuey("app", { poolSize: 4, interval: 0.1 });
 * const add = mini.task(function add(a: number, b: number) { return a + b; });
 * console.assert((await add(1, 2)) === 3);
 * mini.task(crontab({ minute: "0" }), function hourly() { console.log("on the hour"); });
 * mini.start();
 * const later = add.schedule({ args: [2, 3], delay: 0.01 });
 * console.assert((await later) === 5);
 * await mini.stop();
 * ```
 */
export class MiniHuey {
  /** The name, for logs. */
  readonly name: string;
  /** Seconds between two steps of the loop. */
  readonly interval: number;
  /** At most this many runs at once (`undefined`: no bound). */
  readonly poolSize: number | undefined;
  #now: () => Date;
  #periodic: Periodic[] = [];
  #schedule = new Heap<Scheduled>((a, b) => a.eta - b.eta || a.sequence - b.sequence);
  #sequence = 0;
  #active = 0;
  #waiting: (() => void)[] = [];
  #running = new Set<Promise<unknown>>();
  #timer: ReturnType<typeof setInterval> | null = null;
  #lastMinute = -Infinity;

  /**
   * Makes a MiniHuey; nothing runs from the loop until `start()`.
   *
   * @param name The name, for logs.
   * @param options See {@linkcode MiniHueyOptions}.
   * @throws {ConfigurationError} `interval` is not a number > 0, `poolSize` not
   *   an integer >= 1, or `now` not a function.
   */
  constructor(name = "huey", options: MiniHueyOptions = {}) {
    const { interval = 1, poolSize, now = () => new Date() } = options;
    checkNumber("interval", interval, "> 0");
    if (poolSize !== undefined) checkInteger("poolSize", poolSize, 1);
    checkFunction("now", now);
    this.name = name;
    this.interval = interval;
    this.poolSize = poolSize;
    this.#now = now;
  }

  /**
   * Registers a function: calling the returned task runs it now.
   *
   * @param fn The function.
   * @returns The task; call it, or `schedule()` a call.
   * @throws {ConfigurationError} `fn` is not a function.
   */
  task<A extends unknown[], R>(fn: (...args: A) => R): MiniTask<A, R>;
  /**
   * Registers a periodic task, as {@linkcode MiniHuey.periodicTask} does.
   *
   * @param validate Accepts the minutes to run at, e.g. a `crontab()`.
   * @param fn The function.
   * @returns The task (calling it also runs it now).
   * @throws {ConfigurationError} `validate` or `fn` is not a function.
   */
  task<R>(validate: CrontabValidator, fn: () => R): MiniTask<[], R>;
  task(first: (...args: never[]) => unknown, fn?: () => unknown): MiniTask<unknown[], unknown> {
    if (fn === undefined) return this.#wrap(first as (...args: unknown[]) => unknown);
    return this.periodicTask(first as CrontabValidator, fn);
  }

  /**
   * Registers a periodic task: the loop runs it at every minute `validate`
   * accepts. Calling the returned task also runs it now.
   *
   * @throws {ConfigurationError} `validate` or `fn` is not a function.
   */
  periodicTask<R>(validate: CrontabValidator, fn: () => R): MiniTask<[], R> {
    checkOption(
      typeof validate === "function",
      "validate",
      validate,
      "a function such as crontab()",
    );
    const task = this.#wrap<[], R>(fn);
    this.#periodic.push({ name: task.name, validate, fn });
    return task;
  }

  #wrap<A extends unknown[], R>(fn: (...args: A) => R): MiniTask<A, R> {
    checkFunction("fn", fn);
    const call = (...args: A): Promise<Awaited<R>> => this.#spawn(fn, args);
    const schedule = (options: MiniScheduleOptions<A>): Promise<Awaited<R>> => {
      const { args = [] as unknown as A, delay, eta } = options;
      const due = this.#dueTime(delay, eta);
      if (due <= this.#now().getTime()) return call(...args);
      return new Promise((resolve, reject) => {
        const start = () => this.#spawn(fn, args).then(resolve, reject);
        this.#schedule.push({ eta: due, sequence: ++this.#sequence, start });
      });
    };
    Object.defineProperty(call, "name", { value: fn.name });
    return Object.assign(call, { schedule }) as MiniTask<A, R>;
  }

  #dueTime(delay: number | undefined, eta: Date | undefined): number {
    if ((delay === undefined) === (eta === undefined)) {
      throw new ConfigurationError("schedule() needs either an eta (a Date) or a delay (seconds)");
    }
    if (delay !== undefined) return this.#now().getTime() + checkSeconds(delay, "delay") * 1000;
    return checkDate("eta", eta).getTime();
  }

  /** Runs `fn` in a pool slot, and tracks the run until it settles. */
  #spawn<A extends unknown[], R>(fn: (...args: A) => R, args: A): Promise<Awaited<R>> {
    const run = (async (): Promise<Awaited<R>> => {
      await this.#acquire();
      try {
        return await fn(...args);
      } finally {
        this.#release();
      }
    })();
    this.#running.add(run);
    const forget = () => this.#running.delete(run);
    run.then(forget, forget);
    return run;
  }

  #acquire(): Promise<void> | void {
    if (this.poolSize === undefined || this.#active < this.poolSize) {
      this.#active++;
      return;
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  #release(): void {
    const next = this.#waiting.shift();
    if (next) next(); // the slot passes to the next waiting run
    else this.#active--;
  }

  /**
   * One step of the loop: starts every scheduled call due at `now`, and, the
   * first time a step sees a new minute, the periodic tasks matching it.
   *
   * @param now The time of the step.
   * @returns Settles when the runs started by this step have finished.
   */
  tick(now: Date = this.#now()): Promise<void> {
    const started: Promise<unknown>[] = [];
    while ((this.#schedule.peek()?.eta ?? Infinity) <= now.getTime()) {
      started.push(this.#schedule.pop()!.start());
    }
    const minute = Math.floor(now.getTime() / 60_000);
    if (minute > this.#lastMinute) {
      this.#lastMinute = minute;
      for (const periodic of this.#due(new Date(minute * 60_000))) {
        started.push(
          this.#spawn(periodic.fn, []).catch((error) => {
            logger.exception(`Periodic task ${periodic.name} failed`, error);
          }),
        );
      }
    }
    return Promise.allSettled(started).then(() => undefined);
  }

  #due(minute: Date): Periodic[] {
    return this.#periodic.filter((periodic) => {
      try {
        return periodic.validate(minute);
      } catch (error) {
        logger.exception(`The schedule of periodic task ${periodic.name} failed`, error);
        return false;
      }
    });
  }

  /** Whether the loop runs. */
  get running(): boolean {
    return this.#timer !== null;
  }

  /** Starts the loop: a step now, then one every `interval` seconds. Does nothing if it runs. */
  start(): void {
    if (this.#timer) return;
    logger.info(`MiniHuey ${this.name} started`);
    this.#timer = setInterval(() => void this.tick(), this.interval * 1000);
    void this.tick();
  }

  /**
   * Stops the loop (scheduled calls wait for the next `start()`).
   *
   * @returns Settles when the runs in progress have finished.
   */
  async stop(): Promise<void> {
    if (this.#timer) {
      clearInterval(this.#timer);
      this.#timer = null;
      logger.info(`MiniHuey ${this.name} stopped`);
    }
    await Promise.allSettled([...this.#running]);
  }

  /** Stops the loop (for `await using`). */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }
}
