/**
 * Rate limits, unique tasks and progress through the real CLI on SQLite,
 * with thread and process workers: the executor runs in the worker, so the
 * limit's counter, the unique marker and the progress are written there.
 *
 * @module
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { FAST, inScenario, killAll, waitFor } from "./_consumer.ts";

after(killAll);

for (const workerType of ["thread", "process"] as const) {
  test(`consumer on SQLite with ${workerType} workers: a rate-limited call is rescheduled, a unique task is enqueued once, progress is readable`, async () => {
    await inScenario({ kind: "sqlite" }, async (scenario) => {
      const { app } = scenario;
      scenario.start([...FAST, "-n", "-k", workerType, "-w", "2"]);
      await scenario.waitMarkers("startup", 2);

      const progress = await app.progressing("p");
      assert.equal(await progress.get({ blocking: true, timeout: 60 }), "p");
      assert.deepEqual(await progress.progress(), { id: "p", done: true });

      await app.limited("a");
      await app.limited("b");
      const [rescheduled] = await waitFor(async () => {
        const scheduled = await app.huey.scheduled();
        return scheduled.length === 1 && scheduled;
      }, "the rate-limited call in the schedule");
      assert.equal(rescheduled.retries, 0);
      assert.equal(scenario.markers().filter((line) => line.startsWith("limited")).length, 1);

      const first = await app.once("x");
      assert.equal(await first.get({ blocking: true, timeout: 60, preserve: true }), "x");
      const second = await app.once("x"); // done for good: enqueued again
      assert.equal(second.id, first.id);
      await scenario.waitMarkers("once x", 2);
    });
  });
}
