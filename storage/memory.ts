/**
 * The in-process storage (huey's `MemoryStorage`): for tests, immediate mode
 * and single-process use. Everything lives in one instance and is lost with
 * it.
 *
 * @module
 */
import type {
  Delivery,
  DequeueOptions,
  EnqueueOnceOptions,
  EventsToAdd,
  FinishOptions,
  OnceItem,
  PutDataOptions,
  PutIfEmptyOptions,
  Storage,
} from "./base.ts";
import { checkFunction, checkInteger, checkNumber } from "../_options.ts";
import { checkLimit, checkStorageName, closedError, settle } from "./_check.ts";
import { DelegatingStorage, type StorageParts } from "./_delegating.ts";
import { Heap } from "./_heap.ts";
import { MemoryDeadLetters } from "./_memory_dead.ts";
import { MemoryEvents } from "./_memory_events.ts";
import { MemoryFailures } from "./_memory_failures.ts";
import { MemoryHeartbeats } from "./_memory_heartbeats.ts";
import { MemoryKeyValues } from "./_memory_kv.ts";
import { MemoryQueue, type Message } from "./_memory_queue.ts";
import { MemoryTallies } from "./_memory_tallies.ts";
import { checkOnceItems } from "./_tally.ts";

/** Options of {@linkcode MemoryStorage}. */
export interface MemoryStorageOptions {
  /**
   * The time in epoch milliseconds, read for lease and key expiry; tests
   * inject a fake one to expire leases without waiting.
   * @default Date.now
   */
  clock?: () => number;
}

interface ScheduledItem {
  readonly data: Uint8Array;
  readonly eta: number;
  readonly priority: number;
  readonly sequence: number;
}

/** Soonest eta first, then in insertion order. */
function scheduleOrder(a: ScheduledItem, b: ScheduledItem): number {
  return a.eta - b.eta || a.sequence - b.sequence;
}

/** The first `limit` items (all when `limit` is undefined). */
function first<T>(items: T[], limit: number | undefined): T[] {
  return limit === undefined ? items : items.slice(0, checkLimit(limit));
}

/**
 * Keeps the queue, schedule, key/value data and dead letters in memory, in
 * one instance: two instances with the same name are two separate queues.
 * Priorities are honoured (higher first, FIFO within one, negative allowed),
 * `dequeue` never blocks, leased messages come back lazily once their lease
 * has expired, and `putIfEmpty` is atomic.
 *
 * @example
 * ```ts
 * import { MemoryStorage } from "./memory.ts";
 * const storage = new MemoryStorage("demo");
 * await storage.enqueue(new TextEncoder().encode("low"));
 * await storage.enqueue(new TextEncoder().encode("high"), 10);
 * const delivery = await storage.dequeue({ lease: 30 });
 * console.assert(new TextDecoder().decode(delivery!.data) === "high");
 * await storage.ack(delivery!.receipt!);
 * await storage.close();
 * ```
 */
export class MemoryStorage extends DelegatingStorage implements Storage {
  /** The queue name. */
  readonly name: string;
  /** Always `false`: an empty queue gives `null` at once. */
  readonly blocking: boolean = false;
  /** Always `true`. */
  readonly priority: boolean = true;

  #clock: () => number;
  #closed = false;
  /** Counts messages, scheduled items, deliveries and dead letters: ids never repeat. */
  #sequence = 0;
  #queue: MemoryQueue;
  #schedule = new Heap<ScheduledItem>(scheduleOrder);
  #data: MemoryKeyValues;
  #tallies: MemoryTallies;
  #dead: MemoryDeadLetters;
  #failures = new MemoryFailures();
  #events: MemoryEvents;
  #heartbeats: MemoryHeartbeats;
  #parts: StorageParts;

  /**
   * Makes an empty storage.
   *
   * @param name The queue name.
   * @param options See {@linkcode MemoryStorageOptions}.
   * @throws {ConfigurationError} `name` is not a non-empty string, or `clock` is not a function.
   */
  constructor(name: string = "huey", options: MemoryStorageOptions = {}) {
    super();
    const { clock = Date.now } = options;
    this.name = checkStorageName(name);
    this.#clock = checkFunction("clock", clock);
    this.#queue = new MemoryQueue(this.#clock, () => ++this.#sequence);
    this.#data = new MemoryKeyValues(this.#clock);
    this.#tallies = new MemoryTallies(this.#clock);
    this.#events = new MemoryEvents(this.#clock);
    this.#heartbeats = new MemoryHeartbeats(this.#clock);
    const nextId = () => String(++this.#sequence);
    this.#dead = new MemoryDeadLetters(this.#clock, nextId, (receipt) => this.#queue.ack(receipt));
    this.#parts = {
      counters: this.#tallies,
      dead: this.#dead,
      failures: this.#failures,
      events: this.#events,
      heartbeats: this.#heartbeats,
      checkOpen: () => this.#checkOpen(),
    };
  }

  /**
   * The parts that serve the counters, dead letters, failure records, event
   * reads and heartbeats.
   * @internal
   */
  protected override parts(): StorageParts {
    return this.#parts;
  }

  #checkOpen(): void {
    if (this.#closed) throw closedError("MemoryStorage", this.name);
  }

  /** Runs `fn` unless the storage is closed; a throw becomes a rejection. */
  #run<T>(fn: () => T): Promise<T> {
    return settle(() => {
      this.#checkOpen();
      return fn();
    });
  }

  #message(data: Uint8Array, priority: number | undefined): Message {
    if (priority !== undefined) checkNumber("priority", priority);
    return { data: data.slice(), priority: priority ?? 0, sequence: ++this.#sequence };
  }

  /** Adds a message to the queue; higher `priority` first, FIFO within one. */
  enqueue(data: Uint8Array, priority?: number): Promise<void> {
    return this.#run(() => {
      this.#queue.push(this.#message(data, priority));
    });
  }

  /** Adds several messages to the queue, in order. */
  enqueueMany(
    items: ReadonlyArray<{ data: Uint8Array; priority?: number }>,
  ): Promise<void> {
    return this.#run(() => {
      const messages = items.map(({ data, priority }) => this.#message(data, priority));
      for (const message of messages) this.#queue.push(message);
    });
  }

  /** Takes the next message: leased with a receipt when `lease > 0`, else removed. */
  dequeue(options: DequeueOptions = {}): Promise<Delivery | null> {
    return this.#run(() => {
      const { lease = 0, signal } = options;
      checkNumber("lease", lease, ">= 0");
      return signal?.aborted ? null : this.#queue.take(lease);
    });
  }

  /** Removes a leased message for good; an unknown or outdated receipt is ignored. */
  ack(receipt: string): Promise<void> {
    return this.#run(() => this.#queue.ack(receipt));
  }

  /** Appends `events`, removes `deleteKeys`, stores `result`, then acks `receipt`, in one step. */
  finish(receipt: string | null, options: FinishOptions): Promise<void> {
    return this.#run(() => {
      const { deleteKeys = [], result, events } = options;
      // The events first: they are checked before anything changes.
      if (events) this.#events.add(events);
      for (const key of deleteKeys) this.#data.delete(key);
      if (result) this.#data.put(result.key, result.value);
      if (receipt !== null) this.#queue.ack(receipt);
    });
  }

  /** Extends these leases to `lease` seconds from now; unknown receipts are ignored. */
  renew(receipts: readonly string[], lease: number): Promise<void> {
    return this.#run(() => {
      const until = this.#clock() + checkNumber("lease", lease, ">= 0") * 1000;
      this.#queue.renew(receipts, until);
    });
  }

  /** Puts a leased message back on the queue at once, in its old place. */
  release(receipt: string): Promise<void> {
    return this.#run(() => this.#queue.release(receipt));
  }

  /** How many messages are waiting (leased ones excluded). */
  queueSize(): Promise<number> {
    return this.#run(() => this.#queue.size());
  }

  /** The waiting messages in dequeue order, the first `limit` of them when given. */
  enqueuedItems(limit?: number): Promise<Uint8Array[]> {
    return this.#run(() => first(this.#queue.waiting(), limit).map((message) => message.data));
  }

  /** Empties the queue, leased messages included. */
  flushQueue(): Promise<void> {
    return this.#run(() => this.#queue.clear());
  }

  /** Adds a message to the schedule, due at `eta` (epoch ms), to be enqueued with `priority`. */
  addToSchedule(data: Uint8Array, eta: number, priority?: number): Promise<void> {
    return this.#run(() => {
      checkNumber("eta", eta);
      const { data: copy, priority: checked, sequence } = this.#message(data, priority);
      this.#schedule.push({ data: copy, eta, priority: checked, sequence });
    });
  }

  /** Moves up to `limit` due messages to the queue, soonest first, with their priorities. */
  moveDue(now: number, limit: number): Promise<Uint8Array[]> {
    return this.#run(() => {
      checkNumber("now", now);
      checkInteger("limit", limit, 1);
      const moved: Uint8Array[] = [];
      while (moved.length < limit && (this.#schedule.peek()?.eta ?? Infinity) <= now) {
        const { data, priority } = this.#schedule.pop()!;
        this.#queue.push(this.#message(data, priority));
        moved.push(data);
      }
      return moved;
    });
  }

  /** Removes and returns every message due at `now` (epoch ms), soonest first. */
  readSchedule(now: number): Promise<Uint8Array[]> {
    return this.#run(() => {
      checkNumber("now", now);
      const due: Uint8Array[] = [];
      while ((this.#schedule.peek()?.eta ?? Infinity) <= now) due.push(this.#schedule.pop()!.data);
      return due;
    });
  }

  /** How many messages are scheduled. */
  scheduleSize(): Promise<number> {
    return this.#run(() => this.#schedule.size);
  }

  /** The scheduled messages, soonest first, the first `limit` of them when given. */
  scheduledItems(limit?: number): Promise<Uint8Array[]> {
    return this.#run(() => first(this.#schedule.sorted(), limit).map((item) => item.data));
  }

  /** Empties the schedule. */
  flushSchedule(): Promise<void> {
    return this.#run(() => {
      this.#schedule.clear();
    });
  }

  /** Stores a value under a key, replacing any other (and its ttl). */
  putData(key: string, value: Uint8Array, _options?: PutDataOptions): Promise<void> {
    return this.#run(() => this.#data.put(key, value));
  }

  /** Reads a value; `null` when there is none. */
  peekData(key: string): Promise<Uint8Array | null> {
    return this.#run(() => this.#data.get(key) ?? null);
  }

  /** Reads and removes a value; `null` when there is none. */
  popData(key: string): Promise<Uint8Array | null> {
    return this.#run(() => this.#data.pop(key));
  }

  /** Removes a value; `true` when there was one. */
  deleteData(key: string): Promise<boolean> {
    return this.#run(() => this.#data.delete(key));
  }

  /** Whether a value is stored under the key. */
  hasDataForKey(key: string): Promise<boolean> {
    return this.#run(() => this.#data.get(key) !== undefined);
  }

  /** Stores the value only if the key is empty, atomically; `true` when it did. */
  putIfEmpty(
    key: string,
    value: Uint8Array,
    options: PutIfEmptyOptions = {},
  ): Promise<boolean> {
    return this.#run(() => {
      const { ttl } = options;
      if (ttl !== undefined) checkNumber("ttl", ttl, "> 0");
      return this.#data.putIfEmpty(key, value, ttl);
    });
  }

  /** Removes the key only while it holds exactly `value`; `true` when it did. */
  deleteIfEquals(key: string, value: Uint8Array): Promise<boolean> {
    return this.#run(() => this.#data.deleteIfEquals(key, value));
  }

  /**
   * Enqueues `items` (or schedules those with an `eta`) and sets `marker`
   * for `ttl` seconds, unless the marker is set.
   */
  enqueueOnce(
    marker: string,
    items: readonly OnceItem[],
    options: EnqueueOnceOptions,
  ): Promise<boolean> {
    return this.#run(() => {
      const ttl = checkNumber("ttl", options?.ttl, "> 0");
      const checked = checkOnceItems(items);
      if (this.#tallies.hasMarker(marker)) return false;
      for (const { data, priority, eta } of checked) {
        const message = this.#message(data, priority);
        if (eta === undefined) this.#queue.push(message);
        else this.#schedule.push({ ...message, eta });
      }
      this.#tallies.setMarker(marker, ttl);
      return true;
    });
  }

  /** Removes a marker of `enqueueOnce`; `true` when it was set. */
  deleteMarker(marker: string): Promise<boolean> {
    return this.#run(() => this.#tallies.deleteMarker(marker));
  }

  /** How many keys are stored (expired ones excluded). */
  resultStoreSize(): Promise<number> {
    return this.#run(() => this.#data.items().size);
  }

  /** Every stored key and its value. */
  resultItems(): Promise<Map<string, Uint8Array>> {
    return this.#run(() => this.#data.items());
  }

  /** Removes every key. */
  flushResults(): Promise<void> {
    return this.#run(() => {
      this.#data.clear();
    });
  }

  /** Appends events to the log, in order, then drops the oldest beyond `maxLength`. */
  addEvents(events: EventsToAdd): Promise<void> {
    return this.#run(() => this.#events.add(events));
  }

  /** Resolves `true` once the log holds an event after `after`, `false` on timeout, abort or close. */
  waitForEvents(after: string | null, timeout: number, signal?: AbortSignal): Promise<boolean> {
    return this.#run(() => this.#events).then((events) => events.wait(after, timeout, signal));
  }

  /**
   * Empties the queue, the schedule, the key/value store, the markers, the
   * counters, the member sets, the dead letters, the failure records, the
   * event log and the heartbeats.
   */
  flushAll(): Promise<void> {
    return this.#run(() => this.#clear());
  }

  /** Drops every message and key, and refuses further calls. Idempotent. */
  close(): Promise<void> {
    this.#clear();
    this.#events.close();
    this.#closed = true;
    return Promise.resolve();
  }

  /** Closes the storage, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #clear(): void {
    this.#queue.clear();
    this.#schedule.clear();
    this.#data.clear();
    this.#tallies.clear();
    this.#dead.flush();
    this.#failures.purge();
    this.#events.clear();
    this.#heartbeats.clear();
  }
}
