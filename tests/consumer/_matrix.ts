/**
 * The consumer tests that run the real CLI, for one storage and one worker
 * type: tasks and results, scheduled tasks, dead letters, hard timeouts,
 * dead workers, SIGINT, SIGTERM and kill -9. `tests/consumer/sqlite_test.ts`,
 * `redis_test.ts` and `postgres_test.ts` run it for every worker type.
 *
 * @module
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { TaskError } from "../../errors.ts";
import type { Result } from "../../result.ts";
import {
  type CliProcess,
  FAST,
  inScenario,
  type Scenario,
  type StorageChoice,
  waitFor,
} from "./_consumer.ts";

/** What the suite needs to know. */
export interface MatrixOptions {
  /** Gives the storage (a Redis or PostgreSQL URL is known only once the server runs). */
  storage: () => StorageChoice;
  /** Skip every test, with this reason. */
  skip?: string;
}

const CLEAN_EXIT = { code: 0, signal: null };
/** One-second leases: the tasks of a dead worker or consumer come back quickly. */
const SHORT_LEASE = { HUEY_TEST_LEASE: "1" };
/**
 * Three-second leases, renewed every second: a task that blocks past two of
 * them shows renewal at work, while a busy machine may stall the consumer's
 * event loop for up to two seconds without the lease running out.
 */
const RENEWED_LEASE = { HUEY_TEST_LEASE: "3" };

function count(lines: string[], line: string): number {
  return lines.filter((each) => each === line).length;
}

/** Reads a task's stored error; `null` until the one with no retry left is stored. */
async function finalError(result: Result<unknown>): Promise<TaskError | null> {
  try {
    await result.get({ blocking: true, timeout: 60 });
  } catch (error) {
    if (error instanceof TaskError && error.metadata.retries === 0) return error;
    if (!(error instanceof TaskError)) throw error;
  }
  result.reset();
  return null;
}

/**
 * Registers the CLI tests of one storage and worker type.
 *
 * @param label The storage's name in the test titles.
 * @param workerType The `-k` value.
 * @param options See {@linkcode MatrixOptions}.
 */
export function consumerMatrix(
  label: string,
  workerType: "thread" | "process" | "greenlet",
  options: MatrixOptions,
): void {
  const { storage, skip } = options;
  const title = (what: string): string =>
    `consumer on ${label} with ${workerType} workers: ${what}`;
  const flags = (workers: number, ...more: string[]): string[] => [
    ...FAST,
    "-n",
    "-k",
    workerType,
    "-w",
    String(workers),
    ...more,
  ];
  /** Registers a test that runs `body` in a fresh scenario. */
  const scenarioTest = (
    what: string,
    body: (scenario: Scenario) => Promise<void>,
    env?: Record<string, string>,
  ): void => {
    test(title(what), { skip }, () => inScenario(storage(), body, env));
  };
  /** Starts a consumer and waits until each of its workers ran its startup hooks. */
  const startReady = async (
    scenario: Scenario,
    workers: number,
    ...more: string[]
  ): Promise<CliProcess> => {
    const consumer = scenario.start(flags(workers, ...more));
    await scenario.waitMarkers("startup", workers);
    return consumer;
  };

  scenarioTest(
    "runs tasks, runs a scheduled task at its eta, dead-letters bad messages and keeps going",
    async (scenario) => {
      const { app, markers } = scenario;
      await startReady(scenario, 2);
      const sum = await app.add(1, 2);
      assert.equal(await sum.get({ blocking: true, timeout: 60 }), 3);
      const group = await app.add.map([[1, 1], [2, 2], [3, 3]]);
      assert.deepEqual(await group.get({ blocking: true, timeout: 60 }), [2, 4, 6]);

      const eta = new Date(Date.now() + 1000);
      const stamped = await app.stamp.schedule({ eta });
      const ranAt = await stamped.get({ blocking: true, timeout: 60 });
      assert.ok(
        ranAt !== null && ranAt >= eta.getTime(),
        `ran at ${ranAt}, before its eta ${eta.getTime()}`,
      );

      const ghost = app.huey.task(function ghost(): void {});
      await ghost();
      ghost.unregister();
      await app.huey.storage.enqueue(new TextEncoder().encode("not a message"), 0);
      const next = await app.add(5, 5);
      assert.equal(await next.get({ blocking: true, timeout: 60 }), 10);
      const letters = await waitFor(async () => {
        const found = await app.huey.deadLetters();
        return found.length === 2 && found;
      }, "two dead letters");
      assert.match(letters.map((letter) => letter.reason).join("\n"), /Unknown task "ghost"/);
      assert.equal(await app.huey.pendingCount(), 0);
      assert.ok(!markers().some((line) => line.startsWith("tick")), "-n: no periodic task ran");
    },
  );

  scenarioTest(
    "SIGINT lets the running task finish, runs every worker's shutdown hooks and exits 0",
    async (scenario) => {
      const { app, markers, waitMarkers } = scenario;
      const consumer = await startReady(scenario, 2);
      const result = await app.slow("graceful", 1);
      await waitMarkers("start graceful");
      assert.deepEqual(await consumer.stop("SIGINT"), CLEAN_EXIT);
      assert.equal(count(markers(), "end graceful"), 1);
      assert.equal(await result.get(), "graceful");
      assert.equal(markers().filter((line) => line.startsWith("shutdown")).length, 2);
      assert.equal(await app.huey.pendingCount(), 0);
    },
  );

  scenarioTest(
    "a second SIGINT during a graceful stop interrupts the running task, which is pending again",
    async (scenario) => {
      const { app, markers, waitMarkers } = scenario;
      const consumer = await startReady(scenario, 1);
      await app.slow("twice", 30);
      await waitMarkers("start twice");
      consumer.signal("SIGINT");
      await waitFor(
        () => consumer.output().includes("Shutting down gracefully"),
        "the graceful stop",
      );
      assert.deepEqual(await consumer.stop("SIGINT"), CLEAN_EXIT);
      assert.ok(markers().includes("interrupted twice"), "SIGNAL_INTERRUPTED was sent");
      assert.equal(await app.huey.pendingCount(), 1, "the task is pending again");
    },
  );

  scenarioTest(
    "SIGTERM interrupts the running task, puts it back at once, and the next consumer runs it",
    async (scenario) => {
      const { app, start, markers, waitMarkers } = scenario;
      const first = await startReady(scenario, 1);
      const result = await app.slow("term", 3);
      await waitMarkers("start term");
      assert.deepEqual(await first.stop("SIGTERM"), CLEAN_EXIT);
      assert.ok(markers().includes("interrupted term"), "SIGNAL_INTERRUPTED was sent");
      assert.match(
        first.output(),
        new RegExp(`WARNING:huey:[^:]+:Interrupted slow: ${result.id}: .*goes back to the queue`),
        "the consumer says the task went back on the queue",
      );
      assert.equal(await app.huey.pendingCount(), 1, "the task is pending again");
      assert.equal(markers().filter((line) => line.startsWith("shutdown")).length, 0);

      const second = start(flags(1));
      assert.equal(await result.get({ blocking: true, timeout: 60 }), "term");
      assert.equal(count(markers(), "start term"), 2);
      assert.equal(count(markers(), "end term"), 1, "the interrupted run did not go on");
      assert.deepEqual(await second.stop("SIGINT"), CLEAN_EXIT);
    },
  );

  scenarioTest(
    "after kill -9 mid-task, a restarted consumer completes the task and loses nothing",
    async (scenario) => {
      const { app, start, waitMarkers } = scenario;
      const first = await startReady(scenario, 1);
      const crashed = await app.slow("crash", 1);
      await waitMarkers("start crash");
      const queued = await app.add.map([[1, 1], [2, 2]]);
      await first.kill();

      const second = start(flags(1));
      assert.equal(await crashed.get({ blocking: true, timeout: 60 }), "crash");
      assert.deepEqual(await queued.get({ blocking: true, timeout: 60 }), [2, 4]);
      assert.equal(await app.huey.pendingCount(), 0);
      assert.deepEqual(await second.stop("SIGINT"), CLEAN_EXIT);
    },
    SHORT_LEASE,
  );

  const timeoutTask = workerType === "greenlet" ? "stall" : "hang";
  scenarioTest(
    `a task past its timeout fails with TaskTimeout after its retry, and the next task runs`,
    async (scenario) => {
      const { app, markers, waitMarkers } = scenario;
      const consumer = await startReady(scenario, 1, "-c", "1");
      const result = await app[timeoutTask]("late");
      // Each failure stores its error (as huey does); the last one has no retry left.
      const final = await waitFor(
        () => finalError(result),
        "the error of the last attempt",
        30_000,
      );
      assert.equal(final.metadata.name, "TaskTimeout");
      assert.equal(
        count(markers(), `${timeoutTask} late`),
        2,
        "it ran once more after the timeout",
      );
      const next = await app.add(2, 2);
      assert.equal(await next.get({ blocking: true, timeout: 60 }), 4);
      if (workerType !== "greenlet") {
        assert.match(consumer.output(), /ran past its timeout of 1s: ending Worker-1/);
        await waitMarkers("startup", 3);
      }
      assert.deepEqual(await consumer.stop("SIGINT"), CLEAN_EXIT);
    },
  );

  if (workerType !== "greenlet") {
    scenarioTest(
      "SIGTERM ends a worker stuck in synchronous code, and its task is pending again at once",
      async (scenario) => {
        const { app, waitMarkers } = scenario;
        const consumer = await startReady(scenario, 1);
        await app.block("stuck", 30);
        await waitMarkers("block stuck");
        assert.deepEqual(await consumer.stop("SIGTERM"), CLEAN_EXIT);
        assert.equal(await app.huey.pendingCount(), 1, "released, long before its lease expires");
      },
      { HUEY_TEST_LEASE: "60" },
    );

    scenarioTest(
      "the lease of a task that blocks its worker is kept: no other worker runs it meanwhile",
      async (scenario) => {
        const { app, markers } = scenario;
        const consumer = await startReady(scenario, 2);
        const result = await app.block("long", 7);
        assert.equal(await result.get({ blocking: true, timeout: 60 }), "long");
        assert.equal(count(markers(), "block long"), 1);
        assert.deepEqual(await consumer.stop("SIGINT"), CLEAN_EXIT);
      },
      RENEWED_LEASE,
    );

    scenarioTest(
      "a worker that dies is replaced, and the task it ran comes back",
      async (scenario) => {
        const { app, waitMarkers } = scenario;
        const consumer = await startReady(scenario, 1, "-c", "1");
        const result = await app.die("d1");
        assert.equal(await result.get({ blocking: true, timeout: 60 }), "survived");
        await waitMarkers("startup", 2);
        assert.match(consumer.output(), /Worker-1 died, starting a new one/);
        const next = await app.add(3, 3);
        assert.equal(await next.get({ blocking: true, timeout: 60 }), 6);
        assert.deepEqual(await consumer.stop("SIGINT"), CLEAN_EXIT);
      },
      SHORT_LEASE,
    );
  }

  if (workerType === "greenlet") {
    scenarioTest(
      "two consumers with periodic tasks enqueue each minute's task once",
      async ({ start }) => {
        const minute = (): number => Math.floor(Date.now() / 60_000);
        const first = minute();
        const periodic = [...FAST, "-v", "-k", workerType];
        const consumers = [start(periodic), start(periodic)];
        const checked = /Enqueueing periodic task tick|were enqueued by another consumer/;
        await waitFor(
          () => consumers.every((consumer) => checked.test(consumer.output())),
          "both consumers to check the periodic tasks",
        );
        for (const consumer of consumers) {
          assert.deepEqual(await consumer.stop("SIGINT"), CLEAN_EXIT);
        }
        const minutes = minute() - first + 1;
        const enqueued = consumers
          .map((consumer) => consumer.output().match(/Enqueueing periodic task tick/g)?.length ?? 0)
          .reduce((sum, each) => sum + each, 0);
        assert.ok(
          enqueued >= 1 && enqueued <= minutes,
          `${enqueued} enqueues over ${minutes} minute(s)`,
        );
      },
    );
  }
}
