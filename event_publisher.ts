/**
 * The `EventPublisher`: while a consumer (or one of its thread or process
 * workers) runs in this process, every signal emitted here is also
 * published to the storage's event log (SPEC §10), with the consumer's
 * lifecycle events and the tasks' progress. A producer's process does not
 * publish: publishing starts with `start()`, which only a consumer calls;
 * and in a consumer's process, only the tasks the consumer enqueues
 * (retries, next stages, error handlers, the scheduler's) publish their
 * `enqueued` and `scheduled` events, not those the process's own code enqueues.
 *
 * Events are buffered as their texts and as runs (values, not text). A
 * task's `executing` event waits (its run is "pending") until its
 * `complete` event, so that both are stored in a pairs line with those of
 * other runs (`_event_lines.ts`: the run's values, no text per event, half
 * the bytes), unless something else comes first: another event of the
 * task, or the flush of the next turn of the event loop (a task that runs
 * longer than a turn has its `executing` event stored while it runs). The
 * executor hands the buffer to the `finish` steps that store outcomes (the
 * outcome's event rides in the outcome's round trip): the steps of a turn
 * share it, the runs that complete meanwhile join it, and the first write
 * that takes it stores it (`PublishedEvents.take`). What is left is
 * flushed with one `addEvents` per turn of the event loop, one flush at a
 * time, so the storage receives the events in the order they happened. A flush that fails keeps its events
 * (up to `maxLength`, the oldest dropped and counted) and is tried again a
 * second later; a task never fails because an event could not be published.
 *
 * @module
 * @internal
 */
import { setImmediate } from "node:timers";
import {
  encodeEvent,
  type EVENT_CONSUMER_STARTED,
  type EVENT_CONSUMER_STOPPED,
  EVENT_PROGRESS,
  type EVENT_WORKER_DIED,
  type EventRecord,
  eventText,
  type EventType,
  placeFields,
  taskFields,
  typeField,
} from "./event.ts";
import { getLogger } from "./logger.ts";
import { checkInteger } from "./_options.ts";
import { sleep } from "./_runtime.ts";
import {
  NO_EXTRA,
  SIGNAL_CANCELED,
  SIGNAL_COMPLETE,
  SIGNAL_ENQUEUED,
  SIGNAL_ERROR,
  SIGNAL_EXECUTING,
  SIGNAL_LOCKED,
  SIGNAL_RATE_LIMITED,
  SIGNAL_RETRYING,
  SIGNAL_SCHEDULED,
  SIGNAL_TIMEOUT,
  type SignalDispatcher,
  type SignalName,
  type SignalObserver,
} from "./signals.ts";
import type { ProgressListener, ProgressTask } from "./progress.ts";
import type { FinishOptions, Storage } from "./storage/base.ts";
import { type EventSegment, PublishedEvents } from "./storage/_event_check.ts";
import { RUN_FIELDS } from "./storage/_event_lines.ts";
import type { Task } from "./task.ts";

/** The most events the log keeps, unless `eventsMaxLength` says otherwise. */
export const DEFAULT_EVENTS_MAX_LENGTH = 10_000;

/**
 * Checks the `eventsMaxLength` option: a whole number > 0.
 *
 * @throws {ConfigurationError} It is not (the message names the option and the value).
 */
export function checkEventsMaxLength(value: unknown): number {
  return checkInteger("eventsMaxLength", value, 1);
}

/** A consumer's lifecycle event types. */
export type LifecycleType =
  | typeof EVENT_CONSUMER_STARTED
  | typeof EVENT_CONSUMER_STOPPED
  | typeof EVENT_WORKER_DIED;

/** What an {@linkcode EventPublisher} is built from. */
export interface EventPublisherOptions {
  /** Gives the storage in use. */
  storage: () => Storage;
  /** The signals whose emissions are published. */
  signals: SignalDispatcher;
  /** Publish at all (the Huey's `events` option). */
  enabled: boolean;
  /** The most events the log keeps (and this process buffers). */
  maxLength: number;
}

/** What the publisher records on a task while it runs. */
interface TaskRun {
  /** The task's id. */
  id: string;
  /** The task's name. */
  name: string;
  /** The worker that runs it. */
  worker: string;
  /** When it started (`performance.now()`), once `executing` was emitted. */
  started: number | undefined;
  /** When it started (epoch ms), the `at` of its `executing` event. */
  startedAt: number;
  /** Its retries left when it started. */
  retries: number;
  /** Its `executing` event is not in the buffer yet: it waits for the `complete` one (see the module). */
  pending: boolean;
  /** What it threw, for the failure's event. */
  error: unknown;
  /** Its `complete` event went with its outcome already. */
  completed: boolean;
}

const RUN: unique symbol = Symbol("huey.run");

/**
 * A task with the run the publisher records on it. A property of the task,
 * not a WeakMap entry, as the leases' record (leases.ts): it is on the hot path.
 */
type RunningTask = Task & { [RUN]?: TaskRun };

/** The signals whose events say how long the task ran. */
const TIMED = new Set<SignalName>([SIGNAL_COMPLETE, SIGNAL_ERROR, SIGNAL_TIMEOUT]);
/** The signals whose events carry the task's error. */
const FAILURES = new Set<SignalName>([
  SIGNAL_ERROR,
  SIGNAL_TIMEOUT,
  SIGNAL_CANCELED,
  SIGNAL_LOCKED,
  SIGNAL_RATE_LIMITED,
  SIGNAL_RETRYING,
]);

/** Seconds before a flush that failed is tried again. */
const RETRY_DELAY = 1;

const logger = getLogger("huey");

/**
 * Seconds since `started` (`performance.now()`), to the microsecond: an
 * event's `duration` (a dozen bytes shorter than the float's full digits).
 */
function secondsSince(started: number): number {
  return Math.round((performance.now() - started) * 1000) / 1e6;
}

/** Publishes a process's signals as events, while a consumer runs here. */
export class EventPublisher implements SignalObserver, ProgressListener {
  #storage: () => Storage;
  #signals: SignalDispatcher;
  #enabled: boolean;
  #maxLength: number;
  /** `host:pid` of the consumer's main process; `null` while not publishing. */
  #consumer: string | null = null;
  /** The worker whose events these are, unless a task's run names its own. */
  #worker = "";
  /** The `consumer` and `worker` fields of the events, by worker (see `placeFields`). */
  #places = new Map<string, string>();
  /** The events, oldest first: texts, and runs whose events go as a pairs line. */
  #buffer: EventSegment[] = [];
  /** How many events the buffer holds (two a run). */
  #count = 0;
  /**
   * The buffer as handed to the `finish` steps of this turn (the same
   * object to each), while no write has taken it: the runs that complete
   * meanwhile join it, and go with the first of those writes.
   */
  #open: PublishedEvents | null = null;
  /** The runs whose `executing` event waited, since the last flush (some since stored with their `complete`). */
  #pending: TaskRun[] = [];
  #scheduled = false;
  #flushing: Promise<void> | null = null;
  /** Events dropped since the last line that said so. */
  #dropped = 0;
  /** The last flush failed (one warning per outage). */
  #failing = false;
  /** Aborted by `stop()`: a flush waiting to be tried again gives up its wait. */
  #stopping = new AbortController();

  /** @param options See {@linkcode EventPublisherOptions}. */
  constructor(options: EventPublisherOptions) {
    this.#storage = options.storage;
    this.#signals = options.signals;
    this.#enabled = options.enabled;
    this.#maxLength = options.maxLength;
  }

  /** Whether this process publishes events now. */
  get publishing(): boolean {
    return this.#consumer !== null;
  }

  /**
   * Starts publishing (a consumer, or a worker of one, runs here), unless
   * the Huey's `events` option is off.
   *
   * @param consumer `host:pid` of the consumer's main process.
   * @param worker The worker of this process (`""`: the consumer itself).
   */
  start(consumer: string, worker = ""): void {
    if (!this.#enabled) return;
    this.#consumer = consumer;
    this.#worker = worker;
    this.#places.clear();
    this.#stopping = new AbortController();
    this.#signals.observe(this);
  }

  /**
   * Stores the events buffered so far before it resolves (never rejects:
   * a failure keeps them for the next flush): before a retry's message can
   * be taken by another consumer, the events of its failed run are stored.
   */
  async flush(): Promise<void> {
    if (this.#consumer === null) return;
    while (this.#flushing) await this.#flushing;
    await this.#flushAndGoOn();
  }

  /** Publishes every event still buffered, then stops publishing. */
  async stop(): Promise<void> {
    if (this.#consumer === null) return;
    this.#signals.observe(null);
    this.#stopping.abort();
    while (this.#flushing) await this.#flushing;
    this.#flushing = this.#flush();
    try {
      await this.#flushing;
    } finally {
      this.#flushing = null;
    }
    this.#release();
    this.#dropped += this.#count;
    this.#take();
    this.#reportDropped();
    this.#consumer = null;
  }

  /**
   * Records which worker runs a task (greenlet workers share one
   * publisher); its events name that worker.
   */
  runBy(task: Task, worker: string): void {
    if (this.#consumer !== null) this.#run(task).worker = worker;
  }

  /**
   * Records that this consumer enqueues or schedules a task (the scheduler
   * moved it, or it follows a task that ran here: `by`), so that its
   * `enqueued` and `scheduled` events are published; a producer's are not.
   */
  claim(task: Task, by?: Task): void {
    if (this.#consumer === null) return;
    const run = this.#run(task);
    if (by !== undefined) run.worker = this.#run(by).worker;
  }

  /** Records what a failed task threw, for its failure's event (see `FAILURES`). */
  failed(task: Task, error: unknown): void {
    if (this.#consumer !== null) this.#run(task).error = error;
  }

  /**
   * Publishes a task's `complete` event ahead of its signal, so that it goes
   * with the outcome to the storage (`finish`); the signal then adds none.
   */
  completing(task: Task): void {
    if (this.#consumer === null) return;
    this.observe(SIGNAL_COMPLETE, task, NO_EXTRA);
    this.#run(task).completed = true;
  }

  /**
   * The options of a `storage.finish()` call given the buffered events (in
   * `options` itself, which the caller made for this call): they are
   * stored in the same step as the outcome. The `finish` calls of a turn
   * get the same events, which the first write that takes them stores
   * (`PublishedEvents.take`): one object and one pairs line a turn, not a
   * few objects a task. When a step fails, the caller hands them back
   * ({@linkcode keepUnstored}).
   */
  withEvents(options: FinishOptions): FinishOptions {
    if (this.#open?.taken) this.#release();
    if (this.#buffer.length === 0) return options;
    this.#open ??= new PublishedEvents(
      this.#buffer,
      this.#count,
      this.#maxLength,
      this.#consumer ?? "",
    );
    options.events = this.#open;
    return options;
  }

  /**
   * Keeps the events of a `finish` call that failed, for a flush (once,
   * however many calls of the turn shared them; no later write takes them).
   */
  keepUnstored(options: FinishOptions): void {
    const events = options.events;
    if (!(events instanceof PublishedEvents) || events.kept) return;
    events.kept = true;
    if (events !== this.#open) return this.#keep(events);
    // Still this publisher's buffer: the next flush stores them.
    this.#open = null;
    this.#schedule();
  }

  /**
   * Leaves the open events to the writes they go with: what is buffered
   * from now on goes to a later write (a text, or a flush, never joins them:
   * a flush must store what it was called for).
   */
  #release(): void {
    if (this.#open === null) return;
    this.#open = null;
    this.#buffer = [];
    this.#count = 0;
  }

  /** Publishes a task's progress (`task.progress(value)`, once it is stored). */
  progress(task: ProgressTask, value: unknown): void {
    if (this.#consumer === null) return;
    this.#settle((task as RunningTask)[RUN]);
    this.#publish({ ...this.#about(EVENT_PROGRESS, task), progress: value });
  }

  /**
   * Publishes a lifecycle event of the consumer.
   *
   * @param type `consumer-started`, `consumer-stopped` or `worker-died`.
   * @param worker The worker it is about (`worker-died`).
   * @param error Why (a worker that died: how it ended).
   */
  lifecycle(type: LifecycleType, worker = "", error?: string): void {
    if (this.#consumer === null) return;
    this.#publish({
      type,
      id: "",
      name: "",
      retries: 0,
      at: new Date(),
      consumer: this.#consumer,
      worker,
      ...(error !== undefined && { error }),
    });
  }

  /** Publishes a signal as an event (the {@linkcode SignalObserver} of the Huey's signals). */
  observe(signal: SignalName, task: Task, extra: readonly unknown[]): void {
    if (this.#consumer === null) return;
    // The two events of every task that runs: their text is built from parts kept on the run.
    if (signal === SIGNAL_EXECUTING) {
      const run = this.#run(task);
      this.#settle(run);
      run.started = performance.now();
      run.startedAt = Date.now();
      run.retries = task.retries;
      run.pending = true;
      this.#pending.push(run);
      return this.#schedule();
    }
    const run = (task as RunningTask)[RUN];
    if (signal === SIGNAL_COMPLETE) {
      if (run?.completed) return;
      if (run?.pending) {
        run.pending = false;
        return this.#pushRun(run);
      }
      const rest = run?.started === undefined ? "" : `,"duration":${secondsSince(run.started)}`;
      return this.#push(this.#taskEvent(signal, task, run ?? this.#run(task), rest));
    }
    this.#settle(run);
    if ((signal === SIGNAL_ENQUEUED || signal === SIGNAL_SCHEDULED) && !run) return;
    const event: { -readonly [K in keyof EventRecord]: EventRecord[K] } = this.#about(signal, task);
    if (TIMED.has(signal) && run?.started !== undefined) {
      event.duration = secondsSince(run.started);
    }
    if ((signal === SIGNAL_SCHEDULED || signal === SIGNAL_RETRYING) && task.eta) {
      event.eta = task.eta;
    }
    if (FAILURES.has(signal)) {
      const error = signal === SIGNAL_ERROR && extra.length > 0 ? extra[0] : run?.error;
      if (error !== undefined) {
        event.error = error instanceof Error ? error.message : String(error);
        if (error instanceof Error && error.stack) event.traceback = error.stack;
      }
    }
    this.#publish(event);
  }

  /** The text of a task's event without an error, an eta or progress (`rest`: more fields). */
  #taskEvent(type: EventType, task: Task, run: TaskRun, rest: string): string {
    const fields = taskFields(task.id, task.name);
    return eventText(typeField(type), fields, task.retries, Date.now(), this.#place(run), rest);
  }

  /** The `consumer` and `worker` fields of a run's events (kept per worker). */
  #place(run: TaskRun): string {
    let place = this.#places.get(run.worker);
    if (place === undefined) {
      place = placeFields(this.#consumer!, run.worker);
      this.#places.set(run.worker, place);
    }
    return place;
  }

  /** The fields of every event about a task. */
  #about(type: EventType, task: ProgressTask): EventRecord {
    return {
      type,
      id: task.id,
      name: task.name,
      retries: task.retries,
      at: new Date(),
      consumer: this.#consumer!,
      worker: (task as RunningTask)[RUN]?.worker ?? this.#worker,
    };
  }

  /** The run recorded on a task, made when there is none. */
  #run(task: Task): TaskRun {
    // Every field set now: runs keep one shape (the hot path reads and writes them).
    return (task as RunningTask)[RUN] ??= {
      id: task.id,
      name: task.name,
      worker: this.#worker,
      started: undefined,
      startedAt: 0,
      retries: 0,
      pending: false,
      error: undefined,
      completed: false,
    };
  }

  /** Encodes an event and buffers its text (an event that cannot be encoded is logged and dropped). */
  #publish(event: EventRecord): void {
    let text: string;
    try {
      text = encodeEvent(event);
    } catch (error) {
      logger.warning(`Could not publish the ${event.type} event of ${event.id}: ${error}`);
      return;
    }
    this.#push(text);
  }

  /**
   * Buffers the `executing` event of a run that waited for its `complete`
   * one (see the module), before anything else of the task is buffered.
   */
  #settle(run: TaskRun | undefined): void {
    if (!run?.pending) return;
    run.pending = false;
    const text = eventText(
      typeField(SIGNAL_EXECUTING),
      taskFields(run.id, run.name),
      run.retries,
      run.startedAt,
      this.#place(run),
      "",
    );
    this.#release();
    this.#buffer.push(text);
    this.#count++;
    this.#trim();
  }

  /** Buffers the `executing` events that still wait (before the buffer is flushed). */
  #settleAll(): void {
    for (const run of this.#pending) this.#settle(run);
    this.#pending = [];
  }

  /** Buffers an event's text and makes sure a flush follows. */
  #push(text: string): void {
    this.#release();
    this.#buffer.push(text);
    this.#count++;
    this.#trim();
    this.#schedule();
  }

  /**
   * Buffers a run that completed while its `executing` event waited: its
   * two events go in a pairs line (see `PairRuns` of `storage/_event_lines.ts`).
   */
  #pushRun(run: TaskRun): void {
    if (this.#open?.taken) this.#release();
    let last = this.#buffer[this.#buffer.length - 1];
    if (typeof last !== "object") this.#buffer.push(last = { at: run.startedAt, runs: [] });
    const micros = Math.round((performance.now() - run.started!) * 1000);
    last.runs.push(
      run.id,
      run.name,
      run.retries,
      run.worker,
      run.startedAt - last.at,
      micros,
      Date.now() - run.startedAt,
    );
    this.#count += 2;
    this.#trim();
    if (this.#open !== null) this.#open.count = this.#count;
    this.#schedule();
  }

  /** Takes the buffered events, to be stored. */
  #take(): PublishedEvents {
    const events = new PublishedEvents(
      this.#buffer,
      this.#count,
      this.#maxLength,
      this.#consumer ?? "",
    );
    this.#buffer = [];
    this.#count = 0;
    return events;
  }

  /** Puts back events a failed step did not store, ahead of those buffered since. */
  #keep(events: PublishedEvents): void {
    this.#release();
    this.#buffer = events.segments.concat(this.#buffer);
    this.#count += events.count;
    this.#trim();
    this.#schedule();
  }

  /** Drops the oldest buffered events beyond `maxLength` (both events of a run at a time), and counts them. */
  #trim(): void {
    let drop = 0;
    while (this.#count > this.#maxLength) {
      const oldest = this.#buffer[drop];
      let events = 1;
      if (typeof oldest === "string") drop++;
      else {
        const runs = Math.min(
          oldest.runs.length / RUN_FIELDS,
          Math.ceil((this.#count - this.#maxLength) / 2),
        );
        events = 2 * runs;
        if (runs * RUN_FIELDS === oldest.runs.length) drop++;
        else this.#buffer[drop] = { at: oldest.at, runs: oldest.runs.slice(runs * RUN_FIELDS) };
      }
      this.#count -= events;
      this.#dropped += events;
    }
    if (drop > 0) this.#buffer.splice(0, drop);
  }

  /** A flush in the next turn of the event loop, unless one is due or under way. */
  #schedule(): void {
    if (this.#scheduled || this.#flushing) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      // Mostly, the turn's events went with the outcomes (`withEvents`): then no flush, no promise.
      this.#settleAll();
      this.#release();
      if (this.#buffer.length > 0) void this.#flushAndGoOn();
    });
  }

  /** Flushes, then schedules the next flush if events came meanwhile. */
  async #flushAndGoOn(): Promise<void> {
    if (this.#flushing) return;
    this.#flushing = this.#flush();
    try {
      await this.#flushing;
    } finally {
      this.#flushing = null;
    }
    const more = this.#buffer.length > 0 || this.#pending.length > 0;
    if (more && !this.#stopping.signal.aborted) this.#schedule();
  }

  /** Stores the buffered events with one `addEvents`; on failure keeps them and waits a while. */
  async #flush(): Promise<void> {
    this.#settleAll();
    this.#release();
    if (this.#buffer.length === 0) return;
    const events = this.#take();
    try {
      await this.#storage().addEvents(events);
      if (this.#failing) logger.info("Publishing events again");
      this.#failing = false;
      this.#reportDropped();
    } catch (error) {
      this.#keep(events);
      if (!this.#failing) {
        logger.warning(`Could not publish ${events.count} event(s), trying again: ${error}`);
      }
      this.#failing = true;
      await sleep(RETRY_DELAY, this.#stopping.signal, true);
    }
  }

  /** Says how many events were dropped since it last said so. */
  #reportDropped(): void {
    if (this.#dropped === 0) return;
    logger.warning(
      `Dropped ${this.#dropped} event(s) the storage did not take in time ` +
        `(this process keeps at most eventsMaxLength, ${this.#maxLength}, until it stops)`,
    );
    this.#dropped = 0;
  }
}
