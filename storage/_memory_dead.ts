/**
 * The dead letters of the memory storage: a map by id, in the order they
 * were added (oldest first).
 *
 * @module
 * @internal
 */
import type { DeadLetter } from "./base.ts";
import { checkLimit } from "./_check.ts";

/** The dead letters of one memory storage. */
export class MemoryDeadLetters {
  #letters = new Map<string, DeadLetter>();
  #clock: () => number;
  #nextId: () => string;
  #ack: (receipt: string) => void;

  /**
   * @param clock The storage's clock (epoch ms), for each letter's time.
   * @param nextId Gives a new id (the storage's sequence: ids never repeat).
   * @param ack Acknowledges a leased message (the queue's `ack`).
   */
  constructor(clock: () => number, nextId: () => string, ack: (receipt: string) => void) {
    this.#clock = clock;
    this.#nextId = nextId;
    this.#ack = ack;
  }

  /** Moves a message aside with the reason and acks `receipt`, in one step; returns its id. */
  add(data: Uint8Array, reason: string, receipt: string | null): string {
    const id = this.#nextId();
    this.#letters.set(id, { id, reason, data: data.slice(), at: new Date(this.#clock()) });
    if (receipt !== null) this.#ack(receipt);
    return id;
  }

  /** The dead letters, oldest first, the first `limit` of them when given. */
  list(limit: number | undefined): DeadLetter[] {
    const letters = [...this.#letters.values()];
    return limit === undefined ? letters : letters.slice(0, checkLimit(limit));
  }

  /** One dead letter (a copy of its message), or `null` for an unknown id. */
  peek(id: string): DeadLetter | null {
    const letter = this.#letters.get(id);
    return letter ? { ...letter, data: letter.data.slice() } : null;
  }

  /** Removes one dead letter and returns its message, or `null` for an unknown id. */
  take(id: string): Uint8Array | null {
    const letter = this.#letters.get(id);
    this.#letters.delete(id);
    return letter?.data ?? null;
  }

  /** How many dead letters are kept. */
  count(): number {
    return this.#letters.size;
  }

  /** Removes every dead letter; returns how many there were. */
  flush(): number {
    const count = this.#letters.size;
    this.#letters.clear();
    return count;
  }
}
