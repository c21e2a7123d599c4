/**
 * Turns the benchmark's measurements into rows (huey, its rival on the same
 * storage: BullMQ on Redis, pg-boss on PostgreSQL; their ratio, the target
 * and whether it is met), a text table, and the JSON report.
 *
 * @module
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, platform, release, totalmem } from "node:os";
import process from "node:process";
import { runtime } from "../_runtime.ts";
import type { BenchConfig, Measurement, Unit } from "./_bench_common.ts";

/** A target a row is held to. */
export interface Target {
  /** What it says, e.g. `>= 3x BullMQ`. */
  text: string;
  /** Whether the row meets it. */
  met: boolean;
}

/** One line of the report. */
export interface Row {
  key: string;
  label: string;
  storage: Measurement["storage"];
  unit: Unit;
  huey: number;
  /** The rival on this storage: `BullMQ` (Redis), `pg-boss` (PostgreSQL); `null` for SQLite. */
  rival: string | null;
  /** The rival's figure for the same workload on the same storage, if it has one. */
  other: number | null;
  /** huey / the rival. */
  ratio: number | null;
  target: Target | null;
}

/** The rival huey is compared with on each storage. */
const RIVALS: Partial<Record<Measurement["storage"], string>> = {
  redis: "BullMQ",
  postgres: "pg-boss",
};

/** Targets of the issues: ratios against the rival, or absolute bounds. */
function targetOf(key: string, storage: string, huey: number, ratio: number | null): Target | null {
  if (key.startsWith("e2e.") && storage === "sqlite") {
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

/**
 * Pairs huey's measurements with its rivals' (same key, same storage), adds
 * the ratio and the target, and a row for the growth of consumer memory.
 */
export function buildRows(huey: Measurement[], rivals: Measurement[]): Row[] {
  const rows: Row[] = huey.map((measurement) => {
    const other = rivals.find((each) => {
      return each.key === measurement.key && each.storage === measurement.storage;
    });
    const ratio = other ? measurement.value / other.value : null;
    return {
      ...measurement,
      huey: measurement.value,
      rival: RIVALS[measurement.storage] ?? null,
      other: other?.value ?? null,
      ratio,
      target: targetOf(measurement.key, measurement.storage, measurement.value, ratio),
    };
  });
  for (const kind of ["rss", "heap"]) {
    const [first, last] = rows.filter((row) => row.key.startsWith(`${kind}.`));
    if (!first || !last || first === last) continue;
    const growth = (from: number | null, to: number | null): number | null =>
      from === null || to === null ? null : ((to - from) / from) * 100;
    const hueyGrowth = growth(first.huey, last.huey)!;
    rows.push({
      key: `${kind}.growth`,
      label: `consumer ${kind === "rss" ? "RSS" : "JS heap"} growth, last vs first checkpoint`,
      storage: "redis",
      unit: "MB",
      huey: hueyGrowth,
      rival: "BullMQ",
      other: growth(first.other, last.other),
      ratio: null,
      target: kind === "rss" ? { text: "within 10 %", met: Math.abs(hueyGrowth) <= 10 } : null,
    });
  }
  return rows;
}

function formatValue(value: number | null, unit: Unit, key: string): string {
  if (value === null) return "-";
  if (key.endsWith(".growth")) return `${value >= 0 ? "+" : ""}${value.toFixed(1)} %`;
  if (unit === "tasks/s") return Math.round(value).toLocaleString("en-US");
  if (unit === "ms") return value.toFixed(2);
  return value.toFixed(1);
}

/** The rows as an aligned text table. */
export function formatTable(rows: Row[]): string {
  const header = [
    "workload",
    "storage",
    "unit",
    "huey",
    "rival",
    "huey/rival",
    "target",
    "met",
  ];
  const lines = rows.map((row) => [
    row.label,
    row.storage,
    row.key.endsWith(".growth") ? "%" : row.unit,
    formatValue(row.huey, row.unit, row.key),
    row.other === null ? "-" : `${formatValue(row.other, row.unit, row.key)} ${row.rival}`,
    row.ratio === null ? "-" : `${row.ratio.toFixed(2)}x`,
    row.target?.text ?? "-",
    row.target ? (row.target.met ? "yes" : "NO") : "-",
  ]);
  const widths = header.map((title, i) =>
    Math.max(title.length, ...lines.map((line) => line[i].length))
  );
  const format = (cells: string[]): string =>
    cells.map((cell, i) => (i >= 3 && i <= 5 ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
      .join("  ").trimEnd();
  return [format(header), widths.map((width) => "-".repeat(width)).join("  "), ...lines.map(format)]
    .join("\n");
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
export function machine(): Record<string, string | number> {
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
  };
}

/** The JSON report: when, how, on what, and every row. */
export function report(config: BenchConfig, rows: Row[], seconds: number): unknown {
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
    machine: machine(),
    settings,
    rows,
  };
}
