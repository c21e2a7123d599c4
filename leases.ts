/**
 * Keeps the leases of the messages a Huey is executing: renews them in one
 * batch every `leaseTimeout / 3` seconds while tasks run, and acknowledges or
 * releases each message when its execution ends.
 *
 * @module
 * @internal
 */
import { getLogger } from "./logger.ts";
import type { Storage } from "./storage/base.ts";
import type { Task } from "./task.ts";
import { unrefTimer } from "./_runtime.ts";

/** What an execution reports back to the lease keeper. */
export interface ExecutionOutcome {
  /** The task's value, or `undefined`. */
  value: unknown;
  /** The task was interrupted: its message goes back to the queue at once. */
  interrupted: boolean;
}

const logger = getLogger("huey");

/** The leases of the tasks dequeued by one Huey. */
export class LeaseKeeper {
  #receipts = new WeakMap<Task, string>();
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
   * Runs an execution while renewing the task's lease; then acknowledges the
   * message, or releases it when the task was interrupted. When the
   * execution throws (a storage failure), the lease is left to expire so the
   * message is delivered again.
   */
  async around(task: Task, run: () => Promise<ExecutionOutcome>): Promise<unknown> {
    const receipt = this.#receipts.get(task);
    if (receipt === undefined) return (await run()).value;
    this.#receipts.delete(task);
    this.#track(receipt);
    let outcome: ExecutionOutcome;
    try {
      outcome = await run();
    } finally {
      this.#untrack(receipt);
    }
    if (outcome.interrupted) await this.#storage().release(receipt);
    else await this.#storage().ack(receipt);
    return outcome.value;
  }

  /** Releases the lease of a dequeued task that will not be executed. */
  async release(task: Task): Promise<void> {
    const receipt = this.#receipts.get(task);
    if (receipt === undefined) return;
    this.#receipts.delete(task);
    await this.#storage().release(receipt);
  }

  #track(receipt: string): void {
    this.#running.add(receipt);
    if (this.#timer) return;
    this.#timer = setInterval(() => this.#renew(), (this.#leaseTimeout / 3) * 1000);
    unrefTimer(this.#timer);
  }

  #untrack(receipt: string): void {
    this.#running.delete(receipt);
    if (this.#running.size === 0) this.stop();
  }

  #renew(): void {
    const receipts = [...this.#running];
    if (receipts.length === 0) return;
    this.#storage().renew(receipts, this.#leaseTimeout).catch((error) => {
      logger.exception(`Could not renew the leases of ${receipts.length} running task(s)`, error);
    });
  }

  /** Stops renewing. */
  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }
}
