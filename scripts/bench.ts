/**
 * The benchmark: huey against BullMQ on the same throwaway Redis, huey's
 * PostgresHuey against pg-boss on the same throwaway PostgreSQL, plus huey on
 * a temporary SQLite file. It measures enqueue throughput, end-to-end
 * processing (results stored, acks on) with greenlet and thread workers,
 * enqueue -> start latency with an idle consumer, and consumer memory over
 * many tasks; prints a table (huey, BullMQ, ratio, target) and writes the
 * figures as JSON. docs/performance.md explains each figure.
 *
 * Usage: `npm run bench` (Node), `deno task bench`, or
 * `node scripts/bench.ts [--tasks 50000] [--rss-tasks 1000000] [--samples 1000]
 *  [--threads 2] [--json bench-results.json] [--storages redis,cluster,sqlite,postgres] [--quick]`
 * (`--storages` picks the storages measured; `cluster` is huey on a three-master Redis Cluster
 * the bench starts, beside single-node Redis; BullMQ and the memory figures come with Redis,
 * pg-boss with PostgreSQL, which is skipped with a warning when it is not installed).
 *
 * @module
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";
import { configureLogging } from "../logger.ts";
import { startRedis } from "../tests/_redis_server.ts";
import { startRedisCluster } from "../tests/_redis_cluster.ts";
import { postgresSkip, startPostgres } from "../tests/_postgres_server.ts";
import { bullEndToEnd, bullEnqueueThroughput, bullLatency } from "./_bench_bullmq.ts";
import type { BenchConfig, Measurement } from "./_bench_common.ts";
import { endToEnd, enqueueThroughput, latency } from "./_bench_huey.ts";
import { bossEndToEnd, bossEnqueueThroughput, bossLatency } from "./_bench_pgboss.ts";
import { consumerMemory } from "./_bench_memory.ts";
import { buildRows, formatTable, report } from "./_bench_report.ts";

const USAGE = "Usage: bench.ts [--tasks N] [--rss-tasks N] [--samples N] [--threads N] " +
  "[--json FILE] [--storages redis,cluster,sqlite,postgres] [--quick]";

/** The storages the bench can measure. */
const STORAGES = ["redis", "cluster", "sqlite", "postgres"] as const;
type Storage = typeof STORAGES[number];

function storageList(text: string): Storage[] {
  const names = text.split(",").map((name) => name.trim());
  const unknown = names.filter((name) => !(STORAGES as readonly string[]).includes(name));
  if (unknown.length > 0 || names.length === 0) {
    throw new RangeError(
      `Option '--storages' takes a list of ${STORAGES.join(", ")}, got ${text}\n${USAGE}`,
    );
  }
  return names as Storage[];
}

function positiveInteger(option: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`Option '--${option}' must be an integer >= 1, got ${text}\n${USAGE}`);
  }
  return value;
}

/** The settings from the command line (without the Redis URL and folder, set at start). */
function settings(
  args: string[],
): Omit<BenchConfig, "redisUrl" | "clusterNodes" | "postgresUrl" | "folder"> & {
  json: string;
  storages: Storage[];
} {
  const { values } = parseArgs({
    args,
    options: {
      tasks: { type: "string" },
      "rss-tasks": { type: "string" },
      samples: { type: "string" },
      threads: { type: "string" },
      json: { type: "string", default: "bench-results.json" },
      storages: { type: "string", default: STORAGES.join(",") },
      quick: { type: "boolean", default: false },
    },
    strict: true,
  });
  const quick = values.quick === true;
  const tasks = positiveInteger("tasks", values.tasks, quick ? 5_000 : 50_000);
  const rssTasks = positiveInteger("rss-tasks", values["rss-tasks"], quick ? 50_000 : 1_000_000);
  return {
    tasks,
    inFlight: 1_000,
    bulk: 1_000,
    concurrencies: [1, 10, 50],
    threads: positiveInteger("threads", values.threads, 2),
    latencySamples: positiveInteger("samples", values.samples, quick ? 200 : 1_000),
    rssCheckpoints: [Math.min(10_000, rssTasks), rssTasks],
    json: values.json!,
    storages: storageList(values.storages!),
  };
}

/**
 * Runs the in-process workloads once on a few tasks, for both systems, and
 * forgets the figures: both are then measured with their code compiled.
 */
async function warmUp(config: BenchConfig, storages: Storage[]): Promise<void> {
  const small = { ...config, tasks: Math.min(config.tasks, 5_000) };
  const setup = { workerType: "greenlet" as const, workers: 10 };
  for (const storage of storages) {
    await enqueueThroughput(small, storage);
    await endToEnd(small, storage, setup);
  }
  if (storages.includes("redis")) {
    await bullEnqueueThroughput(small);
    await bullEndToEnd(small, setup);
  }
  if (storages.includes("postgres")) {
    await bossEnqueueThroughput(small);
    await bossEndToEnd(small, setup);
  }
}

/** Runs one workload, logging its name and time on standard error. */
async function step<T>(name: string, run: () => Promise<T>): Promise<T> {
  const started = performance.now();
  process.stderr.write(`${name} ... `);
  const value = await run();
  process.stderr.write(`${((performance.now() - started) / 1000).toFixed(1)}s\n`);
  return value;
}

async function main(): Promise<void> {
  const { json, storages: wanted, ...options } = settings(process.argv.slice(2));
  configureLogging({ level: "WARNING" });
  const started = performance.now();
  if (wanted.includes("postgres") && postgresSkip) console.warn(`Not measured: ${postgresSkip}`);
  const storages = wanted.filter((storage) => storage !== "postgres" || !postgresSkip);
  const redis = storages.includes("redis") ? await startRedis() : null;
  const postgres = storages.includes("postgres") ? await startPostgres() : null;
  const cluster = storages.includes("cluster") ? await startRedisCluster() : null;
  const folder = mkdtempSync(join(tmpdir(), "huey-bench-"));
  const config: BenchConfig = {
    ...options,
    redisUrl: redis?.url ?? "",
    clusterNodes: cluster?.rootNodes.map(({ url }) => url).join(",") ?? "",
    postgresUrl: postgres?.url ?? "",
    folder,
  };
  const huey: Measurement[] = [];
  const rivals: Measurement[] = [];
  const withRedis = storages.includes("redis");
  const withPostgres = storages.includes("postgres");
  try {
    await step("warm-up, every system", () => warmUp(config, storages));
    for (const storage of storages) {
      huey.push(
        ...await step(`huey enqueue, ${storage}`, () => enqueueThroughput(config, storage)),
      );
    }
    if (withRedis) {
      rivals.push(...await step("BullMQ enqueue", () => bullEnqueueThroughput(config)));
    }
    if (withPostgres) {
      rivals.push(...await step("pg-boss enqueue", () => bossEnqueueThroughput(config)));
    }
    const setups = [
      ...config.concurrencies.map((workers) => ({ workerType: "greenlet" as const, workers })),
      { workerType: "thread" as const, workers: config.threads },
    ];
    for (const setup of setups) {
      const name = `${setup.workerType} x${setup.workers}`;
      for (const storage of storages) {
        huey.push(
          await step(`huey end-to-end ${name}, ${storage}`, () => endToEnd(config, storage, setup)),
        );
      }
      if (withRedis) {
        rivals.push(await step(`BullMQ end-to-end ${name}`, () => bullEndToEnd(config, setup)));
      }
      if (withPostgres && setup.workerType === "greenlet") {
        rivals.push(await step(`pg-boss end-to-end ${name}`, () => bossEndToEnd(config, setup)));
      }
    }
    for (const storage of storages) {
      huey.push(...await step(`huey latency, ${storage}`, () => latency(config, storage)));
    }
    if (withRedis) rivals.push(...await step("BullMQ latency", () => bullLatency(config)));
    if (withPostgres) rivals.push(...await step("pg-boss latency", () => bossLatency(config)));
    if (withRedis) {
      huey.push(...await step("huey consumer memory", () => consumerMemory(config, "huey")));
      rivals.push(
        ...await step("BullMQ consumer memory", () => consumerMemory(config, "bullmq")),
      );
    }
  } finally {
    await redis?.stop();
    await postgres?.remove();
    await cluster?.stop();
    rmSync(folder, { recursive: true, force: true });
  }
  const rows = buildRows(huey, rivals);
  console.log(`\n${formatTable(rows)}\n`);
  const seconds = (performance.now() - started) / 1000;
  writeFileSync(json, JSON.stringify(report(config, rows, seconds), null, 2) + "\n");
  console.log(`Figures written to ${json} (${Math.round(seconds)}s in all).`);
}

await main();
// BullMQ, node-redis and pg-boss may leave sockets behind for a moment: do not wait for them.
process.exit(0);
