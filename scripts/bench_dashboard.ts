/**
 * How long the dashboard's pages take with a long queue (issue 14): fills a
 * queue with `--tasks` pending tasks (default 1,000,000) on a temporary
 * SQLite file and on a throwaway Redis, then times the overview, the first
 * and a deeper pending page, and the live update's snapshot, each the median
 * of `--samples` requests through the handler (no network).
 *
 * Usage: `node scripts/bench_dashboard.ts [--tasks 1000000] [--samples 5] [--storages sqlite,redis]`
 *
 * @module
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";
import { dashboard } from "../dashboard.ts";
import { type Huey, RedisHuey, SqliteHuey } from "../mod.ts";
import { startRedis } from "../tests/_redis_server.ts";

const { values } = parseArgs({
  options: {
    tasks: { type: "string", default: "1000000" },
    samples: { type: "string", default: "5" },
    storages: { type: "string", default: "sqlite,redis" },
  },
});
const TASKS = Number(values.tasks);
const SAMPLES = Number(values.samples);
const PAGES = ["/", "/pending", "/pending?offset=5000", "/scheduled", "/failures"];

/** Fills the queue with `TASKS` small tasks, 10,000 a round trip. */
async function fill(huey: Huey): Promise<void> {
  const add = huey.task(function add(a: number, b: number) {
    return a + b;
  });
  for (let done = 0; done < TASKS; done += 10_000) {
    const count = Math.min(10_000, TASKS - done);
    await huey.enqueueMany(Array.from({ length: count }, (_, i) => add.s(done + i, 1)));
  }
}

/** The median of `SAMPLES` timings of `run`, in ms. */
async function median(run: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

async function measure(kind: string, huey: Huey): Promise<void> {
  const started = performance.now();
  await fill(huey);
  const filled = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`${kind}: ${await huey.pendingCount()} pending (filled in ${filled} s)`);
  const handle = dashboard(huey);
  for (const path of PAGES) {
    const ms = await median(async () => {
      const response = await handle(new Request(`http://127.0.0.1${path}`));
      if (response.status !== 200) throw new Error(`${path}: ${response.status}`);
      await response.text();
    });
    console.log(`  ${path.padEnd(24)} ${ms.toFixed(1).padStart(8)} ms`);
  }
}

for (const kind of values.storages.split(",")) {
  if (kind === "sqlite") {
    const dir = mkdtempSync(join(tmpdir(), "huey-bench-dashboard-"));
    const huey = new SqliteHuey("bench-dashboard", { filename: join(dir, "queue.db") });
    try {
      await measure("SQLite", huey);
    } finally {
      await huey.close();
      rmSync(dir, { recursive: true, force: true });
    }
  } else if (kind === "redis") {
    const redis = await startRedis();
    const huey = new RedisHuey("bench-dashboard", { url: redis.url });
    try {
      await measure("Redis", huey);
    } finally {
      await huey.close();
      await redis.stop();
    }
  } else {
    console.error(`unknown storage '${kind}': sqlite or redis`);
    process.exitCode = 2;
  }
}
