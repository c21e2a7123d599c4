/**
 * The `Storage` interface every backend implements: huey's `BaseStorage`,
 * camelCased and async, with opaque `Uint8Array` payloads, plus acknowledged
 * delivery (leases), keys that expire, and a dead-letter area.
 *
 * Times are epoch milliseconds (`number`), durations are seconds, as
 * everywhere in huey.
 *
 * @module
 */

/** Options of {@linkcode Storage.dequeue}. */
export interface DequeueOptions {
  /**
   * Lease the message for this many seconds instead of deleting it: it stays
   * owned by the caller until {@linkcode Storage.ack}, and goes back to the
   * queue when the lease expires. `0` deletes the message at once
   * (at-most-once delivery).
   * @default 0
   */
  lease?: number;
  /** Aborts a blocking wait; the call then resolves to `null`. */
  signal?: AbortSignal;
  /**
   * `false`: resolve to `null` at once when the queue is empty, even on a
   * blocking storage (a worker leasing extra messages ahead does not wait
   * for them).
   * @default true
   */
  wait?: boolean;
}

/** The start of the key revoking one task instance (revoke.ts): the task's id follows. */
export const INSTANCE_KEY_PREFIX = "r:";
/** The start of the key revoking every call of a task (revoke.ts): its name follows. */
export const TASK_KEY_PREFIX = "rt:";

/** A message taken from the queue by {@linkcode Storage.dequeue}. */
export interface Delivery {
  /** The message as it was enqueued. */
  readonly data: Uint8Array;
  /**
   * Names the lease, for `ack`, `renew` and `release`; `null` when the message
   * was dequeued without a lease.
   */
  readonly receipt: string | null;
  /**
   * The values of the message's two revocation keys ({@linkcode INSTANCE_KEY_PREFIX}
   * and its task's id, {@linkcode TASK_KEY_PREFIX} and its task's name), `null` for a key not set,
   * when the storage read them in the same step as the message (Redis
   * does, for messages that start with their `id` and `name`); absent
   * otherwise, and the consumer reads them itself.
   */
  readonly revocations?: readonly [Uint8Array | null, Uint8Array | null];
}

/** Options of {@linkcode Storage.putData}. */
export interface PutDataOptions {
  /** The value is a task result (expiring storages give results a TTL). */
  isResult?: boolean;
}

/** Options of {@linkcode Storage.putIfEmpty}. */
export interface PutIfEmptyOptions {
  /** The key expires after this many seconds (locks that must not stay stuck). */
  ttl?: number;
}

/** Options of {@linkcode Storage.enqueueOnce}. */
export interface EnqueueOnceOptions {
  /** Seconds the marker is kept: the same marker enqueues nothing until then. */
  ttl: number;
}

/** Options of {@linkcode Storage.incr} and {@linkcode Storage.addMember}. */
export interface TallyOptions {
  /**
   * Seconds the counter or member set lives from its creation (a fixed
   * window: later calls do not extend it); kept until deleted when omitted.
   */
  ttl?: number;
}

/** One message for {@linkcode Storage.enqueueOnce}. */
export interface OnceItem {
  /** The message. */
  data: Uint8Array;
  /** Its priority (0 when omitted). */
  priority?: number;
  /** When set (epoch ms), the message is added to the schedule for then instead of the queue. */
  eta?: number;
}

/** What {@linkcode Storage.finish} stores before it acknowledges. */
export interface FinishOptions {
  /** Keys to remove first, as `deleteData` does (e.g. the task's revocation key). */
  deleteKeys?: readonly string[];
  /** A task result to store, as `putData(key, value, { isResult: true })` does. */
  result?: { readonly key: string; readonly value: Uint8Array };
  /**
   * Events to append to the event log in the same step, as `addEvents` does
   * (the outcome's event rides with the outcome: no extra round trip).
   */
  events?: EventsToAdd;
}

/** Events for {@linkcode Storage.addEvents} and {@linkcode FinishOptions.events}. */
export interface EventsToAdd {
  /**
   * The events, oldest first: each the JSON text of one event (see
   * `event.ts` for what it holds): no line break nor other raw control
   * character, so that a storage may keep the events of one call as one
   * record of lines. A pairs line (`storage/_event_lines.ts`, which a
   * consumer writes for tasks that ran and completed in one go) holds the
   * `executing` and `complete` events of runs: it counts as two events a
   * run, and `readEvents` gives back those events.
   */
  readonly items: readonly string[];
  /**
   * The most events the log keeps (a whole number > 0); the oldest beyond it
   * are dropped. Redis drops whole stream entries (the events of a call
   * each), SQLite whole rows each time a tenth of `maxLength` was added, the
   * file storage every tenth of `maxLength` (at most 100) events a client
   * writes: they may keep a little more, never fewer.
   */
  readonly maxLength: number;
}

/** One event of the log, as {@linkcode Storage.readEvents} gives it back. */
export interface StoredEvent {
  /**
   * Its place in the log, given by the storage when the event was added:
   * opaque, unique, and later events of the log read after earlier ones.
   * Pass it back as `after` to read what follows.
   */
  readonly seq: string;
  /** When the storage added it (epoch ms, the storage's clock where it has one). */
  readonly at: number;
  /** The event's text, as it was added. */
  readonly data: string;
}

/** Options of {@linkcode Storage.readEvents}. */
export interface ReadEventsOptions {
  /** Only events after this `seq` (exclusive). */
  after?: string;
  /** Only events added at or after this time (epoch ms); ignored when `after` is given. */
  since?: number;
  /** The most events returned (a whole number > 0). */
  limit: number;
}

/** A message that was moved aside because it could not be run. */
export interface DeadLetter {
  /** Names the dead letter, for `requeue` and `take`. */
  readonly id: string;
  /** Why it was moved aside, e.g. `unknown task "add"`. */
  readonly reason: string;
  /** The message as it was read from the queue. */
  readonly data: Uint8Array;
  /** When it was moved aside. */
  readonly at: Date;
}

/**
 * Where a Huey keeps its queue, schedule, results, key/value data and dead
 * letters. One instance serves one queue name; several names may share one
 * database, server or folder and stay separate.
 *
 * Contract, shared by every backend and checked by `tests/storage/_suite.ts`:
 * - the queue gives higher priorities first and is FIFO within a priority
 *   (`undefined` priority is 0; backends without priorities reject non-zero);
 * - a leased message is invisible to other `dequeue` calls until its lease
 *   expires or it is released, and is removed for good by `ack`; leased
 *   messages are not counted by `queueSize` nor listed by `enqueuedItems`;
 *   a message back from an expired lease keeps its priority;
 * - `readSchedule(now)` atomically removes and returns every item whose eta
 *   is `<= now`, in eta order; `moveDue` moves due items to the queue so that
 *   a crash at any point leaves each one either scheduled or queued, never
 *   neither nor both;
 * - `putIfEmpty`, `deleteIfEquals` and `enqueueOnce` are atomic across every
 *   client of the same storage;
 * - the markers of `enqueueOnce` are internal: no key/value method reads,
 *   counts or lists them;
 * - `limit` arguments return at most that many items, oldest first.
 */
export interface Storage {
  /** The queue name. */
  readonly name: string;
  /** `dequeue` waits for a message (for up to a read timeout) instead of returning `null` at once. */
  readonly blocking: boolean;
  /** The queue honours priorities. */
  readonly priority: boolean;
  /**
   * Where the data lives, for logs: an absolute file or folder path, or
   * `host:port`. Optional: the consumer logs it at start-up when present.
   */
  readonly location?: string;

  /** Adds a message to the queue. */
  enqueue(data: Uint8Array, priority?: number): Promise<void>;
  /** Adds several messages to the queue, in order, in as few round trips as the backend allows. */
  enqueueMany(items: ReadonlyArray<{ data: Uint8Array; priority?: number }>): Promise<void>;
  /** Takes the next message, or `null` when the queue is empty. */
  dequeue(options?: DequeueOptions): Promise<Delivery | null>;
  /** Removes a leased message for good (its outcome has been stored). Unknown receipts are ignored. */
  ack(receipt: string): Promise<void>;
  /**
   * Stores a task's outcome and acknowledges its message in one step: removes
   * `deleteKeys`, stores `result`, then acks `receipt` (`null`: nothing to
   * ack), in one round trip or one transaction. Optional: a Huey makes the
   * separate calls when a storage lacks it; every bundled backend has it.
   */
  finish?(receipt: string | null, options: FinishOptions): Promise<void>;
  /** Extends the leases of these messages to `lease` seconds from now. */
  renew(receipts: readonly string[], lease: number): Promise<void>;
  /** Puts a leased message back on the queue at once, ahead of any lease expiry. */
  release(receipt: string): Promise<void>;
  /** How many messages are waiting (leased ones excluded). */
  queueSize(): Promise<number>;
  /** The waiting messages, in the order they would be dequeued. */
  enqueuedItems(limit?: number): Promise<Uint8Array[]>;
  /** Empties the queue, leased messages included. */
  flushQueue(): Promise<void>;

  /**
   * Adds a message to the schedule, to be run at `eta` (epoch ms) and
   * enqueued by {@linkcode moveDue} with `priority` (0 when omitted).
   */
  addToSchedule(data: Uint8Array, eta: number, priority?: number): Promise<void>;
  /** Removes and returns every scheduled message with `eta <= now` (epoch ms), in eta order. */
  readSchedule(now: number): Promise<Uint8Array[]>;
  /**
   * Moves up to `limit` scheduled messages with `eta <= now` (epoch ms), in
   * eta order, into the queue with the priority they were scheduled with, in
   * one atomic step (one script, one transaction, or one rename per message):
   * a crash or a failed write at any point leaves each message either still
   * scheduled or queued. The consumer's scheduler calls it until fewer than
   * `limit` come back.
   *
   * @param now The time, in epoch ms.
   * @param limit The most messages to move (a whole number > 0).
   * @returns The messages moved, in eta order.
   */
  moveDue(now: number, limit: number): Promise<Uint8Array[]>;
  /** How many messages are scheduled. */
  scheduleSize(): Promise<number>;
  /** The scheduled messages, soonest first. */
  scheduledItems(limit?: number): Promise<Uint8Array[]>;
  /** Empties the schedule. */
  flushSchedule(): Promise<void>;

  /** Stores a value under a key, replacing any other. */
  putData(key: string, value: Uint8Array, options?: PutDataOptions): Promise<void>;
  /** Reads a value without removing it; `null` when there is none. */
  peekData(key: string): Promise<Uint8Array | null>;
  /**
   * Reads many values without removing them, one per key (`null` when there
   * is none), in one step (one round trip on Redis). Optional: callers fall
   * back to {@linkcode peekData} for each key.
   */
  peekMany?(keys: readonly string[]): Promise<(Uint8Array | null)[]>;
  /** Reads and removes a value; `null` when there is none. Expiring storages only read. */
  popData(key: string): Promise<Uint8Array | null>;
  /** Removes a value; `true` when there was one. */
  deleteData(key: string): Promise<boolean>;
  /** Whether a value is stored under the key. */
  hasDataForKey(key: string): Promise<boolean>;
  /** Stores the value only if the key is empty (atomically); `true` when it did. */
  putIfEmpty(key: string, value: Uint8Array, options?: PutIfEmptyOptions): Promise<boolean>;
  /**
   * Removes a key only while it holds exactly `value` (compare-and-delete,
   * atomic): the release of an owned lock. An expired key holds nothing.
   *
   * @returns `true` when it removed the key.
   */
  deleteIfEquals(key: string, value: Uint8Array): Promise<boolean>;
  /**
   * Enqueues `items` only if `marker` is not set, and sets it for `ttl`
   * seconds, in one atomic step: among every client of the storage, one call
   * per marker enqueues until the marker expires (the consumer's periodic
   * tasks of a minute). A call that rejects has enqueued nothing and set
   * nothing. Markers live apart from the key/value store.
   *
   * @param marker Names what is enqueued once, e.g. a minute.
   * @param items The messages, in order, each with its priority.
   * @param options `ttl`: seconds the marker is kept.
   * @returns `true` when it enqueued; `false` when the marker was set.
   */
  enqueueOnce(
    marker: string,
    items: readonly OnceItem[],
    options: EnqueueOnceOptions,
  ): Promise<boolean>;
  /**
   * Removes a marker of {@linkcode enqueueOnce} before it expires, so that
   * the next call with it enqueues (a unique task that has finished).
   *
   * @returns `true` when the marker was set.
   */
  deleteMarker(marker: string): Promise<boolean>;

  /**
   * Adds `by` to a counter and resolves to its new value, atomically among
   * every client of the storage (a missing or expired counter is 0). The
   * counter is created with `ttl` (a fixed window: rate limits). Counters
   * live apart from the key/value store: no key/value method reads, counts or
   * lists them.
   *
   * @param key The counter's name.
   * @param by What to add (a whole number; 1 when omitted).
   * @param options `ttl`: seconds the counter lives from its creation.
   */
  incr(key: string, by?: number, options?: TallyOptions): Promise<number>;
  /** Removes a counter; `true` when there was one. */
  deleteCounter(key: string): Promise<boolean>;
  /**
   * Adds a member to a set and resolves to the set's size after it,
   * atomically among every client of the storage: a member added twice
   * counts once (the members of a chord that have finished). Member sets
   * live apart from the key/value store, like counters.
   *
   * @param key The set's name.
   * @param member The member (a task id).
   * @param options `ttl`: seconds the set lives from its creation.
   */
  addMember(key: string, member: string, options?: TallyOptions): Promise<number>;
  /** Removes a member set; `true` when there was one. */
  deleteMembers(key: string): Promise<boolean>;
  /**
   * Resolves once a value is stored under `key` (`true`), or after
   * `timeout` ms (`Infinity`: no limit) (`false`), or when `signal` aborts
   * (`false`): a blocking `Result.get()` that is woken by the store instead
   * of polling (Redis with `notifyResult`); it reads the value itself
   * afterwards. Optional: without it, callers poll.
   */
  waitForData?(key: string, timeout: number, signal?: AbortSignal): Promise<boolean>;
  /** How many keys are stored. */
  resultStoreSize(): Promise<number>;
  /** Every stored key and its value. */
  resultItems(): Promise<Map<string, Uint8Array>>;
  /** Removes every key. */
  flushResults(): Promise<void>;

  /**
   * Moves a message aside with the reason; resolves to the dead letter's id.
   * With `receipt`, the leased message it came from is acknowledged in the
   * same step, atomically where the storage has transactions (memory, SQLite,
   * Redis): a crash leaves either the message leased (it comes back, and is
   * moved aside then) or the letter stored, never both. An unknown or
   * outdated receipt acknowledges nothing.
   */
  addDeadLetter(data: Uint8Array, reason: string, receipt?: string | null): Promise<string>;
  /** The dead letters, oldest first. */
  deadLetters(limit?: number): Promise<DeadLetter[]>;
  /** One dead letter, left in place, or `null` for an unknown id. */
  peekDeadLetter(id: string): Promise<DeadLetter | null>;
  /** Removes one dead letter and resolves to its message, or `null` for an unknown id. */
  takeDeadLetter(id: string): Promise<Uint8Array | null>;
  /** Removes every dead letter; resolves to how many there were. */
  flushDeadLetters(): Promise<number>;
  /** How many dead letters are kept (without reading them: `stats()` and the metrics ask often). */
  deadLetterCount(): Promise<number>;

  /**
   * Records a task that failed for good, under its task id, as the newest
   * record: an older record of the same id is replaced, then the oldest
   * records beyond `maxLength` are dropped, in one atomic step. Failure
   * records live apart from the key/value store (see `failures.ts` for what
   * a record holds).
   *
   * @param id The task's id.
   * @param record The record's bytes.
   * @param maxLength The most records kept (a whole number > 0).
   */
  addFailure(id: string, record: Uint8Array, maxLength: number): Promise<void>;
  /** The failure records, newest first, at most `limit` of them. */
  failures(limit?: number): Promise<Uint8Array[]>;
  /** Removes the failure record of a task id and resolves to it, or `null` when there is none. */
  takeFailure(id: string): Promise<Uint8Array | null>;
  /** Removes every failure record; resolves to how many there were. */
  purgeFailures(): Promise<number>;
  /** How many failure records are kept. */
  failureCount(): Promise<number>;

  /**
   * Appends events to the event log, in order, in one step, then drops the
   * oldest beyond `maxLength`. Events added by one client (one `Storage`
   * object) read back in the order of its calls to `addEvents` and `finish`,
   * whatever its connections. The log lives apart from the key/value store.
   */
  addEvents(events: EventsToAdd): Promise<void>;
  /** The events of the log, oldest first, after `after` or since `since` (all kept when neither). */
  readEvents(options: ReadEventsOptions): Promise<StoredEvent[]>;
  /** The `seq` of the newest event in the log, or `null` when it is empty. */
  lastEventSeq(): Promise<string | null>;
  /**
   * Resolves `true` once the log holds an event after `after` (`null`: any
   * event), or `false` after `timeout` ms or when `signal` aborts: a follower
   * woken by the store instead of polling (Redis: a blocking stream read;
   * PostgreSQL: LISTEN). Optional: without it, followers poll `readEvents`.
   */
  waitForEvents?(after: string | null, timeout: number, signal?: AbortSignal): Promise<boolean>;

  /**
   * Stores a consumer's heartbeat record under its id, replacing the older
   * one; it expires `ttl` seconds later unless put again (a consumer that
   * was killed disappears). Heartbeats live apart from the key/value store.
   */
  putHeartbeat(id: string, record: Uint8Array, ttl: number): Promise<void>;
  /** The heartbeat records that have not expired, in no particular order. */
  heartbeats(): Promise<Uint8Array[]>;
  /** Removes a heartbeat record (a consumer that stops); `true` when there was one. */
  deleteHeartbeat(id: string): Promise<boolean>;

  /**
   * Empties the queue, the schedule, the key/value store, the markers, the
   * counters, the member sets, the dead letters, the failure records, the
   * event log and the heartbeats.
   */
  flushAll(): Promise<void>;
  /** Releases connections and files. Further calls fail. */
  close(): Promise<void>;
}
