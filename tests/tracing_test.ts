// Issue 13 item 5 (SPEC §10 "OpenTelemetry"): enqueue makes a PRODUCER span, execute a CONSUMER
// span, in one trace through retries and pipeline stages; the W3C trace context travels in the
// message's `trace` field, written only while a tracer provider is registered. The spans are
// read from the SDK's in-memory exporter, registered as the global tracer provider.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { scriptCommand } from "../_runtime.ts";
import { HueyError } from "../errors.ts";
import type { Huey } from "../huey.ts";
import { loadTracing } from "../tracing.ts";
import { executeNext, fromNow, makeHuey, quietLogs } from "./_helpers.ts";
import { rawMessage } from "./_raw_messages.ts";

const exporter = new InMemorySpanExporter();
let registered = false;

// Bun (and Deno) may run other test files in this process: they must not see a provider.
after(() => trace.disable());

/** Registers the in-memory exporter's provider (once) and forgets the spans of earlier tests. */
function spans(): InMemorySpanExporter {
  if (!registered) {
    const provider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    assert.ok(trace.setGlobalTracerProvider(provider), "the provider is registered");
    registered = true;
  }
  exporter.reset();
  return exporter;
}

/** The finished spans, in the order they ended, as `kind name`. */
function names(finished: ReadableSpan[]): string[] {
  return finished.map((span) => `${span.kind === SpanKind.PRODUCER ? "P" : "C"} ${span.name}`);
}

/** Asserts that `child` is a child of `parent` in its trace. */
function assertChild(child: ReadableSpan, parent: ReadableSpan, what: string): void {
  assert.equal(child.spanContext().traceId, parent.spanContext().traceId, `${what}: one trace`);
  assert.equal(child.parentSpanContext?.spanId, parent.spanContext().spanId, `${what}: parent`);
}

/** The messages waiting in a Huey's queue, as JSON objects. */
async function messages(huey: Huey): Promise<Record<string, unknown>[]> {
  const items = await huey.storage.enqueuedItems();
  return items.map((data) => JSON.parse(new TextDecoder().decode(data)));
}

function addTask(huey: Huey) {
  return huey.task(function add(a: number, b: number) {
    return a + b;
  });
}

test("without a tracer provider, messages carry no trace field and tasks run as before", async () => {
  await loadTracing();
  trace.disable();
  registered = false;
  const huey = makeHuey();
  const add = addTask(huey);
  const task = add.s(1, 2);
  await huey.enqueue(task);
  const [message] = await messages(huey);
  assert.equal("trace" in message, false);
  assert.equal(task.trace, null);
  assert.equal(await executeNext(huey), 3);
});

test("enqueue makes a PRODUCER span and execute a CONSUMER span that is its child", async () => {
  const exporter = spans();
  const huey = makeHuey({}, "traced-queue");
  const add = addTask(huey);
  const task = add.s(1, 2);
  await huey.enqueue(task);
  const [send] = exporter.getFinishedSpans();
  assert.equal(send.name, "send add");
  assert.equal(send.kind, SpanKind.PRODUCER);
  const { traceId, spanId } = send.spanContext();
  const [message] = await messages(huey);
  assert.deepEqual(message.trace, { traceparent: `00-${traceId}-${spanId}-01` });

  assert.equal(await executeNext(huey), 3);
  const finished = exporter.getFinishedSpans();
  assert.deepEqual(names(finished), ["P send add", "C process add"]);
  const process = finished[1];
  assert.equal(process.kind, SpanKind.CONSUMER);
  assertChild(process, send, "process");
  assert.equal(process.parentSpanContext?.isRemote, true, "the parent came in the message");
  for (const [span, operation] of [[send, "send"], [process, "process"]] as const) {
    assert.deepEqual(span.attributes, {
      "messaging.system": "huey",
      "messaging.destination.name": "traced-queue",
      "messaging.message.id": task.id,
      "messaging.operation.type": operation,
      "messaging.operation.name": operation,
      "huey.task.name": "add",
      "huey.retries": 0,
      "huey.retried": 0,
    });
    assert.equal(span.status.code, SpanStatusCode.UNSET);
  }
});

test("a retried task's runs and their sends stay in the producer's trace", async () => {
  const exporter = spans();
  const huey = makeHuey();
  quietLogs();
  let calls = 0;
  const flaky = huey.task(function flaky() {
    if (++calls < 3) throw new Error(`attempt ${calls} failed`);
    return "done";
  }, { retries: 2 });
  await flaky();
  for (let run = 0; run < 3; run++) await executeNext(huey);
  const finished = exporter.getFinishedSpans();
  assert.deepEqual(names(finished), [
    "P send flaky",
    "P send flaky",
    "C process flaky",
    "P send flaky",
    "C process flaky",
    "C process flaky",
  ]);
  const [send, retry1, run1, retry2, run2, run3] = finished;
  assertChild(run1, send, "first run");
  assertChild(retry1, run1, "first retry's send");
  assertChild(run2, retry1, "second run");
  assertChild(retry2, run2, "second retry's send");
  assertChild(run3, retry2, "third run");
  assert.deepEqual([run1, run2, run3].map((span) => span.attributes["huey.retried"]), [0, 1, 2]);
  for (const [index, run] of [run1, run2].entries()) {
    assert.equal(run.status.code, SpanStatusCode.ERROR);
    assert.equal(run.attributes["huey.outcome"], "retry");
    assert.equal(run.events[0].attributes?.["exception.message"], `attempt ${index + 1} failed`);
  }
  assert.equal(run3.status.code, SpanStatusCode.UNSET);
  assert.equal(run3.attributes["huey.outcome"], undefined);
});

test("a retry with a delay goes to the schedule in the trace, and a task not due yet keeps its context", async () => {
  const exporter = spans();
  const huey = makeHuey();
  quietLogs();
  const failing = huey.task(function failing() {
    throw new Error("no");
  }, { retries: 1, retryDelay: 60 });
  await failing.schedule({ delay: 30 });
  const [send] = exporter.getFinishedSpans();
  await executeNext(huey); // not due: back to the schedule, no span
  assert.equal(exporter.getFinishedSpans().length, 1);
  const [waiting] = await huey.readSchedule(fromNow(31));
  assert.equal(waiting.trace?.traceparent.split("-")[2], send.spanContext().spanId);
  await huey.enqueue(waiting); // a scheduler's step: the message moves with its context
  await executeNext(huey, fromNow(31));
  const finished = exporter.getFinishedSpans();
  assert.deepEqual(names(finished), ["P send failing", "P send failing", "C process failing"]);
  const [, retry, process] = finished;
  assertChild(process, send, "the run of the task that waited");
  assertChild(retry, process, "the retry put in the schedule");
  const [scheduled] = await huey.scheduled();
  assert.equal(scheduled.trace?.traceparent.split("-")[2], retry.spanContext().spanId);
});

test("a pipeline's stages are sent from the stage before, in one trace", async () => {
  const exporter = spans();
  const huey = makeHuey();
  const add = addTask(huey);
  await huey.enqueue(add.s(1, 2).chain(add, 10).chain(add, 100));
  for (let run = 0; run < 3; run++) await executeNext(huey);
  const finished = exporter.getFinishedSpans();
  assert.deepEqual(names(finished), [
    "P send add",
    "P send add",
    "C process add",
    "P send add",
    "C process add",
    "C process add",
  ]);
  const [send, next1, run1, next2, run2, run3] = finished;
  assertChild(run1, send, "first stage");
  assertChild(next1, run1, "second stage's send");
  assertChild(run2, next1, "second stage");
  assertChild(next2, run2, "third stage's send");
  assertChild(run3, next2, "third stage");
});

test("a task that fails for good ends its span with status ERROR and an exception event", async () => {
  const exporter = spans();
  const huey = makeHuey();
  quietLogs();
  const broken = huey.task(function broken() {
    throw new TypeError("bad input");
  });
  await broken();
  await executeNext(huey);
  const [, process] = exporter.getFinishedSpans();
  assert.equal(process.name, "process broken");
  assert.deepEqual(process.status, { code: SpanStatusCode.ERROR, message: "bad input" });
  assert.equal(process.attributes["huey.outcome"], "error");
  assert.equal(process.events.length, 1);
  const [event] = process.events;
  assert.equal(event.name, "exception");
  assert.equal(event.attributes?.["exception.type"], "TypeError");
  assert.equal(event.attributes?.["exception.message"], "bad input");
  assert.match(String(event.attributes?.["exception.stacktrace"]), /bad input/);
});

test("revoked, expired and interrupted runs end their span with huey.outcome saying so", async () => {
  const exporter = spans();
  const huey = makeHuey();
  const add = addTask(huey);
  const revoked = await huey.enqueue(add.s(1, 2));
  await (revoked as { revoke(): Promise<void> }).revoke();
  await executeNext(huey);
  await huey.enqueue(add.s(1, 2).withOptions({ expires: 10 }));
  await executeNext(huey, fromNow(20));
  await huey.enqueue(add.s(1, 2));
  await huey.execute((await huey.dequeue())!, { signal: AbortSignal.abort() });
  const processes = exporter.getFinishedSpans().filter((span) => span.kind === SpanKind.CONSUMER);
  assert.deepEqual(processes.map((span) => span.attributes["huey.outcome"]), [
    "revoked",
    "expired",
    "interrupted",
  ]);
  for (const span of processes) assert.equal(span.status.code, SpanStatusCode.UNSET);
});

test("enqueueMany sends each task under its own span", async () => {
  const exporter = spans();
  const huey = makeHuey();
  const add = addTask(huey);
  const tasks = [add.s(1, 2), add.s(3, 4)];
  await huey.enqueueMany(tasks);
  const sends = exporter.getFinishedSpans();
  assert.deepEqual(names(sends), ["P send add", "P send add"]);
  assert.deepEqual(sends.map((span) => span.attributes["messaging.message.id"]), [
    tasks[0].id,
    tasks[1].id,
  ]);
  const traces = (await messages(huey)).map((message) => message.trace);
  assert.deepEqual(
    traces.map((each) => (each as { traceparent: string }).traceparent.split("-")[2]),
    sends.map((span) => span.spanContext().spanId),
  );
});

test("a unique task is sent under a span, and its run is the span's child", async () => {
  const exporter = spans();
  const huey = makeHuey();
  const add = addTask(huey);
  await huey.enqueue(add.s(1, 2).withOptions({ id: "only-once" }));
  await huey.enqueue(add.s(1, 2).withOptions({ id: "only-once" })); // not enqueued: still a span
  await executeNext(huey);
  const [send, again, process] = exporter.getFinishedSpans();
  assert.deepEqual(names([send, again, process]), ["P send add", "P send add", "C process add"]);
  assertChild(process, send, "the unique task's run");
  assert.equal(await huey.pendingCount(), 0);
});

test("the trace field is checked on read: a tracestate is kept, a bad context goes nowhere", () => {
  const huey = makeHuey();
  addTask(huey);
  const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  const good = huey.deserializeTask(
    rawMessage("t1", { trace: JSON.stringify({ traceparent, tracestate: "vendor=abc" }) }),
  );
  assert.deepEqual(good.trace, { traceparent, tracestate: "vendor=abc" });
  assert.equal(huey.deserializeTask(rawMessage("t2")).trace, null, "an old message decodes");
  assert.equal(huey.deserializeTask(rawMessage("t3", { trace: "null" })).trace, null);
  const bad = [
    '"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"',
    "{}",
    '{"traceparent":"01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}',
    '{"traceparent":"00-00000000000000000000000000000000-b7ad6b7169203331-01"}',
    '{"traceparent":"00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01"}',
    '{"traceparent":"00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01"}',
    `{"traceparent":"${traceparent}","tracestate":7}`,
    `{"traceparent":"${traceparent}","tracestate":"${"x".repeat(513)}"}`,
    `{"traceparent":"${traceparent}","baggage":"a=b"}`,
  ];
  for (const value of bad) {
    assert.throws(
      () => huey.deserializeTask(rawMessage("t4", { trace: value })),
      (error: Error) => error instanceof HueyError && /field 'trace' must be/.test(error.message),
      value,
    );
  }
});

test("the first enqueues of a process, made before the lazy import settled, are traced", () => {
  const script = fileURLToPath(new URL("./fixtures/traced_first_enqueue.ts", import.meta.url));
  const [command, prefix] = scriptCommand(script);
  const output = execFileSync(command, [...prefix, script], { encoding: "utf8", timeout: 60_000 });
  const { traces, spans } = JSON.parse(output.trim().split("\n").at(-1)!);
  assert.equal(traces.length, 2);
  for (const each of traces) assert.match(each?.traceparent ?? "", /^00-[0-9a-f]{32}-/);
  assert.deepEqual(spans, ["send add", "send add", "process add"]);
});
