// Issue 13 item 5 (SPEC §10 "OpenTelemetry") through the real consumer CLI: thread and process
// workers run execute() in another runtime context, so the process span is made and exported
// there, by the provider the app module registers (tests/fixtures/traced_app.ts), as a child of
// the trace context the message carries — here one a producer in any language could have sent.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { SqliteHuey } from "../../mod.ts";
import type { LoadLine, SpanLine } from "../fixtures/traced_app.ts";
import { FAST, killAll, ROOT, startCli, waitFor } from "./_consumer.ts";

const APP = join(ROOT, "tests", "fixtures", "traced_app.ts");
/** `SpanKind` values of @opentelemetry/api. */
const PRODUCER = 3;
const CONSUMER = 4;
/** `SpanStatusCode.ERROR`. */
const ERROR = 2;

/** The lines of the spans file: the spans, and where the app module was loaded, in order. */
function readLines(file: string): (SpanLine | LoadLine)[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line));
}

function readSpans(file: string): SpanLine[] {
  return readLines(file).filter((line): line is SpanLine => "name" in line);
}

for (const kind of ["thread", "process"]) {
  test(`${kind} workers make each process span, a child of the context in the message; retries stay in the trace`, async () => {
    const dir = mkdtempSync(join(tmpdir(), "huey-tracing-"));
    const env = {
      HUEY_TRACE_DB: join(dir, "queue.db"),
      HUEY_TRACE_NAME: `tracing-${process.pid}-${kind}`,
      HUEY_TRACE_SPANS: join(dir, "spans.jsonl"),
    };
    const huey = new SqliteHuey(env.HUEY_TRACE_NAME, { filename: env.HUEY_TRACE_DB });
    try {
      const add = huey.task(function add(a: number, b: number) {
        return a + b;
      });
      const boom = huey.task(function boom() {}, { retries: 1 }); // its body runs in the app
      const sum = add.s(1, 2);
      sum.trace = { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" };
      const failing = boom.s();
      failing.trace = { traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" };
      await huey.enqueue(sum);
      await huey.enqueue(failing);

      const consumer = startCli([APP, "-w", "2", "-k", kind, ...FAST], env);
      const spans = await waitFor(() => {
        const spans = readSpans(env.HUEY_TRACE_SPANS);
        return spans.filter((span) => span.kind === CONSUMER).length >= 3 && spans;
      }, `three process spans in ${env.HUEY_TRACE_SPANS}\n${consumer.output()}`);
      assert.equal((await consumer.stop("SIGTERM")).code, 0, consumer.output());

      // The consumer's main thread loads the app first, before it starts its workers.
      const loads = readLines(env.HUEY_TRACE_SPANS).filter((line) => "loaded" in line);
      const main = (loads as LoadLine[]).find((line) =>
        line.loaded.startsWith(`${consumer.child.pid}:`)
      );
      assert.ok(main, "the consumer loaded the app");
      const mainThread = main.loaded;
      for (const span of spans) {
        assert.notEqual(span.where, mainThread, `${span.name} ended in a ${kind} worker`);
      }
      const process_ = spans.find((span) => span.name === "process add")!;
      assert.equal(process_.traceId, "0af7651916cd43dd8448eb211c80319c");
      assert.equal(process_.parentSpanId, "b7ad6b7169203331");
      assert.equal(process_.attributes["messaging.destination.name"], env.HUEY_TRACE_NAME);
      assert.equal(process_.attributes["messaging.message.id"], sum.id);

      const booms = spans.filter((span) => span.name.endsWith(" boom"));
      assert.deepEqual(booms.map((span) => [span.kind, span.name]), [
        [PRODUCER, "send boom"],
        [CONSUMER, "process boom"],
        [CONSUMER, "process boom"],
      ]);
      // The retry may run in the other worker and end before the first run's span does.
      const retry = booms[0];
      const run1 = booms.find((span) => span.parentSpanId === "00f067aa0ba902b7")!;
      const run2 = booms.find((span) => span.kind === CONSUMER && span !== run1)!;
      for (const span of booms) assert.equal(span.traceId, "4bf92f3577b34da6a3ce929d0e0e4736");
      assert.equal(retry.parentSpanId, run1.spanId);
      assert.equal(run2.parentSpanId, retry.spanId);
      assert.deepEqual([run1.status, run2.status], [ERROR, ERROR]);
      assert.deepEqual(
        [run1.attributes["huey.outcome"], run2.attributes["huey.outcome"]],
        ["retry", "error"],
      );
    } finally {
      await killAll();
      await huey.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
