import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { setImmediate } from "node:timers";
import { fileURLToPath } from "node:url";
import { scriptCommand } from "../_runtime.ts";
import { flushLogs, LogBatch } from "../_log_batch.ts";
import { configureLogging } from "../logger.ts";
import { MemoryHuey } from "../mod.ts";
import { run } from "../scripts/_process.ts";

const FIXTURE = fileURLToPath(new URL("./fixtures/log_then_exit.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../", import.meta.url));

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A batch whose sink records each write. */
function recorded(): { batch: LogBatch; writes: string[] } {
  const writes: string[] = [];
  return { batch: new LogBatch((text) => writes.push(text)), writes };
}

/** The numbered lines the fixture logs, as they must appear, in order. */
function expectedLines(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `line ${i}`);
}

/** The fixture's `line N` messages found in `text`, in order. */
function loggedLines(text: string): string[] {
  return text.split("\n").flatMap((line) => line.match(/:(line \d+)$/)?.[1] ?? []);
}

test("lines logged in one turn are written together, in order, once the turn ends", async () => {
  const { batch, writes } = recorded();
  batch.write("first");
  batch.write("second");
  batch.write("third");
  assert.deepEqual(writes, []);
  await nextTurn();
  assert.deepEqual(writes, ["first\nsecond\nthird"]);
  batch.write("fourth");
  await nextTurn();
  assert.deepEqual(writes, ["first\nsecond\nthird", "fourth"]);
});

test("flushLogs() writes what every batch holds at once", () => {
  const one = recorded();
  const two = recorded();
  one.batch.write("a");
  two.batch.write("b");
  one.batch.write("c");
  flushLogs();
  assert.deepEqual(one.writes, ["a\nc"]);
  assert.deepEqual(two.writes, ["b"]);
});

test("a sink that throws does not lose the lines: they go to standard error", async () => {
  const batch = new LogBatch(() => {
    throw new Error("disk full");
  });
  const original = console.error;
  const seen: unknown[] = [];
  console.error = (...args: unknown[]) => seen.push(...args);
  try {
    batch.write("kept");
    batch.flush();
  } finally {
    console.error = original;
  }
  assert.deepEqual(seen, ["Could not write the log (disk full):\nkept"]);
  await nextTurn();
});

test("a consumer's last lines are written by the time run() resolves after stop()", async () => {
  const { batch, writes } = recorded();
  configureLogging({ level: "INFO", write: batch.write });
  const huey = new MemoryHuey("log-batch");
  try {
    const echo = huey.task(function echo(value: number): number {
      return value;
    });
    const consumer = huey.createConsumer({ workerType: "greenlet", workers: 1, periodic: false });
    const running = consumer.run();
    const result = await echo(7);
    assert.equal(await result.get({ blocking: true, timeout: 60 }), 7);
    await consumer.stop();
    await running;
    const lines = writes.join("\n").split("\n");
    const executing = lines.findIndex((line) => line.includes(`Executing echo: ${result.id}`));
    const executed = lines.findIndex((line) => line.includes(`echo: ${result.id} executed in`));
    assert.ok(executing >= 0 && executed > executing, lines.join("\n"));
    assert.match(lines[lines.length - 1], /INFO:huey\.consumer:MainThread:Consumer exiting\.$/);
  } finally {
    configureLogging({
      level: "WARNING",
      write: new LogBatch((text) => console.error(text)).write,
    });
    await huey.close();
  }
});

for (const how of ["exit", "return"]) {
  test(`no line is lost when the process ends (${how}) right after logging`, async () => {
    const [command, args] = scriptCommand(FIXTURE);
    const { output } = await run(command, [...args, how, "", "2000"], ROOT);
    assert.deepEqual(loggedLines(output), expectedLines(2000));
  });
}

test("no line is lost through a pipe (64 KiB) when the process exits right after logging", async () => {
  // A shell pipe, not the socket pair a spawned child gets: its buffer holds less than the lines.
  const [command, args] = scriptCommand(FIXTURE);
  const shell = `"$0" "$@" 2>&1 | cat`;
  const { output } = await run("sh", ["-c", shell, command, ...args, "exit", "", "4000"], ROOT);
  assert.deepEqual(loggedLines(output), expectedLines(4000));
});

const folder = mkdtempSync(join(tmpdir(), "huey-log-batch-"));
after(() => rmSync(folder, { recursive: true, force: true }));

test("no line is lost from a log file when the process exits right after logging", async () => {
  const logfile = join(folder, "consumer.log");
  const [command, args] = scriptCommand(FIXTURE);
  await run(command, [...args, "logfile", logfile, "2000"], ROOT);
  const text = readFileSync(logfile, "utf8");
  assert.deepEqual(loggedLines(text), expectedLines(2000));
  assert.match(
    text.split("\n")[0],
    /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}\] WARNING:huey\.consumer:MainThread:line 0$/,
  );
  assert.ok(text.endsWith("line 1999\n"));
});
