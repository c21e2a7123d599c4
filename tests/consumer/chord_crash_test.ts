/**
 * The chord crash test of issue 12 item 1: the real consumer CLI, on SQLite, Redis and PostgreSQL,
 * kills itself with SIGKILL at a step of a chord's completion (before the callback is enqueued,
 * after it is enqueued but before the last member's message is acknowledged, or at that
 * acknowledgement); a new consumer then finishes the chord. The callback runs exactly once, with
 * every member's value, and nothing is left in the queue or the schedule.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { type RedisServer, redisSkip, startRedis } from "../_redis_server.ts";
import { type PostgresServer, postgresSkip, startPostgres } from "../_postgres_server.ts";
import { createChordApp, type KillStep } from "../fixtures/chord_tasks.ts";
import {
  type CliProcess,
  FAST,
  inScenario,
  killAll,
  ROOT,
  startCli,
  type StorageChoice,
  withTimeout,
} from "./_consumer.ts";

const CHORD_FIXTURE = join(ROOT, "tests", "fixtures", "chord_app.ts");

let server: RedisServer | undefined;
let postgres: PostgresServer | undefined;

before(async () => {
  if (!redisSkip) server = await startRedis();
  if (!postgresSkip) postgres = await startPostgres();
});
after(async () => {
  await killAll();
  await server?.stop();
  await postgres?.remove();
});

const STEPS: KillStep[] = ["enqueueOnce", "deleteMembers", "ack"];
const STORAGES: [string, () => StorageChoice, string | undefined][] = [
  ["SQLite", () => ({ kind: "sqlite" }), undefined],
  ["Redis", () => ({ kind: "redis", url: server!.url }), redisSkip],
  ["PostgreSQL", () => ({ kind: "postgres", url: postgres!.url }), postgresSkip],
];

for (const [label, storage, skip] of STORAGES) {
  for (const step of STEPS) {
    test(
      `${label}: a consumer killed (SIGKILL) at ${step} of a chord's completion; the next one fires the callback exactly once`,
      {
        skip,
      },
      () =>
        inScenario(storage(), async ({ env, markers, waitMarkers }) => {
          const consumerEnv = { ...env, HUEY_TEST_KILL_AT: step };
          const { huey, incr, collect } = createChordApp(env);
          const started: CliProcess[] = [];
          // Two workers only while the callback is not enqueued yet. Once it is (the
          // deleteMembers and ack steps), a second worker could start it before the kill,
          // and a task whose consumer dies mid-run runs again (at-least-once, like any task):
          // the test is about the chord enqueueing its callback once, so one worker then.
          // With one worker the next ack after the cleanup is the member's own, too.
          const args = [CHORD_FIXTURE, ...FAST, "-w", step === "enqueueOnce" ? "2" : "1"];
          try {
            const result = await huey.enqueue(
              huey.chord([1, 2, 3, 4].map((n) => incr.s(n)), collect),
            );
            const first = startCli(args, consumerEnv);
            started.push(first);
            const exit = await withTimeout(first.exited, "the first consumer to kill itself");
            assert.equal(exit.signal, "SIGKILL", first.output());

            const second = startCli(args, consumerEnv);
            started.push(second);
            assert.equal(await result.get({ blocking: true, timeout: 60 }), 2 + 3 + 4 + 5);
            assert.deepEqual(await waitMarkers("callback"), ["callback [2,3,4,5]"]);
            // A task due three lease timeouts (1 s each) from now: once it has run, any message
            // the first consumer left unacknowledged has come back and run meanwhile.
            const sentinel = await incr.schedule({ args: [0], delay: 3 });
            assert.equal(await sentinel.get({ blocking: true, timeout: 60 }), 1);
            assert.deepEqual(
              markers().filter((line) => line.startsWith("callback")),
              ["callback [2,3,4,5]"],
              "the callback ran exactly once",
            );
            assert.equal(await huey.pendingCount(), 0, "nothing is left in the queue");
            assert.equal(await huey.scheduledCount(), 0, "nothing is left in the schedule");
            const left = [...(await huey.storage.resultItems()).keys()]
              .filter((key) => key.startsWith("chord:"));
            assert.deepEqual(left, [], "no member outcome is left");
            assert.equal((await second.stop("SIGINT")).code, 0);
          } finally {
            await Promise.all(started.map((running) => running.kill()));
            await huey.close().catch(() => {});
          }
        }, { HUEY_TEST_LEASE: "1" }),
    );
  }
}
