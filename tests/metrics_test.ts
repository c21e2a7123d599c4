// metrics(huey) (issue 13 item 4, SPEC §10): Prometheus's text format, linted by promtool;
// counters follow the event log from the first call and never go down when it is trimmed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { encodeHeartbeat } from "../heartbeat.ts";
import { metrics } from "../mod.ts";
import { escapeLabelValue, formatValue } from "../_prometheus.ts";
import { makeHuey } from "./_helpers.ts";
import { promtoolCheck, promtoolSkip } from "./_promtool.ts";
import { event, publish } from "./_events.ts";

/** The value of the sample whose line starts with `prefix` (name and labels), or undefined. */
function sample(page: string, prefix: string): number | undefined {
  const line = page.split("\n").find((each) => each.startsWith(prefix + " "));
  return line === undefined ? undefined : Number(line.slice(prefix.length + 1));
}

test("metrics() counts the outcomes and durations the events tell, and reads the gauges", async () => {
  const huey = makeHuey();
  await publish(huey, [
    event("complete", "add", { duration: 0.003 }),
    event("complete", "add", { id: "add-2", duration: 0.7 }),
    event("complete", "add", { id: "add-3", duration: 400 }),
    event("error", "flaky", { retries: 1, duration: 0.02 }),
    event("retrying", "flaky", { retries: 1 }),
    event("error", "flaky", { retries: 0, duration: 0.02 }),
    event("rate-limited", "add", { id: "add-4", retries: 1 }),
  ]);
  const add = huey.task(function add(a: number, b: number) {
    return a + b;
  });
  await add(1, 2);
  await huey.storage.putHeartbeat(
    "host:1",
    encodeHeartbeat({
      id: "host:1",
      host: "host",
      pid: 1,
      workers: 1,
      workerType: "thread",
      startedAt: new Date(),
      lastSeen: new Date(),
      running: [{ id: "x", name: "add", startedAt: new Date(), worker: "Worker-1" }],
    }),
    30,
  );
  const page = await metrics(huey);
  assert.match(page, /^# HELP huey_tasks_total .+\n# TYPE huey_tasks_total counter\n/);
  assert.equal(sample(page, 'huey_tasks_total{task="add",outcome="completed"}'), 3);
  assert.equal(sample(page, 'huey_tasks_total{task="add",outcome="rate_limited"}'), 1);
  assert.equal(sample(page, 'huey_tasks_total{task="add",outcome="failed"}'), 0);
  assert.equal(sample(page, 'huey_tasks_total{task="flaky",outcome="retried"}'), 1);
  assert.equal(sample(page, 'huey_tasks_total{task="flaky",outcome="failed"}'), 1);
  assert.match(page, /# TYPE huey_task_duration_seconds histogram\n/);
  const bucket = (le: string) =>
    sample(page, `huey_task_duration_seconds_bucket{task="add",le="${le}"}`);
  assert.equal(bucket("0.005"), 1);
  assert.equal(bucket("0.5"), 1);
  assert.equal(bucket("1"), 2);
  assert.equal(bucket("300"), 2);
  assert.equal(bucket("+Inf"), 3);
  assert.equal(sample(page, 'huey_task_duration_seconds_count{task="add"}'), 3);
  assert.equal(sample(page, 'huey_task_duration_seconds_sum{task="add"}'), 400.703);
  assert.equal(sample(page, "huey_queue_pending"), 1);
  assert.equal(sample(page, "huey_queue_scheduled"), 0);
  assert.equal(sample(page, "huey_tasks_running"), 1);
  assert.equal(sample(page, "huey_dead_letters"), 0);
  assert.equal(sample(page, "huey_failures"), 0);
  assert.equal(sample(page, "huey_consumers"), 1);
  for (const gauge of ["huey_queue_pending", "huey_consumers", "huey_failures"]) {
    assert.match(page, new RegExp(`# TYPE ${gauge} gauge\n`));
  }
});

test("metrics() counters never go down when the event log is trimmed", async () => {
  const huey = makeHuey();
  const runs = (from: number) =>
    Array.from(
      { length: 4 },
      (_, index) => event("complete", "add", { id: `add-${from + index}`, duration: 0.1 }),
    );
  await publish(huey, runs(0), 4);
  const completed = 'huey_tasks_total{task="add",outcome="completed"}';
  assert.equal(sample(await metrics(huey), completed), 4);
  // The log keeps 4: the first four are dropped, and the counter still counts them.
  await publish(huey, runs(4), 4);
  assert.equal(sample(await metrics(huey), completed), 8);
  await publish(huey, runs(8).slice(0, 2), 4);
  const page = await metrics(huey);
  assert.equal(sample(page, completed), 10);
  assert.equal(sample(page, 'huey_task_duration_seconds_count{task="add"}'), 10);
  // Nothing new: nothing counted twice.
  assert.equal(sample(await metrics(huey), completed), 10);
});

test("metrics() keeps one collector per Huey", async () => {
  const first = makeHuey();
  const second = makeHuey();
  await publish(first, [event("complete", "add")]);
  await publish(second, [event("complete", "add"), event("complete", "add", { id: "add-2" })]);
  const completed = 'huey_tasks_total{task="add",outcome="completed"}';
  const [one, two] = await Promise.all([metrics(first), metrics(second)]);
  assert.equal(sample(one, completed), 1);
  assert.equal(sample(two, completed), 2);
});

test("concurrent metrics() calls of one Huey count each event once", async () => {
  const huey = makeHuey();
  await publish(
    huey,
    Array.from({ length: 50 }, (_, index) => event("complete", "add", { id: `add-${index}` })),
  );
  const pages = await Promise.all([metrics(huey), metrics(huey), metrics(huey)]);
  const completed = 'huey_tasks_total{task="add",outcome="completed"}';
  for (const page of pages) assert.equal(sample(page, completed), 50);
});

test("label values are escaped, numbers written as Prometheus reads them", () => {
  assert.equal(escapeLabelValue('a"b\\c\nd'), 'a\\"b\\\\c\\nd');
  assert.equal(formatValue(Infinity), "+Inf");
  assert.equal(formatValue(-Infinity), "-Inf");
  assert.equal(formatValue(NaN), "NaN");
  assert.equal(formatValue(0.25), "0.25");
});

test("promtool check metrics accepts the page", { skip: promtoolSkip }, async () => {
  const huey = makeHuey();
  const empty = await promtoolCheck(await metrics(huey));
  assert.equal(empty.code, 0, empty.output);
  await publish(huey, [
    event("complete", 'odd "name"\\with\nlines', { duration: 0.2 }),
    event("error", "flaky", { retries: 0, duration: 3 }),
    event("expired", "late"),
  ]);
  const page = await metrics(huey);
  assert.ok(page.includes('task="odd \\"name\\"\\\\with\\nlines"'), page);
  const checked = await promtoolCheck(page);
  assert.equal(checked.code, 0, `${checked.output}\n${page}`);
});
