/**
 * The storage members every backend hands unchanged to one of its parts:
 * counters and member sets, dead letters, failure records, reading the event
 * log, and heartbeats. A backend extends {@linkcode DelegatingStorage} and
 * names its parts in {@linkcode DelegatingStorage.parts}; what it does
 * differently (how it adds events, waits for them, enqueues once) it writes
 * itself.
 *
 * A part may answer synchronously (the memory storage's) or with a promise;
 * a member always answers with a promise, and a part's throw becomes its
 * rejection.
 *
 * @module
 * @internal
 */
import type { DeadLetter, ReadEventsOptions, StoredEvent, TallyOptions } from "./base.ts";

/** What a part answers: a value, or a promise of one. */
type Answer<T> = T | Promise<T>;

/** Counters and member sets (`incr`, `addMember`): each part checks its arguments itself. */
export interface CounterPart {
  /** Adds `by` to a counter (created with `ttl`); answers its new value. */
  incr(key: string, by: number | undefined, options: TallyOptions | undefined): Answer<number>;
  /** Removes a counter; `true` when a live one was there. */
  deleteCounter(key: string): Answer<boolean>;
  /** Adds a member to a set (created with `ttl`); answers the set's size. */
  addMember(key: string, member: string, options: TallyOptions | undefined): Answer<number>;
  /** Removes a member set; `true` when a live one was there. */
  deleteMembers(key: string): Answer<boolean>;
}

/** Dead letters. */
export interface DeadLetterPart {
  /** Stores a dead letter and acks `receipt` (`null`: nothing to ack); answers its id. */
  add(data: Uint8Array, reason: string, receipt: string | null): Answer<string>;
  /** The dead letters, oldest first, at most `limit` (all when `undefined`). */
  list(limit: number | undefined): Answer<DeadLetter[]>;
  /** One dead letter, left in place, or `null` for an unknown id. */
  peek(id: string): Answer<DeadLetter | null>;
  /** Removes one dead letter and answers its message, or `null` for an unknown id. */
  take(id: string): Answer<Uint8Array | null>;
  /** Removes every dead letter; answers how many there were. */
  flush(): Answer<number>;
  /** How many dead letters are kept. */
  count(): Answer<number>;
}

/** Failure records. */
export interface FailurePart {
  /** Records a failure as the newest (replacing one of the same id), keeping at most `maxLength`. */
  add(id: string, record: Uint8Array, maxLength: number): Answer<void>;
  /** The records, newest first, at most `limit`. */
  list(limit: number | undefined): Answer<Uint8Array[]>;
  /** Removes the record of a task id and answers it, or `null`. */
  take(id: string): Answer<Uint8Array | null>;
  /** Removes every record; answers how many there were. */
  purge(): Answer<number>;
  /** How many records are kept. */
  count(): Answer<number>;
}

/** Reading the event log (adding to it and waiting for it differ per backend). */
export interface EventReadPart {
  /** The events, oldest first, after `after` or since `since`, at most `limit`. */
  read(options: ReadEventsOptions): Answer<StoredEvent[]>;
  /** The `seq` of the newest event, or `null` when the log is empty. */
  last(): Answer<string | null>;
}

/** Consumer heartbeats. */
export interface HeartbeatPart {
  /** Stores the record under `id`, replacing the older one, for `ttl` seconds. */
  put(id: string, record: Uint8Array, ttl: number): Answer<void>;
  /** The records that have not expired. */
  list(): Answer<Uint8Array[]>;
  /** Removes the record of `id`; `true` when there was one. */
  delete(id: string): Answer<boolean>;
}

/** The parts a backend's members are handed to. */
export interface StorageParts {
  /** Counters and member sets. */
  readonly counters: CounterPart;
  /** Dead letters. */
  readonly dead: DeadLetterPart;
  /** Failure records. */
  readonly failures: FailurePart;
  /** The event log, read. */
  readonly events: EventReadPart;
  /** Heartbeats. */
  readonly heartbeats: HeartbeatPart;
  /**
   * Throws when the storage is closed, before any part is asked; for
   * backends whose parts do not find out themselves (memory, files).
   */
  readonly checkOpen?: () => void;
}

/**
 * The members of `Storage` that every backend hands to a part as they are;
 * a backend extends it and says which parts in {@linkcode parts}.
 */
export abstract class DelegatingStorage {
  /**
   * The parts of this storage (the same ones on every call).
   * @internal
   */
  protected abstract parts(): StorageParts;

  /** The parts, once the storage is known to be open. */
  #open(): StorageParts {
    const parts = this.parts();
    parts.checkOpen?.();
    return parts;
  }

  /** Adds `by` to a counter (created with `ttl`), atomically; resolves to its new value. */
  async incr(key: string, by?: number, options?: TallyOptions): Promise<number> {
    return await this.#open().counters.incr(key, by, options);
  }

  /** Removes a counter, atomically; `true` when a live one was there. */
  async deleteCounter(key: string): Promise<boolean> {
    return await this.#open().counters.deleteCounter(key);
  }

  /** Adds a member to a set (created with `ttl`), atomically; resolves to the set's size. */
  async addMember(key: string, member: string, options?: TallyOptions): Promise<number> {
    return await this.#open().counters.addMember(key, member, options);
  }

  /** Removes a member set, atomically; `true` when a live one was there. */
  async deleteMembers(key: string): Promise<boolean> {
    return await this.#open().counters.deleteMembers(key);
  }

  /**
   * Moves a message aside with the reason and acks `receipt` (atomically
   * where the storage has transactions or scripts; files: in that order);
   * resolves to the dead letter's id.
   */
  async addDeadLetter(
    data: Uint8Array,
    reason: string,
    receipt: string | null = null,
  ): Promise<string> {
    return await this.#open().dead.add(data, reason, receipt);
  }

  /** The dead letters, oldest first, at most `limit`. */
  async deadLetters(limit?: number): Promise<DeadLetter[]> {
    return await this.#open().dead.list(limit);
  }

  /** One dead letter, left in place, or `null` for an unknown id. */
  async peekDeadLetter(id: string): Promise<DeadLetter | null> {
    return await this.#open().dead.peek(id);
  }

  /** Removes one dead letter and resolves to its message, or `null` for an unknown id. */
  async takeDeadLetter(id: string): Promise<Uint8Array | null> {
    return await this.#open().dead.take(id);
  }

  /** Removes every dead letter; resolves to how many there were (files: how many this call removed). */
  async flushDeadLetters(): Promise<number> {
    return await this.#open().dead.flush();
  }

  /** How many dead letters are kept (without reading them). */
  async deadLetterCount(): Promise<number> {
    return await this.#open().dead.count();
  }

  /** Records a failure as the newest (replacing one of the same id), keeping at most `maxLength`, atomically. */
  async addFailure(id: string, record: Uint8Array, maxLength: number): Promise<void> {
    await this.#open().failures.add(id, record, maxLength);
  }

  /** The failure records, newest first, at most `limit`. */
  async failures(limit?: number): Promise<Uint8Array[]> {
    return await this.#open().failures.list(limit);
  }

  /** Removes the failure record of a task id and resolves to it, or `null`. */
  async takeFailure(id: string): Promise<Uint8Array | null> {
    return await this.#open().failures.take(id);
  }

  /** Removes every failure record; resolves to how many there were (files: how many this call removed). */
  async purgeFailures(): Promise<number> {
    return await this.#open().failures.purge();
  }

  /** How many failure records are kept. */
  async failureCount(): Promise<number> {
    return await this.#open().failures.count();
  }

  /** The events of the log, oldest first, after `after` or since `since`, at most `limit`. */
  async readEvents(options: ReadEventsOptions): Promise<StoredEvent[]> {
    return await this.#open().events.read(options);
  }

  /** The `seq` of the newest event, or `null` when the log is empty. */
  async lastEventSeq(): Promise<string | null> {
    return await this.#open().events.last();
  }

  /** Stores a consumer's heartbeat record, replacing the older one, for `ttl` seconds. */
  async putHeartbeat(id: string, record: Uint8Array, ttl: number): Promise<void> {
    await this.#open().heartbeats.put(id, record, ttl);
  }

  /** The heartbeat records that have not expired. */
  async heartbeats(): Promise<Uint8Array[]> {
    return await this.#open().heartbeats.list();
  }

  /** Removes a heartbeat record; `true` when there was one. */
  async deleteHeartbeat(id: string): Promise<boolean> {
    return await this.#open().heartbeats.delete(id);
  }
}
