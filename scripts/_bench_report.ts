/**
 * Turns the benchmark's samples into rows (huey's median and range, its
 * rival's on the same storage and runtime: BullMQ on Redis, pg-boss on
 * PostgreSQL, Python huey for the CLI; the ratio of the medians, the target
 * and whether it is met), text tables (one per runtime, and the runtimes side
 * by side), and the JSON report.
 *
 * @module
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, platform, release, totalmem } from "node:os";
import process from "node:process";
import { runtime } from "../_runtime.ts";
import type { BenchConfig, Measurement, Unit } from "./_bench_common.ts";
import type { BenchRuntime } from "./_bench_runtimes.ts";
import { type Stat, summarize } from "./_bench_stats.ts";

/** A target a row is held to. */
export interface Target {
  /** What it says, e.g. `>= 3x BullMQ`. */
  text: string;
  /** Whether the row meets it. */
  met: boolean;
}

/** One measurement of one repetition, with who made it where. */
export interface Sample extends Measurement {
  /** The runtime the workload's process ran on. */
  runtime: BenchRuntime;
  /** `huey`, or its rival: `BullMQ`, `pg-boss`, `Python huey`. */
  system: string;
}

/** One line of the report. */
export interface Row {
  runtime: BenchRuntime;
  key: string;
  label: string;
  storage: Measurement["storage"];
  /** The unit; `%` for growth and logging cost rows. */
  unit: Unit | "%";
  huey: Stat;
  /** The rival of this row (`BullMQ`, `pg-boss`, `Python huey`), if one was measured. */
  rival: string | null;
  /** The rival's figures for the same workload on the same storage and runtime. */
  other: Stat | null;
  /** huey's median / the rival's median. */
  ratio: number | null;
  target: Target | null;
}

/** Targets of the issues: ratios against the rival, or absolute bounds. */
function targetOf(key: string, storage: string, huey: number, ratio: number | null): Target | null {
  if (key.startsWith("logcost.") || key.startsWith("eventcost.")) {
    return { text: "<= 10 %", met: huey <= 10 };
  }
  if (key.startsWith("cli.") && ratio !== null) {
    return { text: ">= 10x Python huey", met: ratio >= 10 };
  }
  if (key.startsWith("e2e.") && storage === "sqlite" && !key.endsWith(".info")) {
    return { text: ">= 20,000 tasks/s", met: huey >= 20_000 };
  }
  // No rival runs on Redis Cluster: its rows stand beside single-node Redis's.
  if (storage === "cluster") return null;
  if (storage === "postgres") {
    if (key.startsWith("e2e.") && ratio !== null) {
      return { text: ">= 3x pg-boss", met: ratio >= 3 };
    }
    if (key === "latency.p99") return { text: "< 10 ms", met: huey < 10 };
    return null;
  }
  if ((key.startsWith("e2e.") || key.startsWith("enqueue.")) && ratio !== null) {
    return { text: ">= 3x BullMQ", met: ratio >= 3 };
  }
  if (key === "latency.p50") return { text: "< 1 ms", met: huey < 1 };
  if (key === "latency.p99") return { text: "< 5 ms", met: huey < 5 };
  return null;
}

/** The samples grouped by runtime, storage and key, per system, in the order first measured. */
function grouped(samples: Sample[]): Map<string, Map<string, Sample[]>> {
  const groups = new Map<string, Map<string, Sample[]>>();
  for (const sample of samples) {
    const id = `${sample.runtime}|${sample.storage}|${sample.key}`;
    const bySystem = groups.get(id) ?? new Map<string, Sample[]>();
    groups.set(id, bySystem);
    bySystem.set(sample.system, [...(bySystem.get(sample.system) ?? []), sample]);
  }
  return groups;
}

function statOf(samples: Sample[] | undefined): Stat | null {
  return samples ? summarize(samples.map(({ value }) => value)) : null;
}

/** A derived row (growth, logging cost): a percentage computed from two rows' medians. */
function percentRow(
  from: Row,
  key: string,
  label: string,
  percent: (row: Row, side: "huey" | "other") => number | null,
): Row {
  const huey = percent(from, "huey")!;
  const other = percent(from, "other");
  const single = (value: number): Stat => ({ median: value, min: value, max: value, values: [] });
  return {
    runtime: from.runtime,
    key,
    label,
    storage: from.storage,
    unit: "%",
    huey: single(huey),
    rival: other === null ? null : from.rival,
    other: other === null ? null : single(other),
    ratio: null,
    target: targetOf(key, from.storage, huey, null),
  };
}

/**
 * Pairs huey's samples with its rivals' (same runtime, storage and key),
 * summarizes each side's repetitions (median, range), adds the ratio of the
 * medians and the target, a logging-cost row for each workload measured at
 * INFO and quiet (`1 - info / quiet`), an events-cost row for each measured
 * with events on and off (`1 - on / off`), and a row for the growth of consumer memory.
 */
export function buildRows(samples: Sample[]): Row[] {
  const rows: Row[] = [];
  for (const bySystem of grouped(samples).values()) {
    const hueySamples = bySystem.get("huey");
    if (!hueySamples) continue;
    const [first] = hueySamples;
    const rival = [...bySystem.keys()].find((system) => system !== "huey") ?? null;
    const huey = statOf(hueySamples)!;
    const other = rival === null ? null : statOf(bySystem.get(rival));
    const ratio = other ? huey.median / other.median : null;
    rows.push({
      runtime: first.runtime,
      key: first.key,
      label: first.label,
      storage: first.storage,
      unit: first.unit,
      huey,
      rival,
      other,
      ratio,
      target: targetOf(first.key, first.storage, huey.median, ratio),
    });
  }
  const derived: Row[] = [];
  for (const row of rows) {
    if (!row.key.endsWith(".noevents")) continue;
    const on = rows.find((each) =>
      each.runtime === row.runtime && each.storage === row.storage &&
      each.key === row.key.slice(0, -".noevents".length)
    );
    if (!on) continue;
    // The rate falls by the cost; the processor time per task grows by it.
    const cpu = on.key.startsWith("cpu.");
    derived.push(percentRow(
      on,
      cpu ? `eventcpu.${on.key.slice("cpu.".length)}` : `eventcost.${on.key}`,
      cpu
        ? `events cost, ${on.label} (events on / off - 1)`
        : `events cost, ${on.label} (1 - events on / off)`,
      (_, side) => {
        if (side !== "huey") return null;
        const ratio = on.huey.median / row.huey.median;
        return (cpu ? ratio - 1 : 1 - ratio) * 100;
      },
    ));
  }
  for (const row of rows) {
    if (!row.key.endsWith(".info") || row.key.startsWith("cpu.")) continue;
    const quiet = rows.find((each) =>
      each.runtime === row.runtime && each.storage === row.storage &&
      each.key === row.key.slice(0, -".info".length)
    );
    if (!quiet) continue;
    derived.push(percentRow(
      row,
      `logcost.${quiet.key}`,
      `logging cost at INFO, ${quiet.label.replace(/ -q$/, "")} (1 - INFO / quiet)`,
      (info, side) => {
        const loud = side === "huey" ? info.huey : info.other;
        const calm = side === "huey" ? quiet.huey : quiet.other;
        return loud && calm ? (1 - loud.median / calm.median) * 100 : null;
      },
    ));
  }
  for (const runtime of new Set(rows.map((row) => row.runtime))) {
    for (const kind of ["rss", "heap"]) {
      const memory = rows.filter((row) =>
        row.runtime === runtime && row.key.startsWith(`${kind}.`)
      );
      const [first, last] = [memory[0], memory[memory.length - 1]];
      if (!first || first === last) continue;
      const growth = (from: Stat | null, to: Stat | null): number | null =>
        from === null || to === null ? null : ((to.median - from.median) / from.median) * 100;
      derived.push({
        ...percentRow(
          first,
          `${kind}.growth`,
          `consumer ${kind === "rss" ? "RSS" : "JS heap"} growth, last vs first checkpoint`,
          (_, side) =>
            side === "huey" ? growth(first.huey, last.huey) : growth(first.other, last.other),
        ),
      });
      const row = derived[derived.length - 1];
      if (kind === "rss") {
        row.target = { text: "within 10 %", met: Math.abs(row.huey.median) <= 10 };
      }
    }
  }
  return [...rows, ...derived];
}

function formatNumber(value: number, unit: Row["unit"]): string {
  if (unit === "%") return `${value >= 0 ? "+" : ""}${value.toFixed(1)} %`;
  if (unit === "tasks/s") return Math.round(value).toLocaleString("en-US");
  if (unit === "ms") return value.toFixed(2);
  return value.toFixed(1);
}

/** A figure as `median (min-max)`, or the median alone when it was measured once. */
export function formatStat(stat: Stat | null, unit: Row["unit"]): string {
  if (stat === null) return "-";
  const median = formatNumber(stat.median, unit);
  if (stat.values.length < 2) return median;
  return `${median} (${formatNumber(stat.min, unit)}-${formatNumber(stat.max, unit)})`;
}

function aligned(header: string[], lines: string[][], right: (column: number) => boolean): string {
  const widths = header.map((title, i) =>
    Math.max(title.length, ...lines.map((line) => line[i].length))
  );
  const format = (cells: string[]): string =>
    cells.map((cell, i) => (right(i) ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
      .join("  ").trimEnd();
  return [format(header), widths.map((width) => "-".repeat(width)).join("  "), ...lines.map(format)]
    .join("\n");
}

/** The rows of one runtime as an aligned text table: medians with their ranges. */
export function formatTable(rows: Row[]): string {
  const header = ["workload", "storage", "unit", "huey", "rival", "huey/rival", "target", "met"];
  const lines = rows.map((row) => [
    row.label,
    row.storage,
    row.unit,
    formatStat(row.huey, row.unit),
    row.other === null ? "-" : `${formatStat(row.other, row.unit)} ${row.rival}`,
    row.ratio === null ? "-" : `${row.ratio.toFixed(2)}x`,
    row.target?.text ?? "-",
    row.target ? (row.target.met ? "yes" : "NO") : "-",
  ]);
  return aligned(header, lines, (i) => i >= 3 && i <= 5);
}

/**
 * The runtimes side by side: for each workload, huey's median and its ratio
 * to the rival (or the target's verdict) on each runtime.
 */
export function formatSideBySide(rows: Row[], runtimes: readonly BenchRuntime[]): string {
  const header = ["workload", "storage", ...runtimes.flatMap((name) => [`${name} huey`, "ratio"])];
  const ids = [...new Set(rows.map((row) => `${row.storage}|${row.key}`))];
  const lines = ids.map((id) => {
    const mine = rows.filter((row) => `${row.storage}|${row.key}` === id);
    return [
      mine[0].label,
      mine[0].storage,
      ...runtimes.flatMap((name) => {
        const row = mine.find((each) => each.runtime === name);
        if (!row) return ["-", "-"];
        const met = row.target ? (row.target.met ? "" : " NO") : "";
        return [
          formatNumber(row.huey.median, row.unit),
          (row.ratio === null ? "-" : `${row.ratio.toFixed(2)}x`) + met,
        ];
      }),
    ];
  });
  return aligned(header, lines, (i) => i >= 2);
}

function runtimeVersion(): string {
  const globals = globalThis as { Deno?: { version: { deno: string } }; Bun?: { version: string } };
  if (runtime === "deno") return `deno ${globals.Deno!.version.deno}`;
  if (runtime === "bun") return `bun ${globals.Bun!.version}`;
  return `node ${process.versions.node}`;
}

function redisVersion(): string {
  try {
    return execFileSync("redis-server", ["--version"], { encoding: "utf8" }).trim();
  } catch {
    return "unknown";
  }
}

function postgresVersion(): string {
  try {
    return execFileSync("psql", ["--version"], { encoding: "utf8" }).trim();
  } catch {
    return "unknown";
  }
}

function packageVersion(name: string): string {
  try {
    const url = new URL(`../node_modules/${name}/package.json`, import.meta.url);
    return (JSON.parse(readFileSync(url, "utf8")) as { version: string }).version;
  } catch {
    return "unknown";
  }
}

/** The machine, runtime and versions the figures were measured with. */
export function machine(extra: Record<string, string> = {}): Record<string, string | number> {
  const processors = cpus();
  return {
    cpu: processors[0]?.model ?? "unknown",
    cores: processors.length,
    memoryGB: Math.round(totalmem() / 1e9),
    os: `${platform()} ${release()}`,
    runtime: runtimeVersion(),
    redis: redisVersion(),
    bullmq: packageVersion("bullmq"),
    ioredis: packageVersion("ioredis"),
    redisClient: packageVersion("@redis/client"),
    postgres: postgresVersion(),
    pgBoss: packageVersion("pg-boss"),
    postgresJs: packageVersion("postgres"),
    ...extra,
  };
}

/** The JSON report: when, how, on what, and every row. */
export function report(
  config: BenchConfig,
  rows: Row[],
  seconds: number,
  versions: Record<string, string> = {},
): unknown {
  const {
    folder: _folder,
    redisUrl: _url,
    postgresUrl: _postgres,
    clusterNodes: _nodes,
    ...settings
  } = config;
  return {
    date: new Date().toISOString(),
    command: process.argv.slice(1).join(" "),
    seconds: Math.round(seconds),
    machine: machine(versions),
    settings,
    rows,
  };
}
