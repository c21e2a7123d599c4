/**
 * A producer or worker process of tests/storage/multiprocess_test.ts on a
 * shared SQLite file, Redis server, Redis Cluster or PostgreSQL database. `work` steps through the queue with
 * the public API (`dequeue`, `execute`); `loop` runs the consumer's worker
 * loop, which leases messages ahead and starts a task while the previous
 * outcome is stored. `schedule` puts tasks in the schedule, due a second
 * ago; `scheduler` runs the consumer's scheduler (`HUEY_BATCH` tasks moved
 * per step) until the schedule is empty. `tally` adds 1 to the counter
 * `hits` and the members `<from>` to `<from + count - 1>` to the set `done`,
 * `count` times each, and records what each call resolved to (also on a
 * shared file storage folder).
 *
 * Usage: `<runtime> _multiprocess_child.ts produce|schedule|work|loop|scheduler|tally <sqlite|redis|redis-cluster|postgres|file> <file, url(s) or folder> <queue> <from> <count> <folder>`
 * A worker stops once the file `<folder>/stop` exists and the queue is empty.
 *
 * @module
 */
import { appendFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { setTimeout as delay } from "node:timers/promises";
import { runWorkerLoop } from "../../consumer/worker_loop.ts";
import { Scheduler } from "../../consumer/scheduler.ts";
import { Huey } from "../../huey.ts";
import { FileStorage } from "../../storage/file.ts";
import { PostgresStorage } from "../../storage/postgres.ts";
import { RedisStorage } from "../../storage/redis.ts";
import { SqliteStorage } from "../../storage/sqlite.ts";
import { clusterOption } from "../_redis_cluster.ts";

const [role, kind, target, name, from, count, folder] = process.argv.slice(2);
const storage = kind === "sqlite"
  ? new SqliteStorage(name, { filename: target, timeout: 30 })
  : kind === "postgres"
  ? new PostgresStorage(name, { url: target, blocking: false })
  : kind === "file"
  ? new FileStorage(name, { path: target })
  : kind === "redis-cluster"
  ? new RedisStorage(name, { cluster: clusterOption(target), blocking: false })
  : new RedisStorage(name, { url: target, blocking: false });
const huey = new Huey(name, {
  storage,
  results: false,
  leaseTimeout: Number(process.env.HUEY_LEASE ?? 30),
});

/** Records each run in this process's own file: the test counts them. */
const record = huey.task(function record(n: number): void {
  appendFileSync(join(folder, `ran-${process.pid}.txt`), `${n}\n`);
});

/** Marks its start and end, and takes HUEY_SLOW seconds in between. */
const slow = huey.task(async function slow(n: number): Promise<void> {
  appendFileSync(join(folder, "slow.txt"), `start ${n} ${process.pid}\n`);
  await delay(Number(process.env.HUEY_SLOW ?? 0) * 1000);
  appendFileSync(join(folder, "slow.txt"), `end ${n} ${process.pid}\n`);
});

if (role === "produce") {
  const first = Number(from);
  for (let n = first; n < first + Number(count); n += 100) {
    const chunk = Array.from({ length: Math.min(100, first + Number(count) - n) }, (_, i) => n + i);
    if (process.env.HUEY_SLOW) await slow.map(chunk);
    else await record.map(chunk);
  }
} else if (role === "schedule") {
  const due = Date.now() - 1000;
  const first = Number(from);
  for (let n = first; n < first + Number(count); n += 500) {
    const chunk = Array.from({ length: Math.min(500, first + Number(count) - n) }, (_, i) => n + i);
    await Promise.all(
      chunk.map((i) => storage.addToSchedule(huey.serializeTask(record.s(i)), due)),
    );
  }
} else if (role === "tally") {
  const first = Number(from);
  const numbers = Array.from({ length: Number(count) }, (_, i) => first + i);
  const counted = await Promise.all(numbers.map(() => storage.incr("hits")));
  const sizes = await Promise.all(numbers.map((n) => storage.addMember("done", String(n))));
  const record = JSON.stringify({ counted, sizes });
  appendFileSync(join(folder, `tally-${process.pid}.txt`), `${record}\n`);
} else if (role === "scheduler") {
  const scheduler = new Scheduler(huey, { batchSize: Number(process.env.HUEY_BATCH ?? 500) });
  while ((await huey.scheduledCount()) > 0) await scheduler.tick();
} else if (role === "loop") {
  const stop = new AbortController();
  const watch = setInterval(async () => {
    if (existsSync(join(folder, "stop")) && (await huey.pendingCount()) === 0) stop.abort();
  }, 20);
  await runWorkerLoop(huey, {
    initialDelay: 0.01,
    maxDelay: 0.05,
    backoff: 1.5,
    stop: stop.signal,
    interrupt: new AbortController().signal,
  });
  clearInterval(watch);
} else {
  while (true) {
    const task = await huey.dequeue();
    if (task) await huey.execute(task);
    else if (existsSync(join(folder, "stop"))) break;
    else await delay(10);
  }
}
await huey.close();
