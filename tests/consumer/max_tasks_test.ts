/**
 * Issue 12 item 4 (SPEC §9, huey 3.3), through the real CLI on SQLite:
 * `-M/--max-tasks N` replaces a worker after it ran N tasks (it finishes
 * them; a fresh one takes its place; no task is lost).
 *
 * @module
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { parseCommandLine, resolveConsumerOptions, UsageError } from "../../consumer/options.ts";
import { ConfigurationError } from "../../errors.ts";
import { FAST, inScenario, killAll } from "./_consumer.ts";

after(killAll);

const CLEAN_EXIT = { code: 0, signal: null };

for (const workerType of ["process", "thread"] as const) {
  test(`-M 2 -k ${workerType} -w 1: six tasks run in three workers, one after the other`, () =>
    inScenario({ kind: "sqlite" }, async ({ app, start, waitMarkers, markers }) => {
      const consumer = start([...FAST, "-n", "-k", workerType, "-w", "1", "-M", "2"]);
      await waitMarkers("startup");
      const results = await app.pid.map(Array.from({ length: 6 }, () => []));
      const pids = await results.get({ blocking: true, timeout: 60 });
      await waitMarkers("startup", 4); // the fourth worker, started after the sixth task
      assert.deepEqual(await consumer.stop("SIGINT"), CLEAN_EXIT);
      assert.equal(await app.huey.pendingCount(), 0, "no task lost or left behind");
      const output = consumer.output();
      const restarts = output.match(/Worker-1 restarting \(max tasks\)\./g) ?? [];
      assert.equal(restarts.length, 3, output);
      assert.match(output, /Worker reached max tasks \(2\), exiting\./);
      if (workerType === "process") {
        assert.equal(pids.length, 6);
        assert.equal(new Set(pids).size, 3, `pids ${pids.join(", ")}`);
        for (let i = 0; i < 6; i += 2) assert.equal(pids[i], pids[i + 1], "two tasks per worker");
      } else {
        assert.deepEqual(pids, Array(6).fill(pids[0]), "threads share the consumer's pid");
      }
      // Each worker ran its shutdown hooks before its successor's startup hooks.
      const lifecycle = markers().filter((line) => /^(startup|shutdown) /.test(line));
      assert.deepEqual(
        lifecycle.map((line) => line.split(" ")[0]),
        [
          "startup",
          "shutdown",
          "startup",
          "shutdown",
          "startup",
          "shutdown",
          "startup",
          "shutdown",
        ],
      );
    }));
}

test("-M with greenlet workers restarts the loop after N tasks (its hooks run again), as huey's greenlets", () =>
  inScenario({ kind: "sqlite" }, async ({ app, start, waitMarkers }) => {
    const consumer = start([...FAST, "-n", "-k", "greenlet", "-w", "1", "-M", "3"]);
    await waitMarkers("startup");
    const results = await app.add.map(Array.from({ length: 7 }, (_, i) => [i, i]));
    assert.deepEqual(await results.get({ blocking: true, timeout: 60 }), [0, 2, 4, 6, 8, 10, 12]);
    await waitMarkers("startup", 3);
    assert.deepEqual(await consumer.stop("SIGINT"), CLEAN_EXIT);
    const restarts = consumer.output().match(/Worker-1 restarting \(max tasks\)\./g) ?? [];
    assert.equal(restarts.length, 2);
  }));

test("-M/--max-tasks takes an integer >= 1", () => {
  assert.equal(parseCommandLine(["app.ts", "-M", "5"]).options.maxTasks, 5);
  assert.equal(parseCommandLine(["app.ts", "--max-tasks", "1"]).options.maxTasks, 1);
  assert.equal(parseCommandLine(["app.ts"]).options.maxTasks, undefined);
  for (const bad of ["0", "-1", "1.5", "x", ""]) {
    assert.throws(
      () => parseCommandLine(["app.ts", `--max-tasks=${bad}`]),
      (error: Error) =>
        error instanceof UsageError &&
        error.message === `option -M/--max-tasks must be an integer >= 1, got '${bad}'`,
    );
  }
  assert.equal(resolveConsumerOptions({}).maxTasks, null);
  assert.throws(
    () => resolveConsumerOptions({ maxTasks: 0 }),
    (error: Error) =>
      error instanceof ConfigurationError &&
      error.message === "Option 'maxTasks' must be an integer >= 1, got 0",
  );
});
