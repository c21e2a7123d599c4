/**
 * Process workers talk to the consumer over an IPC channel, not standard
 * output (SPEC §8): what a task writes reaches the consumer's output
 * untouched, and the outcome a run stored is never replaced by a timeout of
 * that run. The real CLI with `-k process` on SQLite.
 *
 * @module
 */
import assert from "node:assert/strict";
import process from "node:process";
import { after, test } from "node:test";
import { FAST, inScenario, killAll, waitFor } from "./_consumer.ts";

after(killAll);

const SQLITE = { kind: "sqlite" } as const;
const CLEAN_EXIT = { code: 0, signal: null };
const PROCESS_WORKER = [...FAST, "-n", "-k", "process", "-w", "1"];

/** Bytes of the protocol a worker's messages would show if they leaked into the output. */
function assertNoProtocol(output: string): void {
  assert.ok(!output.includes("\u0000"), `a NUL byte in the output:\n${output}`);
  assert.doesNotMatch(output, /"type":"(start|finish|ready|stopped)"/);
}

test("a process worker's task writing partial lines: the output comes through verbatim and the results are right", () =>
  inScenario(SQLITE, async ({ app, start, waitMarkers }) => {
    const consumer = start(PROCESS_WORKER);
    await waitMarkers("startup");
    const results = [];
    for (const n of [1, 2, 3]) results.push(await app.chatty(`<out ${n}>`, `<err ${n}>`, n));
    for (const [index, result] of results.entries()) {
      assert.equal(await result.get({ blocking: true, timeout: 60 }), index + 1);
    }
    const stdout = await waitFor(
      () => consumer.stdout().includes("<out 3>") && consumer.stdout(),
      "the third task's output",
    );
    // Nothing but the tasks writes to the consumer's standard output.
    assert.equal(stdout, "<out 1><out 2><out 3>");
    const stderr = await waitFor(
      () => consumer.stderr().includes("<err 3>") && consumer.stderr(),
      "the third task's error output",
    );
    for (const n of [1, 2, 3]) assert.ok(stderr.includes(`<err ${n}>`), `<err ${n}> in\n${stderr}`);
    assertNoProtocol(stdout);
    assertNoProtocol(stderr);
    assert.doesNotMatch(consumer.output(), /ran past its timeout/);
    assert.deepEqual(await consumer.stop("SIGINT"), CLEAN_EXIT);
  }));

test("a process worker's result read before the task's deadline stays: no timeout is stored over it", () =>
  inScenario(SQLITE, async ({ app, start, markers, waitMarkers }) => {
    const consumer = start(PROCESS_WORKER);
    await waitMarkers("startup");
    // A dot without a newline used to swallow the message that said the task finished.
    const dotted = await app.chatty(".", "", 3);
    assert.equal(await dotted.get({ blocking: true, timeout: 10, preserve: true }), 3);
    // The same worker runs on past the first task's deadline (its timeout of 1 s and the grace).
    const later = await app.slow("later", 2.5);
    assert.equal(await later.get({ blocking: true, timeout: 60 }), "later");
    dotted.reset();
    assert.equal(await dotted.get({ preserve: true }), 3);
    assert.doesNotMatch(consumer.output(), /ran past its timeout/);
    assert.equal(
      markers().filter((line) => line.startsWith("startup")).length,
      1,
      "the worker was not ended",
    );
    assert.ok(consumer.stdout().includes("."));
    assertNoProtocol(consumer.output());
    assert.deepEqual(await consumer.stop("SIGINT"), CLEAN_EXIT);
  }));

/** Whether a process is still running. */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test("process workers end by themselves when their consumer is killed with SIGKILL", () =>
  inScenario(SQLITE, async ({ start, waitMarkers }) => {
    const consumer = start([...FAST, "-n", "-k", "process", "-w", "2"]);
    const workers = (await waitMarkers("startup", 2)).map((line) => Number(line.split(" ")[1]));
    assert.ok(workers.every(isRunning));
    // The consumer alone, not its process group: its workers see their channel close.
    process.kill(consumer.child.pid!, "SIGKILL");
    await waitFor(() => !workers.some(isRunning), "the workers to exit");
  }));
