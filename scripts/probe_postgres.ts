/**
 * A probe of huey's PostgreSQL end-to-end workloads, to see what makes a
 * repetition slow (not part of the bench; docs/performance.md, "What kept a
 * `finish` statement open", says what it found). It starts a throwaway
 * cluster as the bench does, with `pg_stat_statements` (and `auto_explain`
 * with `--explain <ms>`: plans with actual times and buffers of the
 * statements that took longer, in `/tmp/probe-server.log`), and runs the
 * bench's huey end-to-end children (`_bench_child.ts`, warm-up included,
 * the bench's clean slate before each) with greenlet workers. Meanwhile a
 * connection of its own samples `pg_stat_activity` every `--interval` ms.
 * It prints a JSON line per child: the rate, the oldest open transactions
 * (among the backends holding an xid or an xmin) that lived 100 ms or more
 * with their states and wait events, a tally of the states and wait events
 * of the children's backends (per sample), the entries a scan of each
 * index of `task` read, and the statements' times (`pg_stat_statements`).
 *
 * Usage: `node scripts/probe_postgres.ts [--rounds 3] [--setups 1,10,50]
 *   [--interval 50] [--tasks 50000] [--explain 100] [--json out.json]`
 *
 * @module
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import postgres from "postgres";
import { type PostgresServer, startPostgres } from "../tests/_postgres_server.ts";
import type { BenchConfig, Measurement } from "./_bench_common.ts";
import type { BenchJob } from "./_bench_child.ts";
import { freshPostgres } from "./_bench_postgres.ts";
import { runtimeCommand } from "./_bench_runtimes.ts";
import { runLogged } from "./_bench_spawn.ts";

/** The `application_name` of the children's connections. */
const CHILD = "huey-probe-child";

/** Where the server's log (with `auto_explain`'s plans) is copied at the end. */
const SERVER_LOG = "/tmp/probe-server.log";

type Sql = postgres.Sql;

/** A backend in one sample of `pg_stat_activity`. */
interface Backend {
  pid: number;
  app: string;
  type: string;
  state: string | null;
  wait: string | null;
  query: string;
  age: number | null;
  xactStart: string | null;
  xid: string | null;
  xmin: string | null;
}

/** One transaction while it was the oldest open one. */
interface Episode {
  who: string;
  query: string;
  maxAge: number;
  samples: number;
  /** `state|wait|statement|xid?|xmin?`: samples. */
  seen: Record<string, number>;
}

/** What a statement of huey's is, from its text. */
function kind(query: string): string {
  if (/^WITH gone AS \(DELETE FROM/.test(query)) return "finish";
  if (/SET lease_until = clock_timestamp\(\) \+ \$2/.test(query)) return "lease";
  if (/^DELETE FROM \S+\.task WHERE id IN/.test(query)) return "take";
  if (/min\(lease_until\)/.test(query)) return "nextExpiry";
  if (/count\(\*\)::int AS n FROM \S+\.kv/.test(query)) return "kvSize";
  if (/^SELECT key, value FROM \S+\.kv WHERE key = ANY/.test(query)) return "peekMany";
  if (/^INSERT INTO \S+\.task \(data, priority\)/.test(query)) return "enqueue";
  if (/^LISTEN/i.test(query)) return "listen";
  return query.replace(/\s+/g, " ").slice(0, 40);
}

/** Starts the cluster with `pg_stat_statements` (and `auto_explain` over `explainMs`). */
async function startCluster(explainMs?: number): Promise<{ server: PostgresServer; sql: Sql }> {
  const server = await startPostgres();
  const libraries = explainMs === undefined ? "" : ", auto_explain";
  const admin = postgres(server.url, { onnotice: () => {}, max: 1 });
  await admin.unsafe(`ALTER SYSTEM SET shared_preload_libraries = pg_stat_statements${libraries}`);
  await admin.end();
  await server.stop();
  await server.start();
  const sql = postgres(server.url, { onnotice: () => {}, max: 1 });
  await sql.unsafe("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
  if (explainMs !== undefined) {
    await sql.unsafe(`ALTER SYSTEM SET auto_explain.log_min_duration = '${explainMs}ms'`);
    for (const setting of ["log_nested_statements", "log_analyze", "log_buffers", "log_triggers"]) {
      await sql.unsafe(`ALTER SYSTEM SET auto_explain.${setting} = on`);
    }
    await sql`SELECT pg_reload_conf()`;
  }
  return { server, sql };
}

/** Samples `pg_stat_activity` every `interval` ms until `done()` says so. */
async function sampleActivity(sql: Sql, interval: number, done: () => boolean) {
  const samples: Backend[][] = [];
  while (!done()) {
    const started = performance.now();
    samples.push(
      await sql<Backend[]>`SELECT pid, coalesce(application_name, '') AS app,
          backend_type AS type, state, coalesce(query, '') AS query,
          CASE WHEN wait_event IS NULL THEN NULL ELSE wait_event_type || ':' || wait_event END
            AS wait,
          extract(epoch FROM clock_timestamp() - xact_start)::float8 AS age,
          xact_start::text AS "xactStart", backend_xid::text AS xid, backend_xmin::text AS xmin
        FROM pg_stat_activity WHERE pid <> pg_backend_pid()`,
    );
    const spent = performance.now() - started;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, interval - spent)));
  }
  return samples;
}

/** The oldest open transactions of the samples, and a tally of the children's backends. */
function summarize(samples: Backend[][]) {
  const episodes = new Map<string, Episode>();
  const tally: Record<string, number> = {};
  for (const backends of samples) {
    const holders = backends.filter((b) => b.xactStart !== null && (b.xid ?? b.xmin) !== null);
    const oldest = holders.sort((a, b) => (b.age ?? 0) - (a.age ?? 0))[0];
    if (oldest) {
      const key = `${oldest.pid}@${oldest.xactStart}`;
      const episode = episodes.get(key) ?? {
        who: oldest.app === CHILD ? "child" : `${oldest.type}/${oldest.app}`,
        query: kind(oldest.query),
        maxAge: 0,
        samples: 0,
        seen: {},
      };
      episode.maxAge = Math.max(episode.maxAge, oldest.age ?? 0);
      episode.samples++;
      const what = `${oldest.state}|${oldest.wait ?? "cpu"}|${kind(oldest.query)}` +
        `|xid=${oldest.xid ? "y" : "n"}|xmin=${oldest.xmin ? "y" : "n"}`;
      episode.seen[what] = (episode.seen[what] ?? 0) + 1;
      episodes.set(key, episode);
    }
    for (const b of backends) {
      if (b.app !== CHILD || b.state === "idle") continue;
      const what = `${b.state}|${b.wait ?? "cpu"}|${kind(b.query)}`;
      tally[what] = (tally[what] ?? 0) + 1;
    }
  }
  const long = [...episodes.values()].filter((episode) => episode.maxAge >= 0.1)
    .sort((a, b) => b.maxAge - a.maxAge).slice(0, 8);
  const perSample = Object.entries(tally).sort((a, b) => b[1] - a[1])
    .map(([what, n]) => [what, +(n / Math.max(1, samples.length)).toFixed(2)]);
  return { episodes: long, tally: Object.fromEntries(perSample) };
}

/** The index reads of `task` and the statements' times in schema `schema`. */
async function statistics(sql: Sql, schema: string) {
  const indexes = await sql`SELECT indexrelname AS index, idx_scan::float8 AS scans,
      round(idx_tup_read::numeric / greatest(idx_scan, 1))::float8 AS "perScan"
    FROM pg_stat_user_indexes WHERE schemaname = ${schema} AND relname = 'task'`;
  const statements = await sql`SELECT query, calls::float8,
      round(mean_exec_time::numeric, 2)::float8 AS "meanMs",
      round(max_exec_time::numeric, 1)::float8 AS "maxMs"
    FROM pg_stat_statements WHERE query LIKE ${`%${schema}%`}
    ORDER BY total_exec_time DESC LIMIT 6`;
  return {
    indexes: [...indexes],
    statements: statements.map((row) => ({ ...row, query: kind(row.query as string) })),
  };
}

/** Runs one end-to-end child with `workers` greenlet workers, sampling every `interval` ms. */
async function probeOnce(
  sql: Sql,
  config: BenchConfig,
  workers: number,
  options: { warmUp: boolean; interval: number },
) {
  await freshPostgres(config.postgresUrl);
  await sql`SELECT pg_stat_statements_reset()`;
  await sql`SELECT pg_stat_reset()`;
  const job: BenchJob = {
    system: "huey",
    workload: "e2e",
    storage: "postgres",
    setup: { workerType: "greenlet", workers },
    mode: "map",
    warmUp: options.warmUp,
    config,
  };
  const child = fileURLToPath(new URL("./_bench_child.ts", import.meta.url));
  const [command, args] = runtimeCommand("node", child, [JSON.stringify(job)]);
  let running = true;
  const sampling = sampleActivity(sql, options.interval, () => !running);
  let measured: Measurement[];
  try {
    const output = await runLogged(command, args, join(config.folder, "child.log"), {
      PGAPPNAME: CHILD,
    });
    measured = JSON.parse(output.trim().split("\n").pop()!) as Measurement[];
  } finally {
    running = false;
  }
  const samples = await sampling;
  // The measured run's schema is the newest; the samples before its first statement are the warm-up.
  const [{ schema }] = await sql`SELECT nspname AS schema FROM pg_namespace
    WHERE nspname LIKE 'bench-%' ORDER BY oid DESC LIMIT 1`;
  const first = samples.findIndex((backends) =>
    backends.some((b) => b.app === CHILD && b.query.includes(schema))
  );
  const measuredSamples = first === -1 ? samples : samples.slice(first);
  return {
    workers,
    rate: Math.round(measured[0]?.value ?? 0),
    samples: measuredSamples.length,
    ...summarize(measuredSamples),
    ...await statistics(sql, schema),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: "string", default: "3" },
      setups: { type: "string", default: "1,10,50" },
      interval: { type: "string", default: "50" },
      tasks: { type: "string", default: "50000" },
      explain: { type: "string" },
      json: { type: "string" },
      "no-warm-up": { type: "boolean", default: false },
    },
    strict: true,
  });
  const explain = values.explain === undefined ? undefined : Number(values.explain);
  const { server, sql } = await startCluster(explain);
  const folder = mkdtempSync(join(tmpdir(), "huey-probe-"));
  const config: BenchConfig = {
    tasks: Number(values.tasks),
    cliTasks: 0,
    inFlight: 1000,
    bulk: 1000,
    concurrencies: [],
    threads: 0,
    latencySamples: 0,
    rssCheckpoints: [1, 1],
    redisUrl: "",
    clusterNodes: "",
    postgresUrl: server.url,
    folder,
  };
  const report: unknown[] = [];
  const options = { warmUp: !values["no-warm-up"], interval: Number(values.interval) };
  try {
    for (let round = 0; round < Number(values.rounds); round++) {
      for (const workers of values.setups!.split(",").map(Number)) {
        const entry = { round, ...await probeOnce(sql, config, workers, options) };
        console.log(JSON.stringify(entry));
        report.push(entry);
      }
    }
  } finally {
    const [{ setting }] = await sql`SELECT setting FROM pg_settings WHERE name = 'data_directory'`;
    await sql.end();
    writeFileSync(SERVER_LOG, readFileSync(join(setting, "..", "server.log")));
    await server.remove();
    rmSync(folder, { recursive: true, force: true });
  }
  if (values.json) writeFileSync(values.json, JSON.stringify(report, null, 2));
}

await main();
process.exit(0);
