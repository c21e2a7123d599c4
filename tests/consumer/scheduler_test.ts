/**
 * The scheduler, driven by an injected clock: periodic tasks once per
 * matching minute across consumers (one SQLite file), stalls, repeated ticks,
 * local time, and due scheduled tasks.
 *
 * @module
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { after, test } from "node:test";
import { Consumer, Scheduler } from "../../consumer.ts";
import { crontab } from "../../crontab.ts";
import { SqliteHuey } from "../../hueys.ts";
import { quietLogs } from "../_helpers.ts";

quietLogs();
const dir = mkdtempSync(join(tmpdir(), "huey-scheduler-"));
after(() => rmSync(dir, { recursive: true, force: true }));
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
