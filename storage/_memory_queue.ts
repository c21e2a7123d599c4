/**
 * The queue of the memory storage: the waiting messages in dequeue order
 * (higher priority first, FIFO within one) and the leased ones, which come
 * back lazily, in their old place, once their lease has expired.
 *
 * @module
 * @internal
 */
import type { Delivery } from "./base.ts";
import { Heap } from "./_heap.ts";

/** A queued message; `sequence` keeps FIFO order within a priority, also after a lease. */
export interface Message {
  /** The message's bytes. */
  readonly data: Uint8Array;
  /** Higher first. */
  readonly priority: number;
  /** Its place among the messages of its priority. */
  readonly sequence: number;
}

interface Lease {
  readonly message: Message;
  /** Epoch ms. */
  until: number;
}

/** Higher priority first, then FIFO. */
function queueOrder(a: Message, b: Message): number {
  return b.priority - a.priority || a.sequence - b.sequence;
}

/** The waiting and the leased messages of one memory storage. */
export class MemoryQueue {
  #clock: () => number;
  #nextSequence: () => number;
  #waiting = new Heap<Message>(queueOrder);
  #leases = new Map<string, Lease>();

  /**
   * @param clock The time in epoch ms (checked).
   * @param nextSequence Gives the storage's next sequence number, for receipts.
   */
  constructor(clock: () => number, nextSequence: () => number) {
    this.#clock = clock;
    this.#nextSequence = nextSequence;
  }

  /** Puts messages whose lease has expired back on the queue, in their old place. */
  #recoverExpired(): void {
    // Linear in the leased (in-flight) messages only, which the workers bound.
    const now = this.#clock();
    for (const [receipt, lease] of this.#leases) {
      if (lease.until > now) continue;
      this.#leases.delete(receipt);
      this.#waiting.push(lease.message);
    }
  }

  /** Adds a message, in its place. */
  push(message: Message): void {
    this.#waiting.push(message);
  }

  /**
   * Takes the next message: leased for `lease` seconds (checked) with a
   * receipt when `lease > 0`, else removed; `null` when none waits.
   */
  take(lease: number): Delivery | null {
    this.#recoverExpired();
    const message = this.#waiting.pop();
    if (message === undefined) return null;
    if (lease === 0) return { data: message.data, receipt: null };
    const receipt = `${message.sequence}:${this.#nextSequence()}`;
    this.#leases.set(receipt, { message, until: this.#clock() + lease * 1000 });
    return { data: message.data, receipt };
  }

  /** Removes a leased message for good; an unknown or outdated receipt is ignored. */
  ack(receipt: string): void {
    this.#leases.delete(receipt);
  }

  /** Extends these leases to `until` (epoch ms); unknown receipts are ignored. */
  renew(receipts: readonly string[], until: number): void {
    for (const receipt of receipts) {
      const current = this.#leases.get(receipt);
      if (current) current.until = until;
    }
  }

  /** Puts a leased message back on the queue at once, in its old place. */
  release(receipt: string): void {
    const lease = this.#leases.get(receipt);
    if (lease === undefined) return;
    this.#leases.delete(receipt);
    this.#waiting.push(lease.message);
  }

  /** How many messages are waiting (leased ones excluded; expired leases come back first). */
  size(): number {
    this.#recoverExpired();
    return this.#waiting.size;
  }

  /** The waiting messages in dequeue order (expired leases come back first). */
  waiting(): Message[] {
    this.#recoverExpired();
    return this.#waiting.sorted();
  }

  /** Removes every message, leased ones included. */
  clear(): void {
    this.#waiting.clear();
    this.#leases.clear();
  }
}
