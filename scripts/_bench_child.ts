/**
 * One workload of one system in a fresh process: the bench starts this
 * script once per workload and repetition (on Node, Deno or Bun), so that
 * no workload runs in a heap, a JIT state or a connection pool another one
 * left behind. It runs the workload once on a few tasks to warm up (unless
 * told not to), then measures it, prints its measurements as one JSON line
 * on standard output and exits. What the consumer logs goes to standard
 * error.
 *
 * Usage: `<runtime> scripts/_bench_child.ts '<BenchJob as JSON>'`
 *
 * @module
 */
import process from "node:process";
import { isMainModule } from "../_runtime.ts";
import type { BenchConfig, EndToEndVariant, EnqueueMode, Measurement } from "./_bench_common.ts";
import type { WorkerSetup } from "./_bench_common.ts";

/** The systems compared. */
export type BenchSystem = "huey" | "bullmq" | "pgboss";

/** One workload of one system, as the bench tells a child. */
export interface BenchJob {
  system: BenchSystem;
  workload: "enqueue" | "e2e" | "latency";
  storage: Measurement["storage"];
  /** How tasks are enqueued (`enqueue` and `e2e`). */
  mode?: EnqueueMode;
  /** The consumer (`e2e`). */
  setup?: WorkerSetup;
  /** What huey's consumer logs (`e2e`). */
  logging?: EndToEndVariant["logging"];
  /** Whether huey's consumer publishes events (`e2e`). @default true */
  events?: boolean;
  /** Run the workload once on a few tasks first. */
  warmUp: boolean;
  config: BenchConfig;
}

/** Tasks of the warm-up run. */
const WARM_UP_TASKS = 5_000;

async function runHuey(job: BenchJob): Promise<Measurement[]> {
  const { enqueueRate, endToEnd, latency } = await import("./_bench_huey.ts");
  const { config, storage, mode = "map" } = job;
  if (job.workload === "enqueue") return [await enqueueRate(config, storage, mode)];
  if (job.workload === "latency") return await latency(config, storage);
  const variant = { enqueue: mode, logging: job.logging, events: job.events };
  return await endToEnd(config, storage, job.setup!, variant);
}

async function runBull(job: BenchJob): Promise<Measurement[]> {
  const { bullEnqueueRate, bullEndToEnd, bullLatency } = await import("./_bench_bullmq.ts");
  const { config, mode = "map" } = job;
  if (job.workload === "enqueue") return [await bullEnqueueRate(config, mode)];
  if (job.workload === "latency") return await bullLatency(config);
  return [await bullEndToEnd(config, job.setup!, mode)];
}

async function runBoss(job: BenchJob): Promise<Measurement[]> {
  const { bossEnqueueRate, bossEndToEnd, bossLatency } = await import("./_bench_pgboss.ts");
  const { config, mode = "map" } = job;
  if (job.workload === "enqueue") return [await bossEnqueueRate(config, mode)];
  if (job.workload === "latency") return await bossLatency(config);
  return [await bossEndToEnd(config, job.setup!)];
}

/** Runs a job in this process (the child's work). */
function runJob(job: BenchJob): Promise<Measurement[]> {
  if (job.system === "bullmq") return runBull(job);
  if (job.system === "pgboss") return runBoss(job);
  return runHuey(job);
}

if (isMainModule(import.meta)) {
  const job = JSON.parse(process.argv[2] ?? "{}") as BenchJob;
  if (job.warmUp) {
    const small = { ...job.config, tasks: Math.min(job.config.tasks, WARM_UP_TASKS) };
    const samples = Math.min(job.config.latencySamples, 50);
    await runJob({ ...job, config: { ...small, latencySamples: samples } });
  }
  const measurements = await runJob(job);
  process.stdout.write(JSON.stringify(measurements) + "\n");
  // BullMQ, node-redis and pg-boss may leave sockets behind for a moment: do not wait for them.
  process.exit(0);
}
