/**
 * Stats and metrics of real consumers (issue 13 items 2 and 4): the CLI in
 * a subprocess on SQLite (and Redis), with thread and process workers, shows in
 * `huey.stats()` with its workers and the task it runs, serves `--metrics`
 * (linted by promtool), disappears three health-check intervals after a
 * SIGKILL, and removes its record at once when it stops.
 *
 * @module
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { metrics } from "../../mod.ts";
import { promtoolCheck, promtoolSkip } from "../_promtool.ts";
import { quietLogs } from "../_helpers.ts";
import { type RedisServer, redisSkip, startRedis } from "../_redis_server.ts";
import {
  type CliProcess,
  FAST,
  inScenario,
  killAll,
  type StorageChoice,
  waitFor,
} from "./_consumer.ts";

quietLogs();
let redis: RedisServer | undefined;
before(async () => {
  if (!redisSkip) redis = await startRedis();
});
after(async () => {
  await killAll();
  await redis?.stop();
});

const STORAGES: { kind: string; skip?: string; choice: () => StorageChoice }[] = [
  { kind: "sqlite", choice: () => ({ kind: "sqlite" }) },
  { kind: "redis", skip: redisSkip, choice: () => ({ kind: "redis", url: redis!.url }) },
];

/** The metrics URL a consumer logged. */
function metricsUrl(consumer: CliProcess): Promise<string> {
  return waitFor(
    () => /Metrics served at (\S+)/.exec(consumer.output())?.[1],
    "the consumer to log its metrics URL",
  );
}

/** The value of the sample whose line starts with `prefix` (name and labels), or undefined. */
function sample(page: string, prefix: string): number | undefined {
  const line = page.split("\n").find((each) => each.startsWith(prefix + " "));
  return line === undefined ? undefined : Number(line.slice(prefix.length + 1));
}

const CASES = STORAGES.flatMap((storage) =>
  (["thread", "process"] as const).map((workerType) => ({ ...storage, workerType }))
).filter(({ kind, workerType }) => kind === "sqlite" || workerType === "process");

for (const { kind, skip, choice, workerType } of CASES) {
  test(
    `a consumer with ${workerType} workers on ${kind} shows in stats and metrics with the task it runs, and is gone three intervals after a SIGKILL`,
    {
      skip,
    },
    () =>
      inScenario(choice(), async ({ app, start, waitMarkers }) => {
        const consumer = start([
          ...FAST,
          "-k",
          workerType,
          "-w",
          "2",
          "-c",
          "0.3",
          "--metrics",
          "0",
        ]);
        const url = await metricsUrl(consumer);
        await app.slow("s1", 60);
        await waitMarkers("start s1");
        const seen = await waitFor(async () => {
          const { consumers } = await app.huey.stats();
          return consumers[0]?.running.length === 1 && consumers[0];
        }, "the consumer's heartbeat to list the running task");
        assert.equal(seen.pid, consumer.child.pid);
        assert.equal(seen.id, `${seen.host}:${seen.pid}`);
        assert.equal(seen.workers, 2);
        assert.equal(seen.workerType, workerType);
        assert.equal(seen.running[0].name, "slow");
        assert.match(seen.running[0].worker, /^Worker-[12]$/);
        assert.equal((await app.huey.stats()).running, 1);

        const page = await (await fetch(url)).text();
        assert.equal(sample(page, "huey_consumers"), 1, page);
        assert.equal(sample(page, "huey_tasks_running"), 1, page);
        if (!promtoolSkip) {
          const checked = await promtoolCheck(page);
          assert.equal(checked.code, 0, `${checked.output}\n${page}`);
        }

        await consumer.kill();
        await waitFor(
          async () => (await app.huey.stats()).consumers.length === 0,
          "the killed consumer's heartbeat to expire",
        );
        assert.equal(sample(await metrics(app.huey), "huey_consumers"), 0);
      }),
  );
}

test("a consumer that stops removes its heartbeat at once", () =>
  inScenario({ kind: "sqlite" }, async ({ app, start }) => {
    // A long interval: only the removal can make the record go before the test ends.
    const consumer = start([...FAST, "-k", "thread", "-c", "600"]);
    await waitFor(
      async () => (await app.huey.stats()).consumers.length === 1,
      "the consumer's first heartbeat",
    );
    const exit = await consumer.stop("SIGINT");
    assert.deepEqual(exit, { code: 0, signal: null });
    assert.deepEqual((await app.huey.stats()).consumers, []);
  }));
