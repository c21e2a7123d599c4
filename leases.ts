/**
 * Keeps the leases of the messages a Huey is executing: renews them in one
 * batch every `leaseTimeout / 3` seconds while tasks run, acknowledges or
 * releases each message when its execution ends, and holds the messages a
 * worker's loop leased ahead (prefetch) until its next `dequeue()`.
 *
 * @module
 * @internal
 */
import { getLogger } from "./logger.ts";
import type { Delivery, Storage } from "./storage/base.ts";
import type { Task } from "./task.ts";
import { unrefTimer } from "./_runtime.ts";

/** What an execution reports back to the lease keeper. */
export interface ExecutionOutcome {
  /** The task's value, or `undefined`. */
  value: unknown;
  /** The task was interrupted: its message goes back to the queue at once. */
  interrupted: boolean;
  /** The message was already acknowledged along with the outcome (`Storage.finish`). */
  acked?: boolean;
}

/** The lease of the message a task came from, as its execution sees it. */
export interface RunningLease {
  /** The receipt, or `null` when the message is not leased. */
  readonly receipt: string | null;
  /**
   * Says that the outcome is about to be stored: a loop that asked for
   * prefetch gets its next message leased now, in the same round trip.
   */
  settling(): void;
}

/** A message leased ahead for a worker's loop. */
interface Ahead {
  delivery: Promise<Delivery | null>;
  signal: AbortSignal | undefined;
  /** When it arrived (epoch ms), once it has. */
  at?: number;
}

const logger = getLogger("huey");

/** The leases of the tasks dequeued by one Huey. */
export class LeaseKeeper {
  #receipts = new WeakMap<Task, string>();
  /** Tasks whose loop asked for prefetch, with the loop's stop signal. */
  #prefetching = new WeakMap<Task, AbortSignal | undefined>();
  #ahead: Ahead[] = [];
  #watched = new WeakSet<AbortSignal>();
  #releasing = new Set<Promise<void>>();
  #running = new Set<string>();
  #timer: ReturnType<typeof setInterval> | null = null;
  #storage: () => Storage;
  #leaseTimeout: number;

  /**
   * @param storage Gives the storage in use.
   * @param leaseTimeout Seconds of each lease.
   */
  constructor(storage: () => Storage, leaseTimeout: number) {
    this.#storage = storage;
    this.#leaseTimeout = leaseTimeout;
  }

  /** Remembers the receipt of the message a task came from. */
  attach(task: Task, receipt: string): void {
    this.#receipts.set(task, receipt);
  }

  /** The receipt of the message a task came from, if it is leased. */
  receiptOf(task: Task): string | undefined {
    return this.#receipts.get(task);
  }

  /**
   * Leases the next message when this task's outcome is stored, for the
   * loop that dequeued it (stopped by `signal`): see {@linkcode takeAhead}.
   */
  prefetchAfter(task: Task, signal: AbortSignal | undefined): void {
    this.#prefetching.set(task, signal);
  }

  /**
   * Runs an execution while renewing the task's lease; then acknowledges the
   * message, unless the execution did (with the outcome), or releases it
   * when the task was interrupted. When the execution throws (a storage
   * failure), the lease is left to expire so the message is delivered again.
   */
  async around(
    task: Task,
    run: (lease: RunningLease) => Promise<ExecutionOutcome>,
  ): Promise<unknown> {
    const receipt = this.#receipts.get(task) ?? null;
    let settled = !this.#prefetching.has(task);
    const lease: RunningLease = {
      receipt,
      settling: () => {
        if (settled) return;
        settled = true;
        this.#fetchAhead(this.#prefetching.get(task));
      },
    };
    if (receipt === null) return (await run(lease)).value;
    this.#receipts.delete(task);
    this.#track(receipt);
    let outcome: ExecutionOutcome;
    try {
      outcome = await run(lease);
    } finally {
      this.#untrack(receipt);
    }
    if (outcome.interrupted) await this.#storage().release(receipt);
    else {
      lease.settling();
      if (!outcome.acked) await this.#storage().ack(receipt);
    }
    return outcome.value;
  }

  /** Leases the next message now, for the loop stopped by `signal`. */
  #fetchAhead(signal: AbortSignal | undefined): void {
    if (signal?.aborted) return;
    const entry: Ahead = { signal, delivery: Promise.resolve(null) };
    entry.delivery = this.#storage().dequeue({ lease: this.#leaseTimeout, signal }).then(
      (delivery) => {
        entry.at = Date.now();
        return delivery;
      },
      (error) => {
        logger.exception("Could not lease the next message ahead", error);
        return null;
      },
    );
    this.#ahead.push(entry);
    if (signal && !this.#watched.has(signal)) {
      this.#watched.add(signal);
      signal.addEventListener("abort", () => this.#releaseAhead(signal), { once: true });
    }
  }

  /**
   * The message leased ahead for a loop, if one came and is still fresh
   * (leased less than half a lease ago); stale ones are released.
   */
  async takeAhead(): Promise<Delivery | null> {
    while (this.#ahead.length > 0) {
      const entry = this.#ahead.shift()!;
      const delivery = await entry.delivery;
      if (delivery === null) continue;
      const fresh = Date.now() - entry.at! < (this.#leaseTimeout * 1000) / 2;
      if (fresh && !entry.signal?.aborted) return delivery;
      this.#release(delivery);
    }
    return null;
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

  #track(receipt: string): void {
    this.#running.add(receipt);
    if (this.#timer) return;
    this.#timer = setInterval(() => this.#renew(), (this.#leaseTimeout / 3) * 1000);
    unrefTimer(this.#timer);
  }

  /** Forgets a receipt; the timer stays until a tick finds nothing to renew (no timer per task). */
  #untrack(receipt: string): void {
    this.#running.delete(receipt);
  }

  #renew(): void {
    const receipts = [...this.#running];
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
