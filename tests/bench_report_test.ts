import assert from "node:assert/strict";
import { test } from "node:test";
import { summarize } from "../scripts/_bench_stats.ts";
import { buildRows, formatStat, type Sample } from "../scripts/_bench_report.ts";
import { spawnSync } from "node:child_process";
import { ROOT, runtimeCommand, thisRuntime } from "../scripts/_bench_runtimes.ts";

function sample(system: string, key: string, value: number, runtime = "node"): Sample {
  return {
    runtime: runtime as Sample["runtime"],
    system,
    key,
    label: key,
    storage: "redis",
    unit: "tasks/s",
    value,
  };
}

test("summarize() gives the median and the range of the repetitions", () => {
  assert.deepEqual(summarize([30, 10, 20]), { median: 20, min: 10, max: 30, values: [30, 10, 20] });
  assert.equal(summarize([4, 1, 3, 2]).median, 2.5);
  assert.throws(() => summarize([]), RangeError);
});

test("a row's ratio is huey's median over its rival's median, per runtime", () => {
  const rows = buildRows([
    sample("huey", "e2e.greenlet.50", 90),
    sample("BullMQ", "e2e.greenlet.50", 10),
    sample("huey", "e2e.greenlet.50", 30),
    sample("BullMQ", "e2e.greenlet.50", 20),
    sample("huey", "e2e.greenlet.50", 60),
    sample("BullMQ", "e2e.greenlet.50", 30),
    sample("huey", "e2e.greenlet.50", 10, "bun"),
  ]);
  const node = rows.find((row) => row.runtime === "node")!;
  assert.equal(node.huey.median, 60);
  assert.equal(node.other!.median, 20);
  assert.equal(node.ratio, 3);
  assert.deepEqual(node.target, { text: ">= 3x BullMQ", met: true });
  assert.equal(formatStat(node.huey, node.unit), "60 (30-90)");
  const bun = rows.find((row) => row.runtime === "bun")!;
  assert.equal(bun.ratio, null);
});

test("a workload measured quiet and at INFO gets a logging-cost row (1 - INFO / quiet)", () => {
  const rows = buildRows([
    sample("huey", "cli.thread.4", 100),
    sample("Python huey", "cli.thread.4", 10),
    sample("huey", "cli.thread.4.info", 95),
    sample("Python huey", "cli.thread.4.info", 5),
  ]);
  const cost = rows.find((row) => row.key === "logcost.cli.thread.4")!;
  assert.equal(cost.unit, "%");
  assert.ok(Math.abs(cost.huey.median - 5) < 1e-9);
  assert.ok(Math.abs(cost.other!.median - 50) < 1e-9);
  assert.deepEqual(cost.target, { text: "<= 10 %", met: true });
  const cli = rows.find((row) => row.key === "cli.thread.4")!;
  assert.deepEqual(cli.target, { text: ">= 10x Python huey", met: true });
});

test("a workload measured with events on and off gets events-cost rows: rate and processor time", () => {
  const cpu = (key: string, value: number): Sample => ({
    ...sample("huey", key, value),
    unit: "us/task",
  });
  const rows = buildRows([
    sample("huey", "e2e.greenlet.50", 90),
    sample("huey", "e2e.greenlet.50.noevents", 100),
    cpu("cpu.e2e.greenlet.50", 11),
    cpu("cpu.e2e.greenlet.50.noevents", 10),
    cpu("cpu.e2e.greenlet.50.info", 20),
  ]);
  const rate = rows.find((row) => row.key === "eventcost.e2e.greenlet.50")!;
  assert.ok(Math.abs(rate.huey.median - 10) < 1e-9, "1 - on / off");
  assert.deepEqual(rate.target, { text: "<= 10 %", met: true });
  const time = rows.find((row) => row.key === "eventcpu.e2e.greenlet.50")!;
  assert.ok(Math.abs(time.huey.median - 10) < 1e-9, "on / off - 1");
  assert.equal(time.unit, "%");
  assert.equal(time.target, null);
  assert.equal(
    rows.filter((row) => row.key.startsWith("logcost.")).length,
    0,
    "no logging row from times",
  );
});

/** Runs `scripts/bench.ts` with `args` on this runtime. */
function bench(args: string[]) {
  const [command, commandArgs] = runtimeCommand(thisRuntime, "scripts/bench.ts", args);
  return spawnSync(command, commandArgs, { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
}

test("bench.ts --help prints the usage and measures nothing", () => {
  const run = bench(["--help"]);
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /^Usage: bench\.ts \[--repeat N\]/);
});

test("bench.ts rejects an unknown option or a bad value with the reason and the usage, exit code 2", () => {
  for (
    const [args, reason] of [
      [["--bogus"], /Unknown option '--bogus'/],
      [["--repeat", "0"], /Option '--repeat' must be an integer >= 1, got 0/],
      [["--runtimes", "python"], /Option '--runtimes' takes a list of node, deno, bun, got python/],
    ] as const
  ) {
    const run = bench([...args]);
    assert.equal(run.status, 2, `${args.join(" ")}: ${run.stderr}`);
    assert.match(run.stderr, reason);
    assert.match(run.stderr, /Usage: bench\.ts/);
    assert.equal(run.stdout, "");
  }
});
