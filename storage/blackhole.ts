/**
 * The storage that keeps nothing (huey's `BlackHoleStorage`): for
 * benchmarks and for a Huey that only produces into the void.
 *
 * @module
 */
import type {
  DeadLetter,
  Delivery,
  DequeueOptions,
  EnqueueOnceOptions,
  EventsToAdd,
  FinishOptions,
  OnceItem,
  PutDataOptions,
  PutIfEmptyOptions,
  ReadEventsOptions,
  Storage,
  StoredEvent,
  TallyOptions,
} from "./base.ts";
import { checkStorageName, closedError } from "./_check.ts";

/**
 * Discards every write: the queue, schedule, key/value store, dead
 * letters, event log and heartbeats always read as empty, `dequeue` resolves to `null`,
 * `putIfEmpty` always succeeds (nothing is ever stored to conflict with),
 * `incr` resolves to its increment and `addMember` to 1.
 *
 * @example
 * ```ts
 * import { BlackHoleStorage } from "./blackhole.ts";
 * const storage = new BlackHoleStorage("void");
 * await storage.enqueue(new TextEncoder().encode("lost"));
 * console.assert((await storage.dequeue()) === null);
 * console.assert((await storage.queueSize()) === 0);
 * await storage.close();
 * ```
 */
export class BlackHoleStorage implements Storage {
  /** The queue name. */
  readonly name: string;
  /** Always `false`: `dequeue` never waits. */
  readonly blocking: boolean = false;
  /** Always `true`: any priority is accepted (and discarded). */
  readonly priority: boolean = true;

  #closed = false;
  #deadLetters = 0;

  /**
   * Makes a storage that keeps nothing.
   *
   * @param name The queue name.
   * @throws {ConfigurationError} `name` is not a non-empty string.
   */
  constructor(name: string = "huey") {
    this.name = checkStorageName(name);
  }

  /** Resolves to `value`, or rejects when the storage is closed. */
  #answer<T>(value: T): Promise<T> {
    if (this.#closed) return Promise.reject(closedError("BlackHoleStorage", this.name));
    return Promise.resolve(value);
  }

  /** Discards the message. */
  enqueue(_data: Uint8Array, _priority?: number): Promise<void> {
    return this.#answer(undefined);
  }

  /** Discards the messages. */
  enqueueMany(
    _items: ReadonlyArray<{ data: Uint8Array; priority?: number }>,
  ): Promise<void> {
    return this.#answer(undefined);
  }

  /** Resolves to `null`: the queue is always empty. */
  dequeue(_options?: DequeueOptions): Promise<Delivery | null> {
    return this.#answer(null);
  }

  /** Does nothing: no message is ever leased. */
  ack(_receipt: string): Promise<void> {
    return this.#answer(undefined);
  }

  /** Does nothing: nothing is kept and no message is ever leased. */
  finish(_receipt: string | null, _options: FinishOptions): Promise<void> {
    return this.#answer(undefined);
  }

  /** Does nothing: no message is ever leased. */
  renew(_receipts: readonly string[], _lease: number): Promise<void> {
    return this.#answer(undefined);
  }

  /** Does nothing: no message is ever leased. */
  release(_receipt: string): Promise<void> {
    return this.#answer(undefined);
  }

  /** Resolves to `0`. */
  queueSize(): Promise<number> {
    return this.#answer(0);
  }

  /** Resolves to `[]`. */
  enqueuedItems(_limit?: number): Promise<Uint8Array[]> {
    return this.#answer([]);
  }

  /** Does nothing. */
  flushQueue(): Promise<void> {
    return this.#answer(undefined);
  }

  /** Discards the message. */
  addToSchedule(_data: Uint8Array, _eta: number, _priority?: number): Promise<void> {
    return this.#answer(undefined);
  }

  /** Resolves to `[]`: nothing is ever scheduled. */
  moveDue(_now: number, _limit: number): Promise<Uint8Array[]> {
    return this.#answer([]);
  }

  /** Resolves to `[]`. */
  readSchedule(_now: number): Promise<Uint8Array[]> {
    return this.#answer([]);
  }

  /** Resolves to `0`. */
  scheduleSize(): Promise<number> {
    return this.#answer(0);
  }

  /** Resolves to `[]`. */
  scheduledItems(_limit?: number): Promise<Uint8Array[]> {
    return this.#answer([]);
  }

  /** Does nothing. */
  flushSchedule(): Promise<void> {
    return this.#answer(undefined);
  }

  /** Discards the value. */
  putData(_key: string, _value: Uint8Array, _options?: PutDataOptions): Promise<void> {
    return this.#answer(undefined);
  }

  /** Resolves to `null`. */
  peekData(_key: string): Promise<Uint8Array | null> {
    return this.#answer(null);
  }

  /** Resolves to `null`. */
  popData(_key: string): Promise<Uint8Array | null> {
    return this.#answer(null);
  }

  /** Resolves to `false`. */
  deleteData(_key: string): Promise<boolean> {
    return this.#answer(false);
  }

  /** Resolves to `false`. */
  hasDataForKey(_key: string): Promise<boolean> {
    return this.#answer(false);
  }

  /** Resolves to `true` (the key is always empty) and discards the value. */
  putIfEmpty(
    _key: string,
    _value: Uint8Array,
    _options?: PutIfEmptyOptions,
  ): Promise<boolean> {
    return this.#answer(true);
  }

  /** Resolves to `false`: no key holds anything. */
  deleteIfEquals(_key: string, _value: Uint8Array): Promise<boolean> {
    return this.#answer(false);
  }

  /** Resolves to `true` (no marker is ever set) and discards the messages. */
  enqueueOnce(
    _marker: string,
    _items: readonly OnceItem[],
    _options: EnqueueOnceOptions,
  ): Promise<boolean> {
    return this.#answer(true);
  }

  /** Resolves to `false`: no marker is ever set. */
  deleteMarker(_marker: string): Promise<boolean> {
    return this.#answer(false);
  }

  /** Resolves to `by` (1 when omitted), as huey's: every counter starts from nothing. */
  incr(_key: string, by: number = 1, _options?: TallyOptions): Promise<number> {
    return this.#answer(by);
  }

  /** Resolves to `false`: no counter is ever kept. */
  deleteCounter(_key: string): Promise<boolean> {
    return this.#answer(false);
  }

  /** Resolves to `1`: every set holds only the member just added. */
  addMember(_key: string, _member: string, _options?: TallyOptions): Promise<number> {
    return this.#answer(1);
  }

  /** Resolves to `false`: no member set is ever kept. */
  deleteMembers(_key: string): Promise<boolean> {
    return this.#answer(false);
  }

  /** Resolves to `0`. */
  resultStoreSize(): Promise<number> {
    return this.#answer(0);
  }

  /** Resolves to an empty Map. */
  resultItems(): Promise<Map<string, Uint8Array>> {
    return this.#answer(new Map());
  }

  /** Does nothing. */
  flushResults(): Promise<void> {
    return this.#answer(undefined);
  }

  /** Discards the message; resolves to a fresh id that names nothing. */
  addDeadLetter(_data: Uint8Array, _reason: string, _receipt?: string | null): Promise<string> {
    return this.#answer(String(++this.#deadLetters));
  }

  /** Resolves to `[]`. */
  deadLetters(_limit?: number): Promise<DeadLetter[]> {
    return this.#answer([]);
  }

  /** Resolves to `null`. */
  peekDeadLetter(_id: string): Promise<DeadLetter | null> {
    return this.#answer(null);
  }

  /** Resolves to `null`. */
  takeDeadLetter(_id: string): Promise<Uint8Array | null> {
    return this.#answer(null);
  }

  /** Resolves to `0`. */
  flushDeadLetters(): Promise<number> {
    return this.#answer(0);
  }

  /** Resolves to `0`. */
  deadLetterCount(): Promise<number> {
    return this.#answer(0);
  }

  /** Discards the record. */
  addFailure(_id: string, _record: Uint8Array, _maxLength: number): Promise<void> {
    return this.#answer(undefined);
  }

  /** Resolves to `[]`. */
  failures(_limit?: number): Promise<Uint8Array[]> {
    return this.#answer([]);
  }

  /** Resolves to `null`. */
  takeFailure(_id: string): Promise<Uint8Array | null> {
    return this.#answer(null);
  }

  /** Resolves to `0`. */
  purgeFailures(): Promise<number> {
    return this.#answer(0);
  }

  /** Resolves to `0`. */
  failureCount(): Promise<number> {
    return this.#answer(0);
  }

  /** Discards the events. */
  addEvents(_events: EventsToAdd): Promise<void> {
    return this.#answer(undefined);
  }

  /** Resolves to `[]`: the log is always empty. */
  readEvents(_options: ReadEventsOptions): Promise<StoredEvent[]> {
    return this.#answer([]);
  }

  /** Resolves to `null`: the log is always empty. */
  lastEventSeq(): Promise<string | null> {
    return this.#answer(null);
  }

  /** Discards the record. */
  putHeartbeat(_id: string, _record: Uint8Array, _ttl: number): Promise<void> {
    return this.#answer(undefined);
  }

  /** Resolves to `[]`. */
  heartbeats(): Promise<Uint8Array[]> {
    return this.#answer([]);
  }

  /** Resolves to `false`: no record is ever kept. */
  deleteHeartbeat(_id: string): Promise<boolean> {
    return this.#answer(false);
  }

  /** Does nothing. */
  flushAll(): Promise<void> {
    return this.#answer(undefined);
  }

  /** Refuses further calls. Idempotent. */
  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }

  /** Closes the storage, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
