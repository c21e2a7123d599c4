/**
 * The failures list (issue 13 item 3) through the real CLI on SQLite, with
 * thread and process workers: the executor runs in the worker, so the
 * failure is recorded there; the test's own Huey lists it and retries it.
 *
 * @module
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { FAST, inScenario, killAll, waitFor } from "./_consumer.ts";

after(killAll);

for (const workerType of ["thread", "process"] as const) {
  test(`consumer on SQLite with ${workerType} workers records a task that failed for good; retryFailure runs it again`, async () => {
    await inScenario({ kind: "sqlite" }, async (scenario) => {
      const { app } = scenario;
      scenario.start([...FAST, "-k", workerType, "-w", "2"]);
      const sum = await app.add(1, 2);
      const result = await app.fails("x");
      assert.equal(await sum.get({ blocking: true, timeout: 60 }), 3);
      const [failure] = await waitFor(async () => {
        const failures = await app.huey.failures();
        return failures.length > 0 && failures;
      }, "the failure of fails('x')");
      assert.equal(failure.id, result.id);
      assert.equal(failure.name, "fails");
      assert.deepEqual(failure.args, ["x"]);
      assert.equal(failure.error, "Error: task fails x");
      assert.match(failure.traceback ?? "", /task fails x/);
      assert.equal(failure.retries, 1);
      assert.equal(await app.huey.failureCount(), 1, "the successful add is not a failure");

      assert.equal(await app.huey.retryFailure(failure.id), true);
      const [again] = await waitFor(async () => {
        const failures = await app.huey.failures();
        return failures.length === 1 && failures; // retryFailure removed the first record
      }, "the failure of the retried fails('x')");
      assert.equal(again.id, failure.id);
      assert.ok(again.at >= failure.at);
      assert.equal(again.retries, 1, "the retry ran with the task's retries again");
      assert.equal(await app.huey.purgeFailures(), 1);
    });
  });
}
