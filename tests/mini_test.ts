// MiniHuey (huey's contrib/mini.py, SPEC §2): in-process runs bounded by poolSize, scheduled
// calls run by the loop, periodic tasks checked once per wall-clock minute. The clock is
// injected and the loop stepped with tick(), so no test waits for real minutes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ConfigurationError } from "../errors.ts";
import { sleep } from "../_runtime.ts";
import { crontab } from "../crontab.ts";
import { MiniHuey } from "../mini.ts";
import { quietLogs } from "./_helpers.ts";

const logs = quietLogs();

/** A MiniHuey whose clock the test moves. */
function withClock(start = Date.UTC(2030, 0, 1, 0, 0, 10), options = {}) {
  const clock = { now: start };
  const mini = new MiniHuey("mini", { ...options, now: () => new Date(clock.now) });
  const at = (seconds: number) => new Date(start + seconds * 1000);
  return { mini, clock, at };
}

test("a task call runs the function now and resolves to its value or rejects with its error", async () => {
  const mini = new MiniHuey();
  assert.equal(mini.name, "huey");
  const add = mini.task(function add(a: number, b: number) {
    return a + b;
  });
  assert.equal(add.name, "add");
  assert.equal(await add(1, 2), 3);
  const slow = mini.task(async function slow(value: string) {
    await sleep(0.01);
    return value;
  });
  assert.equal(await slow("later"), "later");
  const fail = mini.task(function fail(): never {
    throw new TypeError("nope");
  });
  await assert.rejects(() => fail(), TypeError);
});

test("poolSize bounds how many runs happen at once; extra calls wait for a slot", async () => {
  const mini = new MiniHuey("pool", { poolSize: 2 });
  let active = 0;
  let most = 0;
  const gates: (() => void)[] = [];
  const work = mini.task(async function work(n: number) {
    active++;
    most = Math.max(most, active);
    await new Promise<void>((resolve) => gates.push(resolve));
    active--;
    return n;
  });
  const calls = [1, 2, 3, 4, 5].map((n) => work(n));
  let opened = 0;
  for (let i = 0; i < 500 && opened < 5; i++) {
    await sleep(0.002);
    const waiting = gates.splice(0);
    opened += waiting.length;
    waiting.forEach((open) => open());
  }
  assert.deepEqual(await Promise.all(calls), [1, 2, 3, 4, 5]);
  assert.equal(most, 2);
});

test("schedule() with a delay runs at the loop step that reaches the due time", async () => {
  const { mini, at } = withClock();
  const ran: number[] = [];
  const work = mini.task(function work(n: number) {
    ran.push(n);
    return n * 10;
  });
  const later = work.schedule({ args: [2], delay: 10 });
  const sooner = work.schedule({ args: [1], eta: at(5) });
  await mini.tick(at(4));
  assert.deepEqual(ran, []);
  await mini.tick(at(10));
  assert.deepEqual(ran, [1, 2], "soonest first");
  assert.equal(await sooner, 10);
  assert.equal(await later, 20);
  await mini.tick(at(100));
  assert.deepEqual(ran, [1, 2], "each scheduled call runs once");
});

test("schedule() with a time already past, or a delay of 0, runs now", async () => {
  const { mini, at } = withClock();
  const echo = mini.task(function echo(value: string) {
    return value;
  });
  assert.equal(await echo.schedule({ args: ["past"], eta: at(-60) }), "past");
  assert.equal(await echo.schedule({ args: ["zero"], delay: 0 }), "zero");
});

test("a scheduled call that throws rejects its promise when it runs", async () => {
  const { mini, at } = withClock();
  const fail = mini.task(function fail(): never {
    throw new Error("scheduled failure");
  });
  const promise = fail.schedule({ delay: 1 });
  await mini.tick(at(2));
  await assert.rejects(promise, /scheduled failure/);
});

test("schedule() needs one of delay and eta, with sound values", () => {
  const { mini } = withClock();
  const noop = mini.task(function noop() {});
  assert.throws(() => noop.schedule({}), ConfigurationError);
  assert.throws(() => noop.schedule({ delay: 1, eta: new Date() }), ConfigurationError);
  assert.throws(() => noop.schedule({ delay: Number.NaN }), /'delay'/);
  assert.throws(() => noop.schedule({ eta: new Date("junk") }), /'eta'/);
});

test("periodic tasks run once per matching minute, at the first step that sees it", async () => {
  const { mini, at } = withClock(Date.UTC(2030, 0, 1, 0, 0, 10));
  const runs: string[] = [];
  mini.task(crontab({ minute: "*/5" }), function every5() {
    runs.push("every5");
  });
  mini.periodicTask(crontab({ minute: "1" }), function atOne() {
    runs.push("atOne");
  });
  await mini.tick(at(0));
  assert.deepEqual(runs, ["every5"]);
  await mini.tick(at(40));
  assert.deepEqual(runs, ["every5"], "not twice in the same minute");
  await mini.tick(at(55));
  assert.deepEqual(runs, ["every5", "atOne"], "00:01:05: the new minute is checked");
  await mini.tick(at(290));
  assert.deepEqual(runs, ["every5", "atOne", "every5"], "00:05:00");
  await mini.tick(at(250));
  assert.deepEqual(runs.length, 3, "a step back in time does not repeat a minute");
});

test("periodic schedules are matched in UTC", async () => {
  const { mini } = withClock();
  const runs: number[] = [];
  mini.task(crontab({ hour: "9", minute: "30" }), function morning() {
    runs.push(1);
  });
  await mini.tick(new Date(Date.UTC(2030, 0, 1, 9, 29, 59)));
  assert.deepEqual(runs, []);
  await mini.tick(new Date(Date.UTC(2030, 0, 1, 9, 30, 59)));
  assert.deepEqual(runs, [1]);
});

test("a failing periodic task is logged and the others still run", async () => {
  const { mini, at } = withClock();
  const runs: string[] = [];
  mini.task(crontab(), function broken() {
    throw new Error("periodic broke");
  });
  mini.task(crontab(), function fine() {
    runs.push("fine");
  });
  logs.length = 0;
  await mini.tick(at(0));
  assert.deepEqual(runs, ["fine"]);
  assert.ok(logs.some((line) => line.includes("broken") && line.includes("periodic broke")));
});

test("a periodic task can also be called directly", async () => {
  const { mini } = withClock();
  const report = mini.task(crontab({ minute: "0" }), function report() {
    return "report";
  });
  assert.equal(await report(), "report");
});

test("start() runs the loop every interval until stop(); stop() waits for running tasks", async () => {
  const clock = { now: Date.UTC(2030, 0, 1, 0, 0, 10) };
  const mini = new MiniHuey("loop", { interval: 0.01, now: () => new Date(clock.now) });
  const runs: string[] = [];
  mini.task(crontab(), function everyMinute() {
    runs.push("periodic");
  });
  const work = mini.task(async function work(label: string) {
    await sleep(0.02);
    runs.push(label);
    return label;
  });
  const scheduled = work.schedule({ args: ["scheduled"], delay: 30 });
  mini.start();
  mini.start();
  assert.ok(mini.running);
  for (let i = 0; i < 500 && runs.length === 0; i++) await sleep(0.002);
  assert.deepEqual(runs, ["periodic"], "the first step runs at start");
  clock.now += 30_000;
  assert.equal(await scheduled, "scheduled");
  const inFlight = work("in flight");
  await mini.stop();
  assert.equal(mini.running, false);
  assert.ok(runs.includes("in flight"), "stop() waited for it");
  assert.equal(await inFlight, "in flight");
  assert.deepEqual(runs.filter((run) => run === "periodic"), ["periodic"], "once in the minute");

  const afterStop = work.schedule({ args: ["after stop"], delay: 1 });
  clock.now += 5_000;
  await sleep(0.05);
  assert.equal(runs.includes("after stop"), false, "no loop, no scheduled runs");
  {
    await using _running = mini;
    mini.start();
    assert.equal(await afterStop, "after stop");
  }
  assert.equal(mini.running, false, "await using stopped it");
});

test("MiniHuey rejects bad options, naming them", () => {
  assert.throws(() => new MiniHuey("x", { interval: 0 }), /'interval'/);
  assert.throws(() => new MiniHuey("x", { interval: Number.NaN }), ConfigurationError);
  assert.throws(() => new MiniHuey("x", { poolSize: 0 }), /'poolSize'/);
  assert.throws(() => new MiniHuey("x", { poolSize: 1.5 }), ConfigurationError);
  assert.throws(() => new MiniHuey("x", { now: 5 as unknown as () => Date }), ConfigurationError);
  const mini = new MiniHuey();
  assert.throws(() => mini.task("nope" as unknown as () => void), ConfigurationError);
  assert.throws(
    () => mini.periodicTask(5 as unknown as () => boolean, () => {}),
    { name: "ConfigurationError", message: /'validate'.*crontab.*got 5/ },
  );
});
