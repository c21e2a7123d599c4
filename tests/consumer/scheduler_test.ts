/**
 * The scheduler, driven by an injected clock: periodic tasks once per
 * matching minute across consumers (one SQLite file), stalls, repeated ticks,
 * local time, due scheduled tasks moved in batches, periodic runs retried
 * after a storage failure, and periodic markers that are never results.
 *
 * @module
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { after, before, test } from "node:test";
import { Consumer, Scheduler } from "../../consumer.ts";
import { crontab } from "../../crontab.ts";
import { Huey } from "../../huey.ts";
import { FileHuey, MemoryHuey, RedisHuey, SqliteHuey } from "../../mod.ts";
import { SIGNAL_ENQUEUED } from "../../signals.ts";
import type { EnqueueOnceOptions } from "../../storage/base.ts";
import { MemoryStorage } from "../../storage/memory.ts";
import { quietLogs } from "../_helpers.ts";
import { type RedisServer, redisSkip, startRedis } from "../_redis_server.ts";

quietLogs();
const dir = mkdtempSync(join(tmpdir(), "huey-scheduler-"));
let server: RedisServer | undefined;
before(async () => {
  if (!redisSkip) server = await startRedis();
});
after(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});
let files = 0;

const MINUTE = 60_000;
const START = Date.UTC(2030, 0, 1, 0, 0, 0);

/** A Huey on `filename` with a periodic task every minute and one every other minute. */
function periodicHuey(filename: string, options: { utc?: boolean } = {}): SqliteHuey {
  const huey = new SqliteHuey("periodic", { filename, ...options });
  huey.periodicTask(crontab(), function everyMinute(): void {});
  huey.periodicTask(crontab({ minute: "*/2" }), function everyOtherMinute(): void {});
  return huey;
}

async function pendingNames(huey: SqliteHuey): Promise<string[]> {
  return (await huey.pending()).map((task) => task.name);
}

function countOf(names: string[], name: string): number {
  return names.filter((each) => each === name).length;
}

test("two schedulers on one SQLite file enqueue each periodic task once per matching minute, across repeated ticks and a stall", async () => {
  const filename = join(dir, `periodic-${++files}.db`);
  const hueys = [periodicHuey(filename), periodicHuey(filename)];
  try {
    const [first, second] = hueys.map((huey) => new Scheduler(huey));
    // Seconds from START at which both schedulers tick, in both orders. Minutes
    // 0 and 1, then a stall to minute 5, then minutes 6, 7 and 8.
    const seconds = [0, 0.5, 1, 30, 59.9, 60, 61, 90, 310, 311, 330, 360, 420, 421, 480, 481, 485];
    for (const [index, second_] of seconds.entries()) {
      const now = new Date(START + second_ * 1000);
      const order = index % 2 === 0 ? [first, second] : [second, first];
      for (const scheduler of order) await scheduler.tick(now);
      await first.tick(now);
    }
    const names = await pendingNames(hueys[0]);
    // Minutes 0, 1, 5, 6, 7, 8: nothing for the stalled minutes 2 to 4.
    assert.equal(countOf(names, "everyMinute"), 6);
    // Minutes 0, 6, 8.
    assert.equal(countOf(names, "everyOtherMinute"), 3);
    assert.equal(names.length, 9);
  } finally {
    await Promise.all(hueys.map((huey) => huey.close()));
  }
});

test("a new scheduler (a restarted consumer) does not enqueue a minute's periodic tasks again", async () => {
  const filename = join(dir, `periodic-${++files}.db`);
  const huey = periodicHuey(filename);
  try {
    const now = new Date(START + 10_000);
    await new Scheduler(huey).tick(now);
    await new Scheduler(huey).tick(new Date(START + 50_000));
    assert.deepEqual(await pendingNames(huey), ["everyMinute", "everyOtherMinute"]);
    assert.equal(await new Scheduler(huey).enqueuePeriodic(now), 0);
  } finally {
    await huey.close();
  }
});

test("a scheduler with periodic: false enqueues no periodic task", async () => {
  const filename = join(dir, `periodic-${++files}.db`);
  const huey = periodicHuey(filename);
  try {
    await new Scheduler(huey, { periodic: false }).tick(new Date(START));
    assert.equal(await huey.pendingCount(), 0);
  } finally {
    await huey.close();
  }
});

test("the Consumer's scheduler reads the injected clock: due scheduled tasks move to the queue, periodic tasks match its minute", async () => {
  const filename = join(dir, `periodic-${++files}.db`);
  const huey = periodicHuey(filename);
  const add = huey.task(function add(a: number, b: number): number {
    return a + b;
  });
  let now = new Date(START + MINUTE);
  const consumer = new Consumer(huey, { workerType: "greenlet", clock: () => now });
  try {
    await add.schedule({ args: [1, 2], eta: new Date(START + 2 * MINUTE + 30_000) });
    // A worker's step: the task is not due, so it moves to the schedule.
    await huey.execute((await huey.dequeue())!);
    await consumer.scheduler.tick();
    assert.deepEqual(await pendingNames(huey), ["everyMinute"]);
    assert.equal(await huey.scheduledCount(), 1);

    now = new Date(START + 2 * MINUTE + 30_000);
    await consumer.scheduler.tick();
    assert.deepEqual(await pendingNames(huey), [
      "everyMinute",
      "add",
      "everyMinute",
      "everyOtherMinute",
    ]);
    assert.equal(await huey.scheduledCount(), 0);
  } finally {
    await huey.close();
  }
});

test("with utc: false, periodic tasks match the local time", async () => {
  const zone = process.env.TZ;
  process.env.TZ = "Asia/Kolkata"; // UTC+05:30 all year: local and UTC minutes differ.
  const filename = join(dir, `periodic-${++files}.db`);
  const local = new SqliteHuey("local", { filename, utc: false });
  const utc = new SqliteHuey("utc", { filename });
  try {
    for (const huey of [local, utc]) {
      huey.periodicTask(crontab({ hour: "5", minute: "30" }), function halfPastFive(): void {});
    }
    const instant = new Date(Date.UTC(2030, 0, 1, 0, 0)); // 05:30 in Kolkata.
    await new Scheduler(local).tick(instant);
    await new Scheduler(utc).tick(instant);
    assert.deepEqual(await pendingNames(local), ["halfPastFive"]);
    assert.equal(await utc.pendingCount(), 0);

    const utcInstant = new Date(Date.UTC(2030, 0, 1, 5, 30));
    await new Scheduler(utc).tick(utcInstant);
    await new Scheduler(local).tick(utcInstant);
    assert.deepEqual(await pendingNames(utc), ["halfPastFive"]);
    assert.deepEqual(await pendingNames(local), ["halfPastFive"]);
  } finally {
    if (zone === undefined) delete process.env.TZ;
    else process.env.TZ = zone;
    await Promise.all([local.close(), utc.close()]);
  }
});

const STORAGES: { kind: string; skip?: string; make: (name: string) => Huey }[] = [
  { kind: "memory", make: (name) => new MemoryHuey(name) },
  { kind: "sqlite", make: (name) => new SqliteHuey(name, { filename: join(dir, "markers.db") }) },
  { kind: "file", make: (name) => new FileHuey(name, { path: join(dir, "markers") }) },
  { kind: "redis", skip: redisSkip, make: (name) => new RedisHuey(name, { url: server!.url }) },
];

for (const { kind, skip, make } of STORAGES) {
  test(
    `${kind}: the periodic markers are never counted or listed as results`,
    { skip },
    async () => {
      await using huey = make(`markers-${++files}`);
      await huey.flush();
      huey.periodicTask(crontab(), function everyMinute(): void {});
      const scheduler = new Scheduler(huey);
      await scheduler.tick(new Date(START));
      await scheduler.tick(new Date(START + MINUTE));
      assert.equal(await huey.pendingCount(), 2);
      assert.equal(await huey.resultCount(), 0);
      assert.deepEqual([...(await huey.allResults()).keys()], []);
      assert.equal(await new Scheduler(huey).enqueuePeriodic(new Date(START)), 0, "still once");
    },
  );
}

test("due scheduled tasks move in batches, each enqueued once, with SIGNAL_ENQUEUED when someone listens", async () => {
  const huey = new MemoryHuey("batches");
  const add = huey.task(function add(a: number, b: number): number {
    return a + b;
  });
  const eta = new Date(START);
  const ids: string[] = [];
  for (let n = 0; n < 10; n++) ids.push((await add.schedule({ args: [n, n], eta })).id);
  for (let n = 0; n < 10; n++) {
    await huey.execute((await huey.dequeue())!, { timestamp: new Date(0) });
  }
  assert.equal(await huey.scheduledCount(), 10);
  const announced: string[] = [];
  huey.signal((_signal, task) => void announced.push(task.id), SIGNAL_ENQUEUED);
  assert.equal(await new Scheduler(huey, { batchSize: 3 }).moveDue(eta), 10);
  assert.deepEqual(announced, ids);
  assert.equal(await huey.scheduledCount(), 0);
  assert.deepEqual((await huey.pending()).map((task) => task.id), ids);
});

/** A memory storage whose `enqueueOnce` fails while `down` is set: a storage outage. */
class FlakyStorage extends MemoryStorage {
  down = false;
  override enqueueOnce(
    marker: string,
    items: ReadonlyArray<{ data: Uint8Array; priority?: number }>,
    options: EnqueueOnceOptions,
  ): Promise<boolean> {
    if (this.down) return Promise.reject(new Error("storage is down"));
    return super.enqueueOnce(marker, items, options);
  }
}

test("a periodic run whose enqueue failed is retried on the next ticks, never lost nor doubled", async () => {
  const storage = new FlakyStorage("flaky");
  const huey = new Huey("flaky", { storage });
  huey.periodicTask(crontab(), function everyMinute(): void {});
  const scheduler = new Scheduler(huey);
  storage.down = true;
  await scheduler.tick(new Date(START));
  await scheduler.tick(new Date(START + 30_000));
  await scheduler.tick(new Date(START + MINUTE));
  assert.equal(await huey.pendingCount(), 0);
  storage.down = false;
  await scheduler.tick(new Date(START + MINUTE + 1000));
  const minutes = (await huey.pending()).map((task) => task.name);
  assert.deepEqual(minutes, ["everyMinute", "everyMinute"], "minutes 0 and 1, once each");
  await scheduler.tick(new Date(START + MINUTE + 2000));
  await new Scheduler(huey).tick(new Date(START + MINUTE + 3000));
  assert.equal(await huey.pendingCount(), 2);
});
