/**
 * Keeps the leases of the messages a Huey is executing: records the lease
 * of each dequeued task until its execution takes it, renews the leases in
 * one batch every `leaseTimeout / 3` seconds while tasks run, and holds the
 * messages a worker's loop leased ahead (prefetch) until its next
 * `dequeue()`. The executor acknowledges or releases each message.
 *
 * @module
 * @internal
 */
import { getLogger } from "./logger.ts";
import type { Delivery, Storage } from "./storage/base.ts";
import type { Task } from "./task.ts";
import { unrefTimer } from "./_runtime.ts";

/** A message leased ahead for the worker loops of a Huey. */
interface Ahead {
  delivery: Promise<Delivery | null>;
  signal: AbortSignal | undefined;
  /** When it arrived (epoch ms), once it has. */
  at?: number;
  /** The message once the lease answered (`null`: none came, or the lease failed). */
  arrived?: Delivery | null;
  /** The task `onArrival` decoded from it, if any. */
  task?: Task;
}

/** A message taken from those leased ahead, with its task if it was decoded on arrival. */
export interface TakenAhead {
  /** The message. */
  delivery: Delivery;
  /** Its task, or `undefined` when it could not be decoded. */
  task: Task | undefined;
}

/**
 * What a keeper records on a task it leased, until its execution takes it.
 * A property of the task, not a WeakMap entry: several WeakMap operations
 * per task cost more than the rest of a fast task's bookkeeping.
 */
export interface TaskLease {
  /** The keeper that recorded it. */
  readonly keeper: LeaseKeeper;
  /** The receipt of the task's message. */
  readonly receipt: string;
  /** The loop that dequeued it asked for prefetch (stopped by `signal`), not yet served. */
  prefetch: boolean;
  /** Stops the loop that dequeued it. */
  signal: AbortSignal | undefined;
}

const LEASE: unique symbol = Symbol("huey.lease");

/** A task with the lease a keeper recorded on it. */
type LeasedTask = Task & { [LEASE]?: TaskLease };

/** Options of a {@linkcode LeaseKeeper}. */
export interface LeaseKeeperOptions {
  /** Gives the storage in use. */
  storage: () => Storage;
  /** Seconds of each lease. */
  leaseTimeout: number;
  /** Told of each message leased ahead when it arrives (to decode it and read its revocation keys early). */
  onArrival?: (delivery: Delivery) => Task | undefined;
}

/** The most messages a Huey leases ahead for its loops. */
const MOST_AHEAD = 512;
/**
 * Milliseconds of work a Huey leases ahead: the loops should start every
 * message leased ahead within about this long, so messages are not held
 * from other consumers while slow tasks run.
 */
const AHEAD_BUDGET_MS = 10;
/** The shortest time over which the pace of outcomes is measured (ms). */
const PACE_WINDOW_MS = 20;

const logger = getLogger("huey");

/** The leases of the tasks dequeued by one Huey. */
export class LeaseKeeper {
  #ahead: Ahead[] = [];
  #watched = new WeakSet<AbortSignal>();
  #releasing = new Set<Promise<void>>();
  /**
   * The leases renewed while their tasks run: a task's own lease record
   * (looked up by object, cheaper than by its receipt string), or the
   * receipt of a task that runs in another thread or process.
   */
  #running = new Set<TaskLease | string>();
  #timer: ReturnType<typeof setInterval> | null = null;
  #storage: () => Storage;
  #leaseTimeout: number;
  #onArrival: ((delivery: Delivery) => Task | undefined) | undefined;
  /** Outcomes of prefetching tasks per ms (moving average over windows). */
  #perMs = 0;
  /** Outcomes counted since the current window started. */
  #settled = 0;
  #windowStart = performance.now();

  /** @param options See {@linkcode LeaseKeeperOptions}. */
  constructor(options: LeaseKeeperOptions) {
    this.#storage = options.storage;
    this.#leaseTimeout = options.leaseTimeout;
    this.#onArrival = options.onArrival;
  }

  /** Remembers the receipt of the message a task came from. */
  attach(task: Task, receipt: string): void {
    (task as LeasedTask)[LEASE] = { keeper: this, receipt, prefetch: false, signal: undefined };
  }

  /** The receipt of the message a task came from, if it is leased. */
  receiptOf(task: Task): string | undefined {
    return this.#leaseOf(task)?.receipt;
  }

  #leaseOf(task: Task): TaskLease | undefined {
    const lease = (task as LeasedTask)[LEASE];
    return lease?.keeper === this ? lease : undefined;
  }

  /**
   * Leases the next messages when this task's outcome is stored, for the
   * loops of this Huey (stopped by `signal`): see {@linkcode takeAhead}.
   * The task must be attached.
   */
  prefetchAfter(task: Task, signal: AbortSignal | undefined): void {
    const lease = this.#leaseOf(task)!;
    lease.prefetch = true;
    lease.signal = signal;
  }

  /**
   * Takes the lease recorded on a task (its execution starts), or
   * `undefined` when its message is not leased by this keeper.
   */
  take(task: Task): TaskLease | undefined {
    const lease = this.#leaseOf(task);
    if (lease !== undefined) (task as LeasedTask)[LEASE] = undefined;
    return lease;
  }

  /**
   * Says that a task's outcome is about to be stored: when the loop that
   * dequeued it asked for prefetch, its next messages are leased now, in the
   * same round trip. Once per lease.
   */
  settle(lease: TaskLease): void {
    if (!lease.prefetch) return;
    lease.prefetch = false;
    this.#timeSettling();
    this.#fetchAhead(lease.signal);
  }

  /** Counts an outcome; every {@linkcode PACE_WINDOW_MS} or more, updates the pace. */
  #timeSettling(): void {
    this.#settled++;
    const now = performance.now();
    const elapsed = now - this.#windowStart;
    if (elapsed < PACE_WINDOW_MS) return;
    this.#perMs = (this.#perMs + this.#settled / elapsed) / 2;
    this.#settled = 0;
    this.#windowStart = now;
  }

  /**
   * How many messages to hold leased ahead: as many as the loops start in
   * about {@linkcode AHEAD_BUDGET_MS} at the current pace, at least one, at
   * most {@linkcode MOST_AHEAD}.
   */
  #aheadTarget(): number {
    const target = Math.floor(AHEAD_BUDGET_MS * this.#perMs);
    return Math.min(MOST_AHEAD, Math.max(1, target));
  }

  /**
   * Tops up the messages leased ahead, for the loops stopped by `signal`,
   * once a quarter of the target is used: the leases asked for together
   * share one round trip, and only the first waits on an empty queue.
   */
  #fetchAhead(signal: AbortSignal | undefined): void {
    if (signal?.aborted) return;
    const target = this.#aheadTarget();
    const held = this.#ahead.length;
    if (held > target * 0.75) return;
    for (let index = held; index < target; index++) this.#leaseAhead(signal, index === held);
    if (signal && !this.#watched.has(signal)) {
      this.#watched.add(signal);
      signal.addEventListener("abort", () => this.#releaseAhead(signal), { once: true });
    }
  }

  /** Leases one message ahead; `wait`: on a blocking storage, wait for one. */
  #leaseAhead(signal: AbortSignal | undefined, wait: boolean): void {
    const entry: Ahead = { signal, delivery: Promise.resolve(null) };
    const lease = this.#leaseTimeout;
    entry.delivery = this.#storage().dequeue({ lease, signal, wait }).then(
      (delivery) => {
        entry.at = Date.now();
        if (delivery) entry.task = this.#onArrival?.(delivery);
        return entry.arrived = delivery;
      },
      (error) => {
        // Not an error line: the loop's own read, next, meets the same failure and reports it.
        logger.debug(`Could not lease the next message ahead: ${(error as Error)?.message}`);
        return entry.arrived = null;
      },
    );
    this.#ahead.push(entry);
  }

  /**
   * The message leased ahead for a loop, if one came and is still fresh
   * (leased less than half a lease ago); stale ones are released.
   */
  async takeAhead(): Promise<TakenAhead | null> {
    while (this.#ahead.length > 0) {
      const entry = this.#ahead.shift()!;
      const delivery = await entry.delivery;
      if (delivery === null) continue;
      if (this.#usable(entry)) return { delivery, task: entry.task };
      this.#release(delivery);
    }
    return null;
  }

  /**
   * The task leased ahead for a loop when it has arrived, is fresh and was
   * decoded, without waiting (the loop's hot path); `undefined` when none
   * is ready so (leave it to {@linkcode takeAhead}).
   */
  takeReady(): TakenAhead | undefined {
    while (this.#ahead.length > 0) {
      const entry = this.#ahead[0];
      const delivery = entry.arrived;
      if (delivery === undefined) return undefined;
      if (delivery !== null && this.#usable(entry)) {
        if (entry.task === undefined) return undefined; // dequeue() moves it aside
        this.#ahead.shift();
        return { delivery, task: entry.task };
      }
      this.#ahead.shift();
      if (delivery !== null) this.#release(delivery);
    }
    return undefined;
  }

  /** Whether a message leased ahead may still be handed out: leased less than half a lease ago, its loop going on. */
  #usable(entry: Ahead): boolean {
    return Date.now() - entry.at! < (this.#leaseTimeout * 1000) / 2 && !entry.signal?.aborted;
  }

  /** Releases the messages leased ahead for the loop stopped by `signal` (all when `undefined`). */
  #releaseAhead(signal?: AbortSignal): void {
    const mine = this.#ahead.filter((entry) => signal === undefined || entry.signal === signal);
    this.#ahead = this.#ahead.filter((entry) => !mine.includes(entry));
    for (const entry of mine) {
      void entry.delivery.then((delivery) => delivery && this.#release(delivery));
    }
  }

  /** Puts a message leased ahead back on the queue (in the background; `close` waits for it). */
  #release(delivery: Delivery): void {
    if (delivery.receipt === null) return;
    const releasing = this.#storage().release(delivery.receipt).catch((error) => {
      logger.exception("Could not release a message leased ahead", error);
    }).finally(() => this.#releasing.delete(releasing));
    this.#releasing.add(releasing);
  }

  /**
   * Renews a message's lease until {@linkcode untrack}: a timer runs while
   * any lease is tracked. Pass the task's lease record when there is one.
   */
  track(lease: TaskLease | string): void {
    this.#running.add(lease);
    if (this.#timer) return;
    this.#timer = setInterval(() => this.#renew(), (this.#leaseTimeout / 3) * 1000);
    unrefTimer(this.#timer);
  }

  /** Forgets a lease; the timer stays until a tick finds nothing to renew (no timer per task). */
  untrack(lease: TaskLease | string): void {
    this.#running.delete(lease);
  }

  #renew(): void {
    const receipts = [...this.#running].map((each) =>
      typeof each === "string" ? each : each.receipt
    );
    if (receipts.length === 0) return this.stop();
    this.#storage().renew(receipts, this.#leaseTimeout).catch((error) => {
      logger.exception(`Could not renew the leases of ${receipts.length} running task(s)`, error);
    });
  }

  /** Stops renewing. */
  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** Stops renewing and puts every message leased ahead back on the queue. */
  async close(): Promise<void> {
    this.stop();
    const pending = this.#ahead.map((entry) => entry.delivery);
    this.#releaseAhead();
    await Promise.all(pending);
    while (this.#releasing.size > 0) await Promise.all([...this.#releasing]);
  }
}
