/**
 * Starts benchmark children: a workload in a fresh process on a chosen
 * runtime (`_bench_child.ts`), its standard output read as its
 * measurements, its standard error appended to the bench's log file (what
 * a consumer logs at INFO goes there, as a user's consumer logs to a file).
 *
 * @module
 */
import { closeSync, openSync, readFileSync, statSync } from "node:fs";
import process from "node:process";
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { type BenchRuntime, ROOT, runtimeCommand } from "./_bench_runtimes.ts";
import type { BenchJob } from "./_bench_child.ts";
import type { Measurement } from "./_bench_common.ts";
import { finished } from "./_process.ts";
import { WORKLOAD_TIMEOUT } from "./_bench_common.ts";

const childFile = fileURLToPath(new URL("./_bench_child.ts", import.meta.url));

/**
 * Starts `command` with its standard error appended to `logFile`, and
 * collects its standard output until it exits (killed after twice
 * {@linkcode WORKLOAD_TIMEOUT}: warm-up and measurement).
 *
 * @throws {Error} It did not exit with 0; the message holds the end of its log.
 */
export async function runLogged(
  command: string,
  args: string[],
  logFile: string,
  env: Record<string, string> = {},
): Promise<string> {
  const before = statSize(logFile);
  const stderr = openSync(logFile, "a");
  try {
    const child = spawn(command, args, {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", stderr],
      detached: true,
    });
    const outcome = await finished(child, 2 * WORKLOAD_TIMEOUT);
    if (outcome.code !== 0) {
      const log = readFileSync(logFile, "utf8").slice(before).split("\n").slice(-30).join("\n");
      throw new Error(
        `${command} ${args.slice(0, 3).join(" ")} ... exited with ${
          outcome.code ?? outcome.signal
        }:\n${outcome.output}${log}`,
      );
    }
    return outcome.stdout;
  } finally {
    closeSync(stderr);
  }
}

/**
 * Starts `command` in its own process group with its standard output and
 * error appended to `logFile` (a consumer the bench times).
 */
export function startLogged(
  command: string,
  args: string[],
  logFile: string,
  env: Record<string, string> = {},
  cwd = ROOT,
): ChildProcess {
  const output = openSync(logFile, "a");
  try {
    return spawn(command, args, {
      cwd,
      env: { ...process.env, ...env },
      stdio: ["ignore", output, output],
      detached: true,
    });
  } finally {
    closeSync(output);
  }
}

function statSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** Runs one job in a fresh child on `runtime` and returns its measurements. */
export async function runChild(
  runtime: BenchRuntime,
  job: BenchJob,
  logFile: string,
): Promise<Measurement[]> {
  const [command, args] = runtimeCommand(runtime, childFile, [JSON.stringify(job)]);
  const stdout = await runLogged(command, args, logFile);
  const line = stdout.trim().split("\n").pop() ?? "";
  return JSON.parse(line) as Measurement[];
}
