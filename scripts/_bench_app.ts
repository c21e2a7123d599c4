/**
 * The benchmark's task module: a Huey on Redis, Redis Cluster, SQLite or PostgreSQL with the
 * trivial tasks the benchmark runs. Thread workers import it themselves, and find
 * the queue to serve in `BENCH_*` environment variables set by the bench
 * before it starts them; the bench builds its own Hueys with
 * {@linkcode createBenchHuey}.
 *
 * @module
 */
import process from "node:process";
import type { Huey } from "../huey.ts";
import { PostgresHuey, RedisHuey, SqliteHuey } from "../huey_kinds.ts";
import type { TaskWrapper } from "../wrapper.ts";

/** Where a bench Huey keeps its queue. */
export interface BenchTarget {
  /** `redis`, `cluster` (Redis Cluster), `sqlite` or `postgres`. */
  storage: "redis" | "cluster" | "sqlite" | "postgres";
  /** The queue name. */
  queue: string;
  /** The Redis or PostgreSQL URL (`redis`, `postgres`), or the node URLs, comma-separated (`cluster`). */
  url?: string;
  /** The SQLite file (`sqlite`). */
  filename?: string;
  /** The Huey publishes its consumers' events (the Huey option `events`). @default true */
  events?: boolean;
}

/** A bench Huey and its tasks. */
export interface BenchApp {
  /** The Huey. */
  huey: Huey;
  /** Returns its argument: a trivial task whose result is stored. */
  echo: TaskWrapper<[number], number>;
  /** Tells `onPing` the `performance.now()` its enqueue began at (the clock of this process). */
  ping: TaskWrapper<[number], null>;
}

/** Options of {@linkcode createBenchHuey}. */
export interface BenchAppOptions {
  /** Called by `ping` with its argument. */
  onPing?: (sentAt: number) => void;
  /** Called by every `echo`. */
  onEcho?: () => void;
}

/**
 * Builds a Huey on the target with the bench's tasks registered.
 *
 * @param target Where the queue lives.
 * @param options What the tasks report to.
 * @returns The Huey and its tasks.
 * @throws {RangeError} The target lacks its `url` or `filename`.
 */
export function createBenchHuey(target: BenchTarget, options: BenchAppOptions = {}): BenchApp {
  const { onPing, onEcho } = options;
  const events = target.events !== false;
  let huey: Huey;
  if (target.storage === "redis") {
    if (!target.url) throw new RangeError("A Redis bench target needs a url, got none");
    huey = new RedisHuey(target.queue, { url: target.url, events });
  } else if (target.storage === "cluster") {
    if (!target.url) throw new RangeError("A Redis Cluster bench target needs node urls, got none");
    const rootNodes = target.url.split(",").map((url) => ({ url }));
    huey = new RedisHuey(target.queue, { cluster: { rootNodes }, events });
  } else if (target.storage === "postgres") {
    if (!target.url) throw new RangeError("A Postgres bench target needs a url, got none");
    huey = new PostgresHuey(target.queue, { url: target.url, events });
  } else {
    if (!target.filename) throw new RangeError("A SQLite bench target needs a filename, got none");
    huey = new SqliteHuey(target.queue, { filename: target.filename, blocking: true, events });
  }
  const echo = huey.task(function echo(value: number): number {
    onEcho?.();
    return value;
  });
  const ping = huey.task(function ping(sentAt: number): null {
    onPing?.(sentAt);
    return null;
  });
  return { huey, echo, ping };
}

/** The environment variable that carries a bench target to thread workers (JSON). */
export const BENCH_TARGET_ENV = "HUEY_BENCH_TARGET";

function targetFromEnvironment(): BenchTarget | null {
  const json = process.env[BENCH_TARGET_ENV];
  return json ? JSON.parse(json) as BenchTarget : null;
}

const target = targetFromEnvironment();

/**
 * The Huey thread workers serve (the target in {@linkcode BENCH_TARGET_ENV});
 * `null` in a process that did not set one.
 */
export const huey: Huey | null = target ? createBenchHuey(target).huey : null;
