/**
 * The `Consumer` class in the test's own process: greenlet workers on a
 * memory Huey, thread workers on the fixture app (SQLite), its options, its
 * configuration errors, hooks, stops and restarts.
 *
 * @module
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { pathToFileURL } from "node:url";
import { test } from "node:test";
import { Consumer } from "../../consumer.ts";
import { type ConsumerOptions, resolveConsumerOptions } from "../../consumer/options.ts";
import { ConfigurationError } from "../../errors.ts";
import { MemoryHuey, SqliteHuey } from "../../mod.ts";
import { SIGNAL_INTERRUPTED } from "../../signals.ts";
import { type App, createApp, readMarkers } from "../fixtures/tasks.ts";
import { quietLogs } from "../_helpers.ts";
import { FIXTURE, waitFor, withTimeout } from "./_consumer.ts";

const logs = quietLogs();
const FAST = { initialDelay: 0.01, maxDelay: 0.05 } as const;
let names = 0;

/** A memory Huey with an `add` task, a `sleepy` task and hooks that count. */
function memoryApp() {
  const huey = new MemoryHuey(`consumer-class-${++names}`);
  const hooks = { startup: 0, shutdown: 0 };
  huey.onStartup(() => void hooks.startup++);
  huey.onShutdown(() => void hooks.shutdown++);
  const add = huey.task(function add(a: number, b: number): number {
    return a + b;
  });
  const started: string[] = [];
  const sleepy = huey.task(async function sleepy(id: string, seconds: number): Promise<string> {
    started.push(id);
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    return id;
  });
  return { huey, hooks, add, sleepy, started };
}

test("the default options are huey's", () => {
  const options = resolveConsumerOptions();
  assert.equal(options.workers, 1);
  assert.equal(options.workerType, "thread");
  assert.equal(options.initialDelay, 0.1);
  assert.equal(options.maxDelay, 10);
  assert.equal(options.backoff, 1.15);
  assert.equal(options.healthCheckInterval, 10);
  assert.equal(options.checkWorkerHealth, true);
  assert.equal(options.schedulerInterval, 1);
  assert.equal(options.periodic, true);
  assert.equal(options.flushLocks, false);
  assert.deepEqual(options.extraLocks, []);
});

test("worker type aliases: worker is thread, async and gevent are greenlet; extra locks imply a flush", () => {
  assert.equal(resolveConsumerOptions({ workerType: "worker" }).workerType, "thread");
  assert.equal(resolveConsumerOptions({ workerType: "async" }).workerType, "greenlet");
  assert.equal(resolveConsumerOptions({ workerType: "gevent" }).workerType, "greenlet");
  assert.equal(resolveConsumerOptions({ extraLocks: ["a"] }).flushLocks, true);
});

test("bad options throw ConfigurationError naming the option and the value", () => {
  const cases: [Parameters<typeof resolveConsumerOptions>[0], RegExp][] = [
    [{ workers: 0 }, /'workers'.*0/],
    [{ workers: 1.5 }, /'workers'.*1\.5/],
    [{ workerType: "fiber" as "thread" }, /'workerType'.*fiber/],
    [{ backoff: 0.5 }, /'backoff'.*0\.5/],
    [{ initialDelay: -1 }, /'initialDelay'.*-1/],
    [{ maxDelay: 0 }, /'maxDelay'.*0/],
    [{ healthCheckInterval: Number.NaN }, /'healthCheckInterval'.*NaN/],
    [{ schedulerInterval: 7 }, /'schedulerInterval'.*7/],
    [{ schedulerInterval: 45 }, /'schedulerInterval'.*45/],
    [{ schedulerInterval: 90 }, /'schedulerInterval'.*90/],
  ];
  for (const [options, message] of cases) {
    assert.throws(() => resolveConsumerOptions(options), (error) => {
      return error instanceof ConfigurationError && message.test(error.message);
    }, JSON.stringify(options));
  }
});

test("a Consumer of a Huey in immediate mode refuses to run", () => {
  const huey = new MemoryHuey(`consumer-class-${++names}`, { immediate: true });
  const consumer = new Consumer(huey, { workerType: "greenlet" });
  assert.throws(() => consumer.run(), ConfigurationError);
});

test("thread and process workers refuse a MemoryHuey, whose queue they cannot see", () => {
  const { huey } = memoryApp();
  for (const workerType of ["thread", "process"] as const) {
    assert.throws(
      () => new Consumer(huey, { workerType, module: { url: "file:///app.ts" } }),
      (error) => error instanceof ConfigurationError && /greenlet/.test(error.message),
    );
  }
});

test("thread and process workers need the module that exports the Huey", async () => {
  const dir = mkdtempSync(join(tmpdir(), "huey-consumer-class-"));
  const huey = new SqliteHuey("no-module", { filename: join(dir, "queue.db") });
  try {
    for (const workerType of ["thread", "process"] as const) {
      assert.throws(
        () => huey.createConsumer({ workerType }),
        (error) => error instanceof ConfigurationError && /module/.test(error.message),
      );
    }
  } finally {
    await huey.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("run() runs tasks with greenlet workers until stop(), and each worker runs its startup and shutdown hooks", async () => {
  const { huey, hooks, add } = memoryApp();
  const consumer = huey.createConsumer({ workerType: "greenlet", workers: 3, ...FAST });
  const running = consumer.run();
  assert.equal(consumer.run(), running, "a second run() joins the first");
  const results = await add.map([[1, 2], [3, 4], [5, 6]]);
  assert.deepEqual(await results.get({ blocking: true, timeout: 60 }), [3, 7, 11]);
  assert.equal(hooks.startup, 3);
  await withTimeout(consumer.stop(), "stop() to resolve");
  await withTimeout(running, "run() to resolve");
  assert.equal(hooks.shutdown, 3);
  assert.ok(logs.some((line) => line.includes("Huey consumer started with 3 greenlet")));
});

test("await using stops the consumer gracefully at the end of the scope, after the running task", async () => {
  const { huey, hooks, sleepy, started } = memoryApp();
  const result = await sleepy("scoped", 0.2);
  {
    await using consumer = huey.createConsumer({ workerType: "greenlet", ...FAST });
    void consumer.run();
    await waitFor(() => started.length === 1, "the task to start");
  }
  assert.equal(await result.get(), "scoped");
  assert.equal(hooks.shutdown, 1);
});

test("aborting run()'s signal stops the consumer", async () => {
  const { huey, hooks } = memoryApp();
  const controller = new AbortController();
  const running = huey.createConsumer({ workerType: "greenlet", ...FAST }).run({
    signal: controller.signal,
  });
  await waitFor(() => hooks.startup === 1, "the worker to start");
  controller.abort();
  await withTimeout(running, "run() to resolve");
  assert.equal(hooks.shutdown, 1);
});

test("a fast stop interrupts the running task: SIGNAL_INTERRUPTED, no shutdown hooks, the task is pending again", async () => {
  const { huey, hooks, sleepy, started } = memoryApp();
  const interrupted: string[] = [];
  huey.signal((_signal, task) => void interrupted.push(task.id), SIGNAL_INTERRUPTED);
  const consumer = huey.createConsumer({ workerType: "greenlet", ...FAST });
  const running = consumer.run();
  const result = await sleepy("cut", 30);
  await waitFor(() => started.length === 1, "the task to start");
  await withTimeout(consumer.stop({ graceful: false }), "stop() to resolve");
  await withTimeout(running, "run() to resolve");
  assert.deepEqual(interrupted, [result.id]);
  assert.equal(hooks.shutdown, 0);
  assert.equal(await huey.pendingCount(), 1);
  assert.equal(await result.get(), null);
});

test("restart() stops the greenlet workers gracefully and starts new ones, whose startup hooks run again", async () => {
  const { huey, hooks, add } = memoryApp();
  const consumer = huey.createConsumer({ workerType: "greenlet", workers: 2, ...FAST });
  const running = consumer.run();
  await waitFor(() => hooks.startup === 2, "two workers to start");
  await withTimeout(consumer.restart(), "restart() to resolve");
  assert.equal(hooks.shutdown, 2);
  assert.equal(hooks.startup, 4);
  const result = await add(20, 22);
  assert.equal(await result.get({ blocking: true, timeout: 60 }), 42);
  await withTimeout(consumer.stop(), "stop() to resolve");
  await withTimeout(running, "run() to resolve");
});

/** Runs `body` with the fixture app on a fresh SQLite file, its environment also set for thread workers. */
async function withThreadApp(
  body: (context: { app: App; dir: string }) => Promise<void>,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "huey-consumer-class-"));
  const env = {
    HUEY_TEST_DB: join(dir, "queue.db"),
    HUEY_TEST_DIR: dir,
    HUEY_TEST_NAME: "threads",
  };
  const saved = Object.fromEntries(Object.keys(env).map((key) => [key, process.env[key]]));
  Object.assign(process.env, env); // the threads get a copy of this environment
  const app = createApp(env);
  try {
    await body({ app, dir });
  } finally {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    await app.huey.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Options of a consumer with thread workers on the fixture app. */
function threadOptions(workers: number): ConsumerOptions {
  return {
    workerType: "thread",
    workers,
    periodic: false,
    module: { url: pathToFileURL(FIXTURE).href },
    ...FAST,
  };
}

test("thread workers import the module: they run tasks, and restart() runs their startup hooks again", async () => {
  await withThreadApp(async ({ app, dir }) => {
    const consumer = app.huey.createConsumer(threadOptions(2));
    const running = consumer.run();
    try {
      const startups = (): number =>
        readMarkers(dir).filter((line) => line.startsWith("startup")).length;
      await waitFor(() => startups() === 2, "two workers to start");
      const first = await app.add(1, 2);
      assert.equal(await first.get({ blocking: true, timeout: 60 }), 3);
      await withTimeout(consumer.restart(), "restart() to resolve");
      assert.equal(startups(), 4);
      assert.equal(readMarkers(dir).filter((line) => line.startsWith("shutdown")).length, 2);
      const second = await app.add(2, 3);
      assert.equal(await second.get({ blocking: true, timeout: 60 }), 5);
    } finally {
      await withTimeout(consumer.stop({ graceful: false }), "stop() to resolve");
      await withTimeout(running, "run() to resolve");
    }
  });
});

test("stop() right after run() starts no worker, and run() resolves", async () => {
  const { huey, hooks } = memoryApp();
  const consumer = huey.createConsumer({ workerType: "greenlet", workers: 2, ...FAST });
  const running = consumer.run();
  await withTimeout(consumer.stop(), "stop() to resolve");
  await withTimeout(running, "run() to resolve");
  assert.equal(hooks.startup, hooks.shutdown);
});

test("stop() while thread workers are starting stops them once started, and run() resolves", async () => {
  await withThreadApp(async ({ app, dir }) => {
    const consumer = app.huey.createConsumer(threadOptions(2));
    const running = consumer.run();
    await new Promise((resolve) => setTimeout(resolve, 0));
    await withTimeout(consumer.stop(), "stop() to resolve");
    await withTimeout(running, "run() to resolve");
    const lines = readMarkers(dir);
    assert.equal(lines.filter((line) => line.startsWith("startup")).length, 2);
    assert.equal(lines.filter((line) => line.startsWith("shutdown")).length, 2);
  });
});

test("greenlet workers running many fast tasks let timers and I/O of the process run meanwhile", async () => {
  const huey = new MemoryHuey(`consumer-class-${++names}`);
  let ran = 0;
  const work = huey.task(function work() {
    ran += 1;
  });
  await work.map(Array.from({ length: 5000 }, () => []));
  const consumer = huey.createConsumer({
    workerType: "greenlet",
    workers: 2,
    periodic: false,
    ...FAST,
  });
  const running = consumer.run();
  const seen: number[] = [];
  const tick = setInterval(() => seen.push(ran), 0);
  try {
    await waitFor(() => ran === 5000, "every task to run");
  } finally {
    clearInterval(tick);
    await consumer.stop();
    await running;
  }
  assert.ok(
    seen.some((count) => count > 0 && count < 5000),
    `a timer fired while the tasks ran (it saw ${seen.join(", ")})`,
  );
});
