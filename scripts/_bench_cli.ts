/**
 * The CLI end-to-end workload: what a user sees who starts the consumer
 * from the command line. `cliTasks` tasks are enqueued first (not timed);
 * then the real `huey-consumer` is spawned on the bench app
 * (`consumer.ts scripts/_bench_app.ts -w N -k TYPE [-q]`) and timed from the
 * spawn, start-up included (the runtime, the module, the worker threads or
 * processes), until the result store holds every result, read every
 * {@linkcode COMPLETION_POLL_MS} ms by the bench; then it is stopped with
 * SIGINT. Its log goes to the bench's log file.
 *
 * @module
 */
import { join } from "node:path";
import { BENCH_TARGET_ENV, createBenchHuey } from "./_bench_app.ts";
import {
  type BenchConfig,
  bounded,
  COMPLETION_POLL_MS,
  type LogLevel,
  type Measurement,
  rate,
  timeBatches,
  waitFor,
} from "./_bench_common.ts";
import { benchTarget } from "./_bench_huey.ts";
import { type BenchRuntime, ROOT, runtimeCommand } from "./_bench_runtimes.ts";
import { killGroup } from "./_process.ts";
import { startLogged } from "./_bench_spawn.ts";

/** The worker settings of a CLI run: `-w workers -k workerType`. */
export interface CliSetup {
  workerType: "thread" | "process" | "greenlet";
  workers: number;
}

/** The CLI figure of one system, in tasks per second: `cli.thread.4`, `cli.process.2.info`. */
export function cliFigure(setup: CliSetup, logging: LogLevel, value: number): Measurement {
  const flags = `-w ${setup.workers} -k ${setup.workerType}`;
  return {
    key: `cli.${setup.workerType}.${setup.workers}${logging === "info" ? ".info" : ""}`,
    label: `CLI end-to-end, ${flags}${logging === "quiet" ? " -q" : ", INFO logging"}`,
    storage: "redis",
    unit: "tasks/s",
    value,
  };
}

/** The CLI's flags for a setup. */
export function cliFlags(setup: CliSetup, logging: LogLevel): string[] {
  const flags = ["-w", String(setup.workers), "-k", setup.workerType];
  return logging === "quiet" ? [...flags, "-q"] : flags;
}

/**
 * Spawns `command`, times it until `count()` reaches `tasks`, then stops it
 * with SIGINT (bounded; killed after) and waits for its exit.
 *
 * @returns Tasks per second from the spawn to the last result.
 */
export async function timeConsumerCommand(
  command: [string, string[]],
  tasks: number,
  count: () => Promise<number>,
  logFile: string,
  env: Record<string, string>,
  cwd = ROOT,
): Promise<number> {
  const started = performance.now();
  const child = startLogged(command[0], command[1], logFile, env, cwd);
  try {
    await waitFor("every result of the CLI run", async () => {
      if (child.exitCode !== null) throw new Error(`The consumer exited with ${child.exitCode}`);
      return (await count()) >= tasks;
    }, COMPLETION_POLL_MS);
    const value = rate(tasks, (performance.now() - started) / 1000);
    child.kill("SIGINT");
    await bounded(
      "the consumer to exit",
      new Promise((resolve) => child.exitCode !== null ? resolve(null) : child.on("exit", resolve)),
    );
    return value;
  } finally {
    killGroup(child);
  }
}

/** One CLI run of huey's consumer on `runtime`, on Redis. */
export async function cliEndToEnd(
  config: BenchConfig,
  runtime: BenchRuntime,
  setup: CliSetup,
  logging: LogLevel,
  logFile: string,
): Promise<Measurement> {
  const target = benchTarget(config, "redis", `cli-${setup.workerType}`);
  const { huey, echo } = createBenchHuey(target);
  try {
    await timeBatches(config.cliTasks, config.bulk, (items) => echo.map(items));
    const command = runtimeCommand(runtime, join(ROOT, "consumer.ts"), [
      join(ROOT, "scripts", "_bench_app.ts"),
      ...cliFlags(setup, logging),
    ]);
    const env = { [BENCH_TARGET_ENV]: JSON.stringify(target) };
    const count = () => huey.storage.resultStoreSize();
    const value = await timeConsumerCommand(command, config.cliTasks, count, logFile, env);
    return cliFigure(setup, logging, value);
  } finally {
    await huey.flush();
    await huey.close();
  }
}
