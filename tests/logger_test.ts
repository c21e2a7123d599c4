// Our addition: huey's line format, `[2024-01-01 12:00:00,123] INFO:huey.consumer:MainThread:message`,
// kept exact while a busy consumer reuses the start of its lines within a millisecond.
import { afterEach, test } from "node:test";
import assert from "node:assert/strict";
import { configureLogging, defaultFormat, getLogger, simpleFormat } from "../logger.ts";
import { LogBatch, writeStandardError } from "../_log_batch.ts";

const pad = (value: number, width = 2) => String(value).padStart(width, "0");

/** The local date and time of `t` as huey writes it, built field by field. */
function expectedStamp(t: Date): string {
  return `${t.getFullYear()}-${pad(t.getMonth() + 1)}-${pad(t.getDate())} ` +
    `${pad(t.getHours())}:${pad(t.getMinutes())}:${pad(t.getSeconds())},${
      pad(t.getMilliseconds(), 3)
    }`;
}

const STAMPED = /^\[(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d),(\d{3})\] /;

/** The epoch ms a line's local date and time name. */
function stampTime(line: string): number {
  const match = STAMPED.exec(line);
  assert.ok(match, line);
  const [year, month, day, hours, minutes, seconds, ms] = match.slice(1).map(Number);
  return new Date(year, month - 1, day, hours, minutes, seconds, ms).getTime();
}

/** Captures every formatted line (unbatched) at `level`. */
function capture(level: "DEBUG" | "INFO" | "WARNING" = "DEBUG"): string[] {
  const lines: string[] = [];
  configureLogging({ level, write: (line) => lines.push(line), format: defaultFormat });
  return lines;
}

afterEach(() => {
  configureLogging({
    level: "WARNING",
    write: new LogBatch(writeStandardError).write,
    format: defaultFormat,
    context: "MainThread",
  });
});

test("defaultFormat writes the local time to the millisecond, the level, logger, context and message", () => {
  for (const time of [new Date(2024, 0, 1, 12, 0, 0, 7), new Date(2031, 11, 31, 23, 59, 59, 999)]) {
    const line = defaultFormat(
      { time, level: "INFO", logger: "huey.consumer", message: "Executing echo: 1" },
      "Worker-1",
    );
    assert.equal(line, `[${expectedStamp(time)}] INFO:huey.consumer:Worker-1:Executing echo: 1`);
  }
});

test("defaultFormat appends an error's stack on the next line", () => {
  const error = new Error("boom");
  const line = defaultFormat(
    { time: new Date(2024, 5, 1), level: "ERROR", logger: "huey", message: "failed", error },
    "MainThread",
  );
  assert.equal(
    line,
    `[${expectedStamp(new Date(2024, 5, 1))}] ERROR:huey:MainThread:failed\n${error.stack}`,
  );
});

test("lines logged together keep their own level, logger and context", () => {
  const lines = capture();
  const consumer = getLogger("huey.consumer");
  const huey = getLogger("huey");
  const before = Date.now();
  consumer.info("one");
  huey.warning("two");
  consumer.warning("three");
  configureLogging({ context: "Worker-2" });
  consumer.warning("four");
  consumer.debug("five");
  const after = Date.now();
  const rest = lines.map((line) => {
    const at = stampTime(line);
    assert.ok(at >= before && at <= after, `${line}: between ${before} and ${after}`);
    return line.slice(line.indexOf("] ") + 2);
  });
  assert.deepEqual(rest, [
    "INFO:huey.consumer:MainThread:one",
    "WARNING:huey:MainThread:two",
    "WARNING:huey.consumer:MainThread:three",
    "WARNING:huey.consumer:Worker-2:four",
    "DEBUG:huey.consumer:Worker-2:five",
  ]);
});

test("a logger's lines follow the clock: each line has the millisecond it was logged in", async () => {
  const lines = capture("INFO");
  const logger = getLogger("huey.consumer");
  for (let i = 0; i < 3; i++) {
    const previous = Date.now();
    while (Date.now() === previous) { /* a millisecond later than the last line's */ }
    const before = Date.now();
    logger.info(`line ${i}`);
    const after = Date.now();
    const at = stampTime(lines[i]);
    assert.ok(at >= before && at <= after, `${lines[i]}: between ${before} and ${after}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  assert.equal(new Set(lines.map(stampTime)).size, 3, "three milliseconds, three stamps");
});

test("a format of one's own gets the record; the simple format is the time and the message", () => {
  const records: string[] = [];
  configureLogging({
    level: "INFO",
    write: (line) => records.push(line),
    format: simpleFormat,
  });
  const before = new Date();
  getLogger("huey").info("hello");
  assert.equal(records.length, 1);
  assert.match(records[0], /^\d\d:\d\d:\d\d hello$/);
  const [hours] = records[0].split(":").map(Number);
  assert.ok(hours === before.getHours() || hours === (before.getHours() + 1) % 24);
});

test("nothing is formatted below the level", () => {
  const lines = capture("WARNING");
  const logger = getLogger("huey.consumer");
  logger.info("dropped");
  logger.debug("dropped");
  assert.equal(logger.isEnabledFor("INFO"), false);
  logger.warning("kept");
  assert.equal(lines.length, 1);
  assert.match(lines[0], /WARNING:huey\.consumer:MainThread:kept$/);
});
