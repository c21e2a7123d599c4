/**
 * Child processes for the scripts: start one in its own process group,
 * collect its output, and end it and everything it started.
 *
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import process from "node:process";

/**
 * Seconds a command may take before it is killed: a bound for a command that
 * hangs, far above what a working one takes even on a busy 2-core CI machine
 * (a bound that a slow machine can reach makes a flaky check).
 */
export const COMMAND_TIMEOUT = 600;

/** What a finished command left. */
export interface Outcome {
  /** The exit code, or `null` when a signal ended it. */
  code: number | null;
  /** The signal that ended it, if one did. */
  signal: string | null;
  /** Standard output alone. */
  stdout: string;
  /** Standard output and error, interleaved. */
  output: string;
}

/** Kills a child and the processes it started (it leads its own process group). */
export function killGroup(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, "SIGKILL");
  } catch {
    // Already gone.
  }
}

/**
 * Starts a command in its own process group, with piped output.
 *
 * @param env Added to this process's environment.
 */
export function start(
  command: string,
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
): ChildProcess {
  return spawn(command, args, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
}

/** Collects a child's output until it exits, or kills it after `timeout` seconds. */
export function finished(child: ChildProcess, timeout: number): Promise<Outcome> {
  let output = "";
  let stdout = "";
  child.stdout?.on("data", (chunk) => {
    output += chunk;
    stdout += chunk;
  });
  child.stderr?.on("data", (chunk) => (output += chunk));
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      output += `\n[killed after ${timeout} s]`;
      killGroup(child);
    }, timeout * 1000);
    child.on("error", (error) => (output += `\n${error.message}`));
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, output });
    });
  });
}

/**
 * Runs a command to its end (at most {@linkcode COMMAND_TIMEOUT} seconds).
 *
 * @throws {Error} It did not exit with 0 (the message holds its output).
 */
export async function run(
  command: string,
  args: string[],
  cwd: string,
  env?: Record<string, string>,
): Promise<Outcome> {
  const outcome = await finished(start(command, args, cwd, env), COMMAND_TIMEOUT);
  if (outcome.code !== 0) {
    const how = outcome.code ?? outcome.signal;
    throw new Error(`${command} ${args.join(" ")} exited with ${how}:\n${outcome.output}`);
  }
  return outcome;
}
