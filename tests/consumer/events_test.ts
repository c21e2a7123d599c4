/**
 * Issue 13's "done when" for events: two consumers (thread workers and
 * process workers) on SQLite and on Redis, and a listener in a third
 * process, which receives every event of 1,000 tasks (completions, a retry,
 * a failure, a revoke, a timeout) in order per task, nothing missing, and
 * each consumer's start and stop.
 *
 * @module
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { join } from "node:path";
import { single } from "../_helpers.ts";
import { metrics } from "../../mod.ts";
import { type RedisServer, redisSkip, startRedis } from "../_redis_server.ts";
import {
  type CliProcess,
  FAST,
  inScenario,
  killAll,
  ROOT,
  type Scenario,
  startScript,
  type StorageChoice,
  waitFor,
  withTimeout,
} from "./_consumer.ts";

const LISTENER = join(ROOT, "tests", "fixtures", "event_listener.ts");
/** How many `add` tasks complete (with the retried, failed, revoked and timed-out tasks: 1,000). */
const COMPLETIONS = 997;

let server: RedisServer | undefined;

before(async () => {
  if (!redisSkip) server = await startRedis();
});
after(async () => {
  await killAll();
  await server?.stop();
});

/** An event as the listener prints it. */
interface Printed {
  seq: string;
  type: string;
  id: string;
  name: string;
  consumer: string;
  worker: string;
  duration?: number;
  error?: string;
}

/** The events the listener printed so far. */
function printed(listener: CliProcess): Printed[] {
  return listener.stdout().split("\n").filter((line) => line.startsWith('{"type"'))
    .map((line) => JSON.parse(line));
}

/** The event types of a task, in the order the listener received them. */
function typesOf(events: Printed[], id: string): string[] {
  return events.filter((event) => event.id === id).map((event) => event.type);
}

/**
 * Asserts the events of a task that runs twice: its failed run, then the
 * retry's run. The retry's `enqueued` follows `retrying`, but is published
 * once the message is back in the queue: another consumer may store its
 * next run's events first.
 */
function assertRetried(events: Printed[], id: string, failure: string, last: string): void {
  const types = typesOf(events, id);
  assert.deepEqual(
    types.filter((type) => type !== "enqueued"),
    ["executing", failure, "retrying", "executing", last],
    `${id}: ${types.join(", ")}`,
  );
  assert.equal(types.filter((type) => type === "enqueued").length, 1, types.join(", "));
  assert.ok(types.indexOf("enqueued") > types.indexOf("retrying"), types.join(", "));
}

async function everyEvent(scenario: Scenario): Promise<void> {
  const { app, env, start } = scenario;
  const listener = startScript(LISTENER, [], {
    ...env,
    HUEY_TEST_SINCE: new Date(Date.now() - 1000).toISOString(),
    HUEY_TEST_STOPS: "2",
  });
  await waitFor(() => listener.stdout().includes('{"listening":true}'), "the listener");
  const threads = start([...FAST, "-n", "-k", "thread", "-w", "2"]);
  const processes = start([...FAST, "-n", "-k", "process", "-w", "2"]);
  await scenario.waitMarkers("startup", 4); // both take tasks from the start
  // Four slow tasks first: whichever consumer takes them is busy for a second, and the other one
  // takes adds meanwhile, so that both consumers run tasks whatever the machine's load (one
  // consumer once leased all the adds ahead on Redis).
  const slows = await Promise.all([1, 2, 3, 4].map((i) => app.slow(`s${i}`, 1)));
  const revokedTask = app.add.s(0, 0);
  await app.huey.revoke(revokedTask);
  const revoked = single(await app.huey.enqueue(revokedTask));
  const adds = await app.huey.enqueueMany(
    Array.from({ length: COMPLETIONS }, (_, i) => app.add.s(i, 1)),
  );
  const failing = await app.fails("for good");
  const stalled = await app.stall("past its timeout");
  const results = adds.results;
  assert.equal(await results.at(-1)!.get({ blocking: true, timeout: 120 }), COMPLETIONS);
  await waitFor(
    () => {
      const events = printed(listener);
      const completes = events.filter((event) => event.type === "complete").length;
      const ends = [failing.id, stalled.id].map((id) =>
        typesOf(events, id).filter((type) => type === "error" || type === "timeout").length
      );
      return completes === COMPLETIONS + slows.length && ends[0] === 2 && ends[1] === 2;
    },
    "every task's last event",
    120_000,
  ).catch((error) => {
    console.error(`--- listener ---\n${listener.output()}`);
    throw error;
  });
  const clean = { code: 0, signal: null };
  assert.deepEqual(await threads.stop("SIGINT"), clean);
  assert.deepEqual(await processes.stop("SIGINT"), clean);
  assert.deepEqual(await withTimeout(listener.exited, "the listener's end"), clean);

  const events = printed(listener);
  const consumers = new Set(events.map((event) => event.consumer));
  assert.equal(consumers.size, 2, [...consumers].join());
  for (const consumer of consumers) {
    const own = events.filter((event) => event.consumer === consumer);
    assert.equal(own[0].type, "consumer-started");
    assert.equal(own.at(-1)!.type, "consumer-stopped");
    assert.equal(own.filter((event) => event.type.startsWith("consumer-")).length, 2);
  }
  const workers = new Set(events.filter((event) => event.id !== "").map((event) => event.worker));
  assert.deepEqual([...workers].sort(), ["Worker-1", "Worker-2"], "each event names its worker");

  for (const [i, result] of results.entries()) {
    const types = typesOf(events, result.id);
    assert.deepEqual(types, ["executing", "complete"], `add #${i} ${result.id}`);
  }
  for (const slow of slows) assert.deepEqual(typesOf(events, slow.id), ["executing", "complete"]);
  const completes = events.filter((event) => event.type === "complete");
  assert.ok(completes.every((event) => event.duration! >= 0 && /^(add|slow)$/.test(event.name)));
  assert.equal(
    new Set(completes.map((event) => event.consumer)).size,
    2,
    "both consumers ran tasks",
  );
  assert.deepEqual(typesOf(events, revoked.id), ["revoked"]);
  assertRetried(events, failing.id, "error", "error");
  const error = events.find((event) => event.id === failing.id && event.type === "error")!;
  assert.equal(error.error, "task fails for good");
  assertRetried(events, stalled.id, "timeout", "timeout");

  const ids = new Set([
    revoked.id,
    failing.id,
    stalled.id,
    ...results.map((result) => result.id),
    ...slows.map((slow) => slow.id),
  ]);
  assert.equal(ids.size, 1000 + slows.length);
  const strays = events.filter((event) => event.id !== "" && !ids.has(event.id));
  assert.deepEqual(strays, [], "no event of another task");
  const seqs = events.map((event) => event.seq);
  assert.equal(new Set(seqs).size, seqs.length, "each event received once");
  await agreeWithWhatRan(scenario, failing.id, stalled.id);
}

/**
 * Asserts that `stats()`, `failures()` and `metrics()`, read from another
 * process's Huey, agree with what the two consumers ran.
 */
async function agreeWithWhatRan(
  { app }: Scenario,
  failingId: string,
  stalledId: string,
): Promise<void> {
  const stats = await app.huey.stats();
  assert.deepEqual(
    stats.consumers,
    [],
    "both consumers removed their heartbeats when they stopped",
  );
  assert.deepEqual([stats.pending, stats.scheduled, stats.running], [0, 0, 0]);
  const counts = (name: string) => {
    const { completed, failed, retried, revoked } = stats.tasks[name];
    return { completed, failed, retried, revoked };
  };
  assert.deepEqual(counts("add"), { completed: COMPLETIONS, failed: 0, retried: 0, revoked: 1 });
  assert.deepEqual(counts("fails"), { completed: 0, failed: 1, retried: 1, revoked: 0 });
  assert.deepEqual(counts("stall"), { completed: 0, failed: 1, retried: 1, revoked: 0 });
  assert.equal(stats.failures, 2);
  const failed = await app.huey.failures();
  assert.deepEqual(failed.map((failure) => failure.id).sort(), [failingId, stalledId].sort());

  const page = await metrics(app.huey);
  for (
    const line of [
      `huey_tasks_total{task="add",outcome="completed"} ${COMPLETIONS}`,
      `huey_tasks_total{task="add",outcome="revoked"} 1`,
      `huey_tasks_total{task="fails",outcome="failed"} 1`,
      `huey_tasks_total{task="fails",outcome="retried"} 1`,
      `huey_tasks_total{task="stall",outcome="failed"} 1`,
      `huey_failures 2`,
      `huey_consumers 0`,
    ]
  ) assert.ok(page.split("\n").includes(line), `${line} in\n${page}`);
}

const storages: [string, () => StorageChoice, string | undefined][] = [
  ["SQLite", () => ({ kind: "sqlite" }), undefined],
  ["Redis", () => ({ kind: "redis", url: server!.url }), redisSkip],
];

for (const [label, storage, skip] of storages) {
  test(
    `${label}: a listener in another process receives every event of 1,000 tasks run by a thread and a process consumer, in order per task`,
    { skip },
    () => inScenario(storage(), everyEvent),
  );
}
