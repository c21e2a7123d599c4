/**
 * The benchmark: huey against BullMQ on the same throwaway Redis, huey's
 * PostgresHuey against pg-boss on the same throwaway PostgreSQL, huey's CLI
 * against Python huey's (`HUEY_SRC`), plus huey on SQLite and Redis Cluster.
 * Every workload runs in a fresh child process (`_bench_child.ts`), on each
 * runtime asked for; each is repeated (`--repeat`, 3 by default), huey and
 * its rival taking turns to go first; every figure is reported as its
 * median with its range, and ratios are taken between medians.
 *
 * It measures enqueue throughput (single calls, `map()`), end-to-end
 * processing in-process (greenlet and thread workers, enqueued either way,
 * quiet and at INFO), end-to-end through the CLI (thread and process
 * workers, start-up included, quiet and at INFO), enqueue -> start latency
 * and consumer memory; prints a table per runtime (and the runtimes side by
 * side) and writes every sample as JSON. docs/performance.md explains each figure.
 *
 * Usage: `npm run bench` (Node), `deno task bench`, or
 * `node scripts/bench.ts [--repeat 3] [--runtimes node,deno,bun] [--tasks 50000]
 *  [--cli-tasks 20000] [--rss-tasks 1000000] [--samples 1000] [--threads 2]
 *  [--storages redis,cluster,sqlite,postgres] [--only enqueue,e2e,cli,latency,memory]
 *  [--python-huey DIR] [--no-warm-up] [--json bench-results.json] [--quick]`
 *
 * @module
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { startRedis } from "../tests/_redis_server.ts";
import { startRedisCluster } from "../tests/_redis_cluster.ts";
import { postgresSkip, startPostgres } from "../tests/_postgres_server.ts";
import type { BenchJob, BenchSystem } from "./_bench_child.ts";
import { cliEndToEnd, type CliSetup } from "./_bench_cli.ts";
import type { BenchConfig, Measurement, WorkerSetup } from "./_bench_common.ts";
import { consumerMemory } from "./_bench_memory.ts";
import { freshPostgres } from "./_bench_postgres.ts";
import { pythonEndToEnd, type PythonHuey, pythonHuey } from "./_bench_python.ts";
import { buildRows, formatSideBySide, formatTable, report, type Sample } from "./_bench_report.ts";
import { type BenchRuntime, runtimeCommand, runtimeList, thisRuntime } from "./_bench_runtimes.ts";
import { runChild } from "./_bench_spawn.ts";

const USAGE = "Usage: bench.ts [--repeat N] [--runtimes node,deno,bun] [--tasks N] " +
  "[--cli-tasks N] [--rss-tasks N] [--samples N] [--threads N] " +
  "[--storages redis,cluster,sqlite,postgres] [--only enqueue,e2e,cli,latency,memory] " +
  "[--python-huey DIR] [--no-warm-up] [--json FILE] [--quick]";

/** A command line the bench cannot take: its message says why, then the usage. */
class UsageError extends RangeError {}

/** The storages the bench can measure. */
const STORAGES = ["redis", "cluster", "sqlite", "postgres"] as const;
type Storage = typeof STORAGES[number];

/** The workloads the bench can run. */
const WORKLOADS = ["enqueue", "e2e", "cli", "latency", "memory"] as const;
type Workload = typeof WORKLOADS[number];

/** The CLI's worker settings measured: `-w 4 -k thread` and `-w 2 -k process`. */
const CLI_SETUPS: CliSetup[] = [
  { workerType: "thread", workers: 4 },
  { workerType: "process", workers: 2 },
];

function listOption<T extends string>(option: string, text: string, allowed: readonly T[]): T[] {
  const names = text.split(",").map((name) => name.trim());
  const unknown = names.filter((name) => !(allowed as readonly string[]).includes(name));
  if (unknown.length > 0 || names.length === 0) {
    throw new UsageError(
      `Option '--${option}' takes a list of ${allowed.join(", ")}, got ${text}\n${USAGE}`,
    );
  }
  return names as T[];
}

function positiveInteger(option: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    throw new UsageError(`Option '--${option}' must be an integer >= 1, got ${text}\n${USAGE}`);
  }
  return value;
}

/** What `read` gives; its `RangeError` (a bad option value) becomes a {@linkcode UsageError}. */
function usageOf<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof RangeError) throw new UsageError(`${error.message}\n${USAGE}`);
    throw error;
  }
}

/** `parseArgs`, whose errors (an unknown option, a missing value) end with the usage. */
function parseOptions<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n${USAGE}`);
  }
}

/** The settings from the command line (without the servers' URLs and the folder, set at start). */
function settings(args: string[]) {
  const { values } = parseOptions({
    args,
    options: {
      repeat: { type: "string" },
      runtimes: { type: "string", default: thisRuntime },
      tasks: { type: "string" },
      "cli-tasks": { type: "string" },
      "rss-tasks": { type: "string" },
      samples: { type: "string" },
      threads: { type: "string" },
      json: { type: "string", default: "bench-results.json" },
      storages: { type: "string", default: STORAGES.join(",") },
      only: { type: "string", default: WORKLOADS.join(",") },
      "python-huey": { type: "string" },
      "no-warm-up": { type: "boolean", default: false },
      quick: { type: "boolean", default: false },
    },
    strict: true,
  });
  const quick = values.quick === true;
  const rssTasks = positiveInteger("rss-tasks", values["rss-tasks"], quick ? 50_000 : 1_000_000);
  const config: Omit<BenchConfig, "redisUrl" | "clusterNodes" | "postgresUrl" | "folder"> = {
    tasks: positiveInteger("tasks", values.tasks, quick ? 5_000 : 50_000),
    cliTasks: positiveInteger("cli-tasks", values["cli-tasks"], quick ? 5_000 : 20_000),
    inFlight: 1_000,
    bulk: 1_000,
    concurrencies: [1, 10, 50],
    threads: positiveInteger("threads", values.threads, 2),
    latencySamples: positiveInteger("samples", values.samples, quick ? 200 : 1_000),
    // Issue 16: the RSS after all the tasks against after a tenth of them (warmed up by then).
    rssCheckpoints: [Math.max(1, Math.round(rssTasks / 10)), rssTasks],
  };
  return {
    config,
    repeat: positiveInteger("repeat", values.repeat, 3),
    runtimes: usageOf(() => runtimeList(values.runtimes!)),
    storages: listOption("storages", values.storages!, STORAGES),
    workloads: listOption("only", values.only!, WORKLOADS),
    python: pythonHuey(values["python-huey"] ?? process.env.HUEY_SRC),
    warmUp: values["no-warm-up"] !== true,
    json: values.json!,
  };
}

/** One side of a comparison: a system and how to measure it once on a runtime. */
interface Contender {
  system: string;
  /** How the progress lines name it, when not by `system` alone. */
  label?: string;
  measure: (runtime: BenchRuntime) => Promise<Measurement[]>;
}

/** A workload: huey, and its rival when it has one; each repetition runs both. */
interface Comparison {
  name: string;
  contenders: Contender[];
}

/** The name the report gives each rival system. */
const SYSTEM_NAMES: Record<BenchSystem, string> = {
  huey: "huey",
  bullmq: "BullMQ",
  pgboss: "pg-boss",
};

/** Every comparison the settings ask for, in the order they run within a repetition. */
function comparisons(
  config: BenchConfig,
  options: ReturnType<typeof settings>,
  storages: Storage[],
  logFile: string,
): Comparison[] {
  const { workloads, warmUp, python } = options;
  const list: Comparison[] = [];
  /** What a comparison's jobs do not say: the system, the storage and the run settings. */
  type WorkloadOnly = "config" | "warmUp" | "system" | "storage";
  const child = (job: Omit<BenchJob, "config" | "warmUp">): Contender => ({
    system: SYSTEM_NAMES[job.system],
    measure: async (runtime) => {
      if (job.storage === "postgres") await freshPostgres(config.postgresUrl);
      return await runChild(runtime, { ...job, config, warmUp }, logFile);
    },
  });
  /** huey's rival on `storage` (BullMQ on Redis, pg-boss on PostgreSQL), when it has one. */
  const rivalOf = (storage: Storage, job: Omit<BenchJob, WorkloadOnly>): Contender[] => {
    if (storage === "redis") return [child({ ...job, system: "bullmq", storage })];
    if (storage === "postgres") return [child({ ...job, system: "pgboss", storage })];
    return [];
  };
  /** huey on `storage`, with its rival there. */
  const pair = (
    name: string,
    storage: Storage,
    job: Omit<BenchJob, WorkloadOnly>,
    rivalToo = true,
  ): Comparison => ({
    name: `${name}, ${storage}`,
    contenders: [
      child({ ...job, system: "huey", storage }),
      ...(rivalToo ? rivalOf(storage, job) : []),
    ],
  });
  const setups: WorkerSetup[] = [
    ...config.concurrencies.map((workers) => ({ workerType: "greenlet" as const, workers })),
    { workerType: "thread" as const, workers: config.threads },
  ];
  for (const storage of storages) {
    if (workloads.includes("enqueue")) {
      for (const mode of ["single", "map"] as const) {
        list.push(pair(`enqueue ${mode}`, storage, { workload: "enqueue", mode }));
      }
    }
    if (workloads.includes("e2e")) {
      for (const setup of setups) {
        const name = `end-to-end ${setup.workerType} x${setup.workers}`;
        const job = { workload: "e2e", setup, mode: "map" } as const;
        const huey = (variant: Pick<BenchJob, "logging" | "events">, label: string): Contender => ({
          ...child({ ...job, ...variant, system: "huey", storage }),
          label,
        });
        // pg-boss has no thread workers.
        const rivalToo = storage !== "postgres" || setup.workerType === "greenlet";
        // The variants that the cost rows compare run next to each other (in the reverse order
        // every other round): INFO and quiet, quiet and events off.
        list.push({
          name: `${name}, ${storage}`,
          contenders: [
            huey({ logging: "info" }, "huey (INFO)"),
            huey({}, "huey"),
            huey({ events: false }, "huey (events off)"),
            ...(rivalToo ? rivalOf(storage, job) : []),
          ],
        });
      }
      const widest = setups[config.concurrencies.length - 1];
      list.push(pair(`end-to-end greenlet x${widest.workers}, single calls`, storage, {
        workload: "e2e",
        setup: widest,
        mode: "single",
      }, storage !== "postgres"));
    }
    if (workloads.includes("latency")) list.push(pair("latency", storage, { workload: "latency" }));
  }
  if (storages.includes("redis") && workloads.includes("cli")) {
    for (const setup of CLI_SETUPS) {
      for (const logging of ["quiet", "info"] as const) {
        const contenders: Contender[] = [{
          system: "huey",
          measure: async (runtime) => [await cliEndToEnd(config, runtime, setup, logging, logFile)],
        }];
        if (python) {
          contenders.push({
            system: "Python huey",
            measure: async () => [await pythonEndToEnd(config, python, setup, logging, logFile)],
          });
        }
        const name = `CLI -w ${setup.workers} -k ${setup.workerType}${
          logging === "quiet" ? " -q" : ""
        }`;
        list.push({ name, contenders });
      }
    }
  }
  if (storages.includes("redis") && workloads.includes("memory")) {
    list.push({
      name: "consumer memory",
      contenders: [
        { system: "huey", measure: (runtime) => consumerMemory(config, "huey", runtime) },
        { system: "BullMQ", measure: (runtime) => consumerMemory(config, "bullmq", runtime) },
      ],
    });
  }
  return list;
}

/** The version each runtime reports, e.g. `{ "node": "v24.9.0" }`. */
function runtimeVersions(
  runtimes: BenchRuntime[],
  python: PythonHuey | null,
): Record<string, string> {
  const versions: Record<string, string> = {};
  for (const runtime of runtimes) {
    const [command] = runtimeCommand(runtime, "");
    try {
      versions[runtime] = execFileSync(command, ["--version"], { encoding: "utf8" }).split("\n")[0];
    } catch {
      versions[runtime] = "unknown";
    }
  }
  if (python) {
    versions.pythonHuey = python.version;
    versions.python = execFileSync(python.python, ["--version"], { encoding: "utf8" }).trim();
  }
  return versions;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes("--help") || args.includes("-h")) return void console.log(USAGE);
  const options = settings(args);
  const { repeat, runtimes, json, python } = options;
  const started = performance.now();
  if (options.storages.includes("postgres") && postgresSkip) {
    console.warn(`Not measured: ${postgresSkip}`);
  }
  const storages = options.storages.filter((storage) => storage !== "postgres" || !postgresSkip);
  const redis = storages.includes("redis") ? await startRedis() : null;
  const postgres = storages.includes("postgres") ? await startPostgres() : null;
  const cluster = storages.includes("cluster") ? await startRedisCluster() : null;
  const folder = mkdtempSync(join(tmpdir(), "huey-bench-"));
  const logFile = join(folder, "consumers.log");
  const config: BenchConfig = {
    ...options.config,
    redisUrl: redis?.url ?? "",
    clusterNodes: cluster?.rootNodes.map(({ url }) => url).join(",") ?? "",
    postgresUrl: postgres?.url ?? "",
    folder,
  };
  const samples: Sample[] = [];
  const failures: string[] = [];
  const list = comparisons(config, options, storages, logFile);
  try {
    for (let round = 0; round < repeat; round++) {
      for (const runtime of runtimes) {
        for (const { name, contenders } of list) {
          // huey goes first in even rounds, its rival in odd ones.
          const order = round % 2 === 0 ? contenders : [...contenders].reverse();
          for (const { system, label = system, measure } of order) {
            const what = `[${round + 1}/${repeat} ${runtime}] ${name}: ${label}`;
            const begun = performance.now();
            process.stderr.write(`${what} ... `);
            try {
              const measured = await measure(runtime);
              samples.push(...measured.map((each) => ({ ...each, runtime, system })));
              process.stderr.write(`${((performance.now() - begun) / 1000).toFixed(1)}s\n`);
            } catch (error) {
              process.stderr.write("FAILED\n");
              failures.push(`${what}: ${(error as Error).message}`);
            }
          }
        }
      }
    }
  } finally {
    await redis?.stop();
    await postgres?.remove();
    await cluster?.stop();
    rmSync(folder, { recursive: true, force: true });
  }
  const rows = buildRows(samples);
  for (const runtime of runtimes) {
    const mine = rows.filter((row) => row.runtime === runtime);
    if (mine.length > 0) console.log(`\n${runtime}:\n${formatTable(mine)}`);
  }
  if (runtimes.length > 1) console.log(`\nSide by side:\n${formatSideBySide(rows, runtimes)}`);
  const seconds = (performance.now() - started) / 1000;
  const versions = runtimeVersions(runtimes, python);
  const settingsUsed = { ...config, repeat, runtimes, warmUp: options.warmUp };
  const document = { ...report(settingsUsed, rows, seconds, versions) as object, samples };
  writeFileSync(json, JSON.stringify(document, null, 2) + "\n");
  console.log(`\nFigures written to ${json} (${Math.round(seconds)}s in all).`);
  if (failures.length > 0) {
    console.error(`\n${failures.length} workload(s) failed:\n${failures.join("\n\n")}`);
    process.exitCode = 1;
  }
}

try {
  await main();
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  console.error(error.message);
  process.exitCode = 2;
}
// BullMQ, node-redis and pg-boss may leave sockets behind for a moment: do not wait for them.
process.exit(process.exitCode ?? 0);
