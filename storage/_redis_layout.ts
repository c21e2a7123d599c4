/**
 * How a Redis storage lays out one queue's data: the key names and the
 * models a storage kind is made of — a queue model
 * (a LIST, or a ZSET for priorities) and a result model (a HASH, or string
 * keys that expire). The models themselves are in `_redis_models.ts`, the
 * Lua scripts in `_redis_scripts.ts` and `_redis_queue_scripts.ts`.
 *
 * @module
 * @internal
 */
import type { EventsToAdd } from "./base.ts";
import type { Completion } from "./_completion.ts";
import { holdsNoEvent, mergeEvents } from "./_event_check.ts";
import type { RedisArgument, RedisConnection } from "./_redis_client.ts";
import type { QueueScripts } from "./_redis_queue_scripts.ts";
import { packFields } from "./_redis_scripts.ts";

/** The key names of one queue, all with the hash tag `{name}` (one Redis Cluster slot). */
export interface RedisKeys {
  /** The waiting messages: a LIST, or a ZSET for priorities. */
  readonly queue: string;
  /** ZSET receipt -> lease deadline (ms, Redis clock). */
  readonly leases: string;
  /** HASH receipt -> leased message. */
  readonly leased: string;
  /** LIST with one element while a priority queue has messages: blocking waits watch it. */
  readonly notify: string;
  /** ZSET of scheduled messages, score eta (ms). */
  readonly schedule: string;
  /** HASH scheduled member -> queue score (-priority), for the members with a priority only. */
  readonly schedulePriorities: string;
  /** ZSET of the markers of `enqueueOnce`, score expiry (ms). */
  readonly markers: string;
  /** Counter that orders messages and numbers dead letters. */
  readonly sequence: string;
  /** HASH key -> value. */
  readonly values: string;
  /** ZSET key -> expiry (ms) of keys put with a ttl. */
  readonly expiries: string;
  /** ZSET of dead letters, score = id. */
  readonly dead: string;
  /** ZSET of the task ids of the failure records, score = sequence (newest highest). */
  readonly failures: string;
  /** HASH task id -> failure record. */
  readonly failureRecords: string;
  /**
   * STREAM of the event log: one entry per call that adds events, with
   * two fields: `n`, how many events it holds, and `d`, their texts, one
   * per line.
   */
  readonly events: string;
  /** How many events the log holds, for its cap (`flushAll` deletes it with the events). */
  readonly eventsCount: string;
  /** LIST of how many events each entry of the log holds, oldest first (`flushAll` deletes it too). */
  readonly eventSizes: string;
  /** HASH consumer id -> heartbeat record. */
  readonly heartbeats: string;
  /** ZSET consumer id -> expiry (ms, Redis clock) of its heartbeat. */
  readonly heartbeatExpiries: string;
  /** Prefix of the result keys of the expire kinds. */
  readonly results: string;
  /** Prefix of the counters (`incr`): one string key each. */
  readonly counters: string;
  /** Prefix of the member sets (`addMember`): one SET each. */
  readonly memberSets: string;
  /**
   * Prefix of the result notifications (`notifyResult`): a LIST per result
   * key, with one element once the result is stored.
   */
  readonly resultNotify: string;
}

/** The key names of queue `name`. */
export function redisKeys(name: string): RedisKeys {
  const prefix = `huey:{${name}}:`;
  const key = (suffix: string): string => prefix + suffix;
  return {
    queue: key("queue"),
    leases: key("leases"),
    leased: key("leased"),
    notify: key("notify"),
    schedule: key("schedule"),
    schedulePriorities: key("schedule-priorities"),
    markers: key("markers"),
    sequence: key("sequence"),
    values: key("kv"),
    expiries: key("kv-expiries"),
    dead: key("dead"),
    failures: key("failures"),
    failureRecords: key("failure-records"),
    events: key("events"),
    eventsCount: key("events-count"),
    eventSizes: key("event-sizes"),
    heartbeats: key("heartbeats"),
    heartbeatExpiries: key("heartbeat-expiries"),
    results: key("r:"),
    counters: key("counter:"),
    memberSets: key("members:"),
    resultNotify: key("result-notify:"),
  };
}

/**
 * The keys of a queue that `flushAll` deletes whole (the prefixed ones are
 * scanned). The sequence stays, on purpose: receipts stay unique; so does
 * the event log, emptied instead: its ids stay unique.
 */
export function flushedKeys(keys: RedisKeys): string[] {
  const { queue, leases, leased, notify, schedule, schedulePriorities, markers } = keys;
  const { values, expiries, dead, failures, failureRecords, heartbeats } = keys;
  const names = [queue, leases, leased, notify, schedule, schedulePriorities, markers];
  names.push(values, expiries, dead, failures, failureRecords);
  return [...names, heartbeats, keys.heartbeatExpiries];
}

/** What the queue and result models work with. */
export interface RedisContext {
  /** The storage's connection. */
  readonly connection: RedisConnection;
  /** The queue's key names. */
  readonly keys: RedisKeys;
  /** Seconds results are kept (expire kinds). */
  readonly expireTime: number;
  /** Storing a result also notifies its waiters (`notifyResult`). */
  readonly notifyResult: boolean;
}

/** How a Redis storage keeps its queue: a LIST, or a ZSET for priorities. */
export interface QueueModel {
  /** Whether priorities are honoured. */
  readonly priority: boolean;
  /** Lease, release and view scripts of this layout. */
  readonly scripts: QueueScripts;
  /** The list a blocking `dequeue` waits on (BLMOVE to itself: it never takes data). */
  waitKey(keys: RedisKeys): string;
  /** Appends checked messages, in order. */
  enqueue(context: RedisContext, items: { data: Uint8Array; priority: number }[]): Promise<void>;
  /** The message in a stored queue element. */
  decode(element: Uint8Array): Uint8Array;
}

/** How a Redis storage keeps keys and values: a HASH, or string keys with a TTL (the expire kinds). */
export interface ResultModel {
  /** Results expire and `pop` only reads (the expire kinds). */
  readonly expiring: boolean;
  /** Stores a value, without expiry unless `isResult` on an expiring model. */
  put(context: RedisContext, key: string, value: Uint8Array, isResult: boolean): Promise<void>;
  /** Reads values, in one round trip; `null` for a missing key. */
  peekMany(context: RedisContext, keys: string[]): Promise<(Uint8Array | null)[]>;
  /** Deletes, stores and acknowledges for several deliveries (`finish`, `ack`), in one round trip. */
  completeMany(context: RedisContext, items: Completion[]): Promise<void>;
  /** Reads (and, unless expiring, removes) a value. */
  pop(context: RedisContext, key: string): Promise<Uint8Array | null>;
  /** Removes a value; `true` when there was one. */
  delete(context: RedisContext, key: string): Promise<boolean>;
  /** Removes a value only while it is exactly `value`, atomically; `true` when it did. */
  deleteIfEquals(context: RedisContext, key: string, value: Uint8Array): Promise<boolean>;
  /** Whether a value is stored. */
  has(context: RedisContext, key: string): Promise<boolean>;
  /** Stores the value if the key is empty, atomically, expiring after `ttl` ms if given. */
  putIfEmpty(context: RedisContext, key: string, value: Uint8Array, ttl?: number): Promise<boolean>;
  /** How many keys are stored. */
  size(context: RedisContext): Promise<number>;
  /** Every key and value. */
  items(context: RedisContext): Promise<Map<string, Uint8Array>>;
  /** Removes every key. */
  flush(context: RedisContext): Promise<void>;
  /**
   * Whether a value is stored, atomically with the removal of the key's
   * notification when there is none (it announced a value since taken).
   */
  ready(context: RedisContext, key: string): Promise<boolean>;
}

/** Seconds a result's notification lives (huey's `notify_result_ttl`). */
export const NOTIFY_TTL = 86400;

/** The notification key of each result the completions store, when `notifyResult` is on. */
export function notifyKeys(context: RedisContext, items: readonly Completion[]): string[] {
  if (!context.notifyResult) return [];
  return items.flatMap(({ result }) => result ? [context.keys.resultNotify + result.key] : []);
}

/**
 * The ARGV of a completion script (see `_redis_scripts.ts`): the result ttl,
 * then one record per task (or per `addEvents` call), packed in one
 * argument, with each key written as `name(key)`, then the notification
 * ttl, then the events of every record as one argument of lines (only those
 * the cap keeps, see `mergeEvents`), how many, and how many the log keeps:
 * the script copies the lines into the log whole.
 */
export function completionArguments(
  context: RedisContext,
  items: Completion[],
  ttl: string,
  name: (key: string) => string,
): RedisArgument[] {
  const { notifyResult, keys } = context;
  const fields: RedisArgument[] = [];
  const calls: EventsToAdd[] = [];
  for (const { receipt, deleteKeys = [], result, events } of items) {
    fields.push(receipt ?? "", String(deleteKeys.length));
    for (const key of deleteKeys) fields.push(name(key));
    if (result) {
      const notify = notifyResult ? keys.resultNotify + result.key : "";
      fields.push("1", name(result.key), result.value, notify);
    } else fields.push("0");
    if (!holdsNoEvent(events)) calls.push(events!);
  }
  const { items: lines, count, keep } = mergeEvents(calls);
  return [
    ttl,
    packFields(fields),
    String(milliseconds(NOTIFY_TTL)),
    lines.join("\n"),
    String(count),
    String(keep === Infinity ? 0 : keep),
  ];
}

/** Seconds to whole milliseconds (at least 1), as Redis takes a ttl. */
export function milliseconds(seconds: number): number {
  return Math.max(1, Math.round(seconds * 1000));
}
