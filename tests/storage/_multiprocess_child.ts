/**
 * A producer or worker process of tests/storage/multiprocess_test.ts, using
 * the public stepping API (`enqueue`, `dequeue`, `execute`) on a shared
 * SQLite file or Redis server.
 *
 * Usage: `<runtime> _multiprocess_child.ts produce|work <sqlite|redis> <file or url> <queue> <from> <count> <folder>`
 * A worker stops once the file `<folder>/stop` exists and the queue is empty.
 *
 * @module
 */
import { appendFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { setTimeout as delay } from "node:timers/promises";
import { Huey } from "../../huey.ts";
import { RedisStorage } from "../../storage/redis.ts";
import { SqliteStorage } from "../../storage/sqlite.ts";

const [role, kind, target, name, from, count, folder] = process.argv.slice(2);
const storage = kind === "sqlite"
  ? new SqliteStorage(name, { filename: target, timeout: 30 })
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
} else {
  while (true) {
    const task = await huey.dequeue();
    if (task) await huey.execute(task);
    else if (existsSync(join(folder, "stop"))) break;
    else await delay(10);
  }
}
await huey.close();
