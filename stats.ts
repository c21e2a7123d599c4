/**
 * `huey.stats()`: what a running system looks like, read from its storage
 * (SPEC §10): the counts of the queue, the schedule, the results, the dead
 * letters and the failures; the consumers that put a heartbeat and the
 * tasks they run; and, per task name, what the kept events say happened,
 * since the oldest kept event and over the last five minutes.
 *
 * What an event counts as (see {@linkcode outcomesOf}): `complete` is
 * completed; `error`, `timeout` and `locked` are retried when the task had
 * retries left (a `retrying` event follows) and failed when it had none
 * (nothing follows: it failed for good, as `huey.failures()` records it);
 * `revoked`, `expired` and `rate-limited` count as such, and a rate-limited
 * task with no retry left also counts as failed. Counting from the
 * failure's own event rather than pairing it with the `retrying` that
 * follows keeps every count final as soon as the event is read (the
 * metrics' counters rely on it).
 *
 * @module
 */
import { type ConsumerInfo, decodeHeartbeat } from "./heartbeat.ts";
import { decodeEvent, type HueyEvent } from "./event.ts";
import type { Storage } from "./storage/base.ts";

/** Seconds a task's run took: the median, the 95th percentile and the longest; `null` without runs. */
export interface DurationStats {
  /** The median (nearest rank). */
  readonly p50: number | null;
  /** The 95th percentile (nearest rank). */
  readonly p95: number | null;
  /** The longest. */
  readonly max: number | null;
}

/** What happened to the tasks of one name (see the module's doc for what counts as what). */
export interface TaskStats {
  /** Runs that completed. */
  readonly completed: number;
  /** Runs that failed for good (no retry left). */
  readonly failed: number;
  /** Runs that failed and were retried. */
  readonly retried: number;
  /** Tasks that were revoked and did not run. */
  readonly revoked: number;
  /** Tasks past their expiry that did not run. */
  readonly expired: number;
  /** Runs stopped by the task's rate limit. */
  readonly rateLimited: number;
  /** How long runs took (completed and failed ones), in seconds. */
  readonly duration: DurationStats;
}

/** The outcomes a {@linkcode TaskStats} counts. */
export type Outcome = "completed" | "failed" | "retried" | "revoked" | "expired" | "rateLimited";

/** The counts of a storage and its consumers: what `stats()` and the metrics' gauges share. */
export interface StorageCounts {
  /** Tasks waiting in the queue. */
  readonly pending: number;
  /** Tasks in the schedule. */
  readonly scheduled: number;
  /** Tasks the consumers' workers run (the sum of their `running`). */
  readonly running: number;
  /** Stored keys (results, revocations, locks, your own). */
  readonly results: number;
  /** Dead letters. */
  readonly deadLetters: number;
  /** Failure records (`huey.failures()`). */
  readonly failures: number;
  /** The consumers whose heartbeat has not expired, by id. */
  readonly consumers: readonly ConsumerInfo[];
}

/** What `huey.stats()` resolves to. */
export interface Stats extends StorageCounts {
  /** When the oldest kept event happened; `null` when the log is empty. */
  readonly oldestEvent: Date | null;
  /** Per task name, since the oldest kept event. */
  readonly tasks: Readonly<Record<string, TaskStats>>;
  /** Per task name, over the last five minutes (`since` is when that window starts). */
  readonly recent: { readonly since: Date; readonly tasks: Readonly<Record<string, TaskStats>> };
}

/** Options of {@linkcode readStats}. */
export interface StatsOptions {
  /** The time the recent window ends at. @default new Date() */
  now?: Date;
}

/** The recent window, in ms. */
const RECENT_MS = 5 * 60 * 1000;
/** Events read per page. */
const PAGE = 1000;

/**
 * The outcomes an event counts as (none for most types: executing,
 * enqueued, lifecycle events, ...).
 */
export function outcomesOf(event: Pick<HueyEvent, "type" | "retries">): Outcome[] {
  switch (event.type) {
    case "complete":
      return ["completed"];
    case "error":
    case "timeout":
    case "locked":
      return [event.retries > 0 ? "retried" : "failed"];
    case "rate-limited":
      return event.retries > 0 ? ["rateLimited"] : ["rateLimited", "failed"];
    case "revoked":
      return ["revoked"];
    case "expired":
      return ["expired"];
    default:
      return [];
  }
}

/**
 * Reads the kept events, oldest first, a page at a time, and gives each to
 * `visit`; events whose bytes cannot be decoded are skipped.
 *
 * @param storage Where the events are.
 * @param after Only events after this `seq` (all kept events when `null`).
 * @returns The `seq` of the last event read (`after` when there was none).
 */
export async function readEventPages(
  storage: Storage,
  after: string | null,
  visit: (event: HueyEvent) => void,
): Promise<string | null> {
  let last = after;
  while (true) {
    const page = await storage.readEvents({ after: last ?? undefined, limit: PAGE });
    for (const stored of page) {
      last = stored.seq;
      let event: HueyEvent;
      try {
        event = decodeEvent(stored.seq, stored.data);
      } catch {
        continue;
      }
      visit(event);
    }
    if (page.length < PAGE) return last;
  }
}

/** The counts of a storage and the consumers' heartbeats, read at once. */
export async function readCounts(storage: Storage): Promise<StorageCounts> {
  const [pending, scheduled, results, deadLetters, failures, heartbeats] = await Promise.all([
    storage.queueSize(),
    storage.scheduleSize(),
    storage.resultStoreSize(),
    storage.deadLetterCount(),
    storage.failureCount(),
    storage.heartbeats(),
  ]);
  const consumers: ConsumerInfo[] = [];
  for (const data of heartbeats) {
    try {
      consumers.push(decodeHeartbeat(data));
    } catch {
      // Not a record of ours: another tool's bytes are not a consumer.
    }
  }
  consumers.sort((a, b) => a.id.localeCompare(b.id));
  const running = consumers.reduce((sum, consumer) => sum + consumer.running.length, 0);
  return { pending, scheduled, running, results, deadLetters, failures, consumers };
}

/** A count of every outcome, all zero. */
export function zeroOutcomes(): Record<Outcome, number> {
  return { completed: 0, failed: 0, retried: 0, revoked: 0, expired: 0, rateLimited: 0 };
}

/** Counts the outcomes and durations of one task name's events. */
class TaskTally {
  counts: Record<Outcome, number> = zeroOutcomes();
  durations: number[] = [];

  add(event: HueyEvent): void {
    for (const outcome of outcomesOf(event)) this.counts[outcome]++;
    if (typeof event.duration === "number") this.durations.push(event.duration);
  }

  stats(): TaskStats {
    const sorted = this.durations.sort((a, b) => a - b);
    const rank = (p: number): number | null =>
      sorted.length === 0 ? null : sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)];
    return {
      ...this.counts,
      duration: { p50: rank(0.5), p95: rank(0.95), max: rank(1) },
    };
  }
}

/** Tallies per task name. */
class Tallies {
  #byName = new Map<string, TaskTally>();

  add(event: HueyEvent): void {
    if (event.name === "") return;
    let tally = this.#byName.get(event.name);
    if (tally === undefined) this.#byName.set(event.name, tally = new TaskTally());
    tally.add(event);
  }

  stats(): Record<string, TaskStats> {
    const names = [...this.#byName.keys()].sort();
    return Object.fromEntries(names.map((name) => [name, this.#byName.get(name)!.stats()]));
  }
}

/**
 * Reads a storage's stats (what `huey.stats()` resolves to).
 *
 * @param storage The storage to read.
 * @param options See {@linkcode StatsOptions}.
 */
export async function readStats(storage: Storage, options: StatsOptions = {}): Promise<Stats> {
  const { now = new Date() } = options;
  const since = new Date(now.getTime() - RECENT_MS);
  const all = new Tallies();
  const recent = new Tallies();
  let oldestEvent: Date | null = null;
  const [counts] = await Promise.all([
    readCounts(storage),
    readEventPages(storage, null, (event) => {
      oldestEvent ??= event.at;
      all.add(event);
      if (event.at.getTime() >= since.getTime()) recent.add(event);
    }),
  ]);
  return {
    ...counts,
    oldestEvent,
    tasks: all.stats(),
    recent: { since, tasks: recent.stats() },
  };
}
