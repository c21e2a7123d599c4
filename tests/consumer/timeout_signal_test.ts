/**
 * Issue 12 item 4 (SPEC §9, huey 3.3), through the real CLI on SQLite: a
 * task ended by its timeout in a thread or process worker (the consumer
 * ends the worker and records the failure) emits SIGNAL_TIMEOUT, not
 * SIGNAL_ERROR, logs a WARNING and its requeue line, and is retried.
 *
 * @module
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { TaskError } from "../../errors.ts";
import { FAST, inScenario, killAll, waitFor } from "./_consumer.ts";

after(killAll);

const CLEAN_EXIT = { code: 0, signal: null };

for (const workerType of ["process", "thread"] as const) {
  test(`a ${workerType} worker's task ended by its timeout emits SIGNAL_TIMEOUT, warns, and is retried`, () =>
    inScenario({ kind: "sqlite" }, async ({ app, start, waitMarkers, markers }) => {
      const consumer = start([...FAST, "-n", "-k", workerType, "-w", "1", "-c", "1"]);
      await waitMarkers("startup");
      const result = await app.hang("late"); // timeout 1, retries 1
      await waitMarkers("timeout late", 2);
      const error = await waitFor(async () => {
        const stored = await result.get().catch((error) => error);
        result.reset();
        return stored instanceof TaskError && stored.metadata.retries === 0 && stored;
      }, "the final TaskTimeout");
      assert.equal(error.metadata.name, "TaskTimeout");
      assert.equal(markers().filter((line) => line === "hang late").length, 2);
      const next = await app.add(2, 2);
      assert.equal(await next.get({ blocking: true, timeout: 60 }), 4);
      assert.deepEqual(await consumer.stop("SIGINT"), CLEAN_EXIT);
      const output = consumer.output();
      const warnings = output.match(
        new RegExp(`WARNING:huey:.*Task ${result.id} timed out after 1s\\.`, "g"),
      );
      assert.equal(warnings?.length, 2, output);
      assert.match(
        output,
        new RegExp(`INFO:huey:.*Requeueing hang: ${result.id} in 0s, 0 retries left`),
      );
      assert.doesNotMatch(output, /Unhandled exception in task/);
    }));
}
