/**
 * Helpers of the consumer tests: run the real CLI in a subprocess (with the
 * runtime running the tests), poll with bounded waits, and always kill what
 * was started.
 *
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { scriptCommand } from "../../_runtime.ts";
import { type App, type AppEnv, createApp, readMarkers } from "../fixtures/tasks.ts";

/** The project's root folder. */
export const ROOT: string = fileURLToPath(new URL("../../", import.meta.url));
/** The CLI. */
export const CONSUMER: string = join(ROOT, "consumer.ts");
/** The fixture app module the consumers load. */
export const FIXTURE: string = join(ROOT, "tests", "fixtures", "app.ts");

/** Polling flags that keep the tests quick. */
export const FAST = ["-d", "0.01", "-m", "0.05"];

/** How a consumer process ended. */
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A consumer (or any CLI run) in a subprocess. */
export interface CliProcess {
  readonly child: ChildProcess;
  /** Everything it wrote so far, stdout and stderr interleaved. */
  output(): string;
  /** Its standard output so far. */
  stdout(): string;
  /** Its standard error so far. */
  stderr(): string;
  /** Resolves when it has exited. */
  readonly exited: Promise<Exit>;
  /** Sends a signal to the main process only (its workers are left to it). */
  signal(signal: NodeJS.Signals): void;
  /** Sends a signal and waits (bounded) for the exit. */
  stop(signal: NodeJS.Signals, timeoutMs?: number): Promise<Exit>;
  /** Kills it and its worker processes (`kill -9` of its process group), and waits for the exit. */
  kill(): Promise<void>;
}

const started = new Set<CliProcess>();

/** Resolves to `fallback` after `ms`, or to the promise's value if it settles first. */
async function within<T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<T>((resolve) => (timer = setTimeout(() => resolve(fallback), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const TIMED_OUT = Symbol("timed out");

/**
 * Awaits `promise`, bounded.
 *
 * @throws {Error} It did not settle within `timeoutMs`; the message says what was awaited.
 */
export async function withTimeout<T>(
  promise: Promise<T>,
  what: string,
  timeoutMs = 60_000,
): Promise<T> {
  const value = await within<T | typeof TIMED_OUT>(promise, timeoutMs, TIMED_OUT);
  if (value === TIMED_OUT) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
  return value;
}

/**
 * Runs the CLI with the runtime that runs the tests, in its own process
 * group (so that `kill()` also reaches process workers).
 */
export function startCli(args: string[], env: AppEnv = {}): CliProcess {
  return startScript(CONSUMER, args, env);
}

/** Runs a script (the CLI, a fixture) as {@linkcode startCli} runs the CLI. */
export function startScript(script: string, args: string[], env: AppEnv = {}): CliProcess {
  const [command, prefix] = scriptCommand(script);
  const child = spawn(command, [...prefix, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let all = "";
  let out = "";
  let err = "";
  child.stdout!.on("data", (chunk: Uint8Array) => {
    out += chunk.toString();
    all += chunk.toString();
  });
  child.stderr!.on("data", (chunk: Uint8Array) => {
    err += chunk.toString();
    all += chunk.toString();
  });
  const exited = new Promise<Exit>((resolve) => {
    child.once("close", (code, signal) => resolve({ code, signal }));
  });
  const running: CliProcess = {
    child,
    output: () => all,
    stdout: () => out,
    stderr: () => err,
    exited,
    signal(signal) {
      // Not child.kill(): Deno then reports the signal sent as the cause of the exit.
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, signal);
    },
    async stop(signal, timeoutMs = 60_000) {
      running.signal(signal);
      const exit = await within(exited, timeoutMs, null);
      if (exit === null) {
        await running.kill();
        throw new Error(`the consumer did not exit within ${timeoutMs} ms of ${signal}:\n${all}`);
      }
      return exit;
    },
    async kill() {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // The group is gone already.
      }
      await within(exited, 10_000, null);
    },
  };
  started.add(running);
  void exited.then(() => started.delete(running));
  return running;
}

/** Kills every CLI process still running (for `after()` and `finally`). */
export async function killAll(): Promise<void> {
  await Promise.all([...started].map((running) => running.kill()));
}

/** Runs the CLI to its end (bounded) and returns its exit and output. */
export async function runCli(
  args: string[],
  env: AppEnv = {},
  timeoutMs = 90_000,
): Promise<Exit & { stdout: string; stderr: string }> {
  const running = startCli(args, env);
  const exit = await within(running.exited, timeoutMs, null);
  if (exit === null) {
    await running.kill();
    throw new Error(`the CLI did not exit within ${timeoutMs} ms:\n${running.output()}`);
  }
  return { ...exit, stdout: running.stdout(), stderr: running.stderr() };
}

/** What {@linkcode waitFor} keeps waiting on. */
type Falsy = false | 0 | "" | null | undefined;

/**
 * Polls `check` until it returns a truthy value, and returns that value.
 *
 * @throws {Error} `timeoutMs` passed first; the message says what was awaited.
 */
export async function waitFor<T>(
  check: () => Falsy | T | Promise<Falsy | T>,
  what: string,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    const value = await check();
    if (value) return value as T;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Where a scenario's queue lives. */
export type StorageChoice =
  | { kind: "sqlite" }
  | { kind: "redis"; url: string }
  | { kind: "postgres"; url: string };

/** One test's world: a temp folder, the app's environment, the test's own view of the app. */
export interface Scenario {
  /** The temp folder (SQLite file, marker lines, log files). */
  readonly dir: string;
  /** The environment the consumers get. */
  readonly env: Record<string, string>;
  /** The app, built in the test process on the same queue. */
  readonly app: App;
  /** Starts the CLI on the fixture app with these flags. */
  start(args: string[]): CliProcess;
  /** The marker lines written so far. */
  markers(): string[];
  /** Waits until `count` marker lines start with `prefix`. */
  waitMarkers(prefix: string, count?: number, timeoutMs?: number): Promise<string[]>;
}

let scenarios = 0;

/**
 * Runs `body` in a fresh scenario; whatever happens, kills the consumers it
 * started, closes the app and removes the temp folder. A failure prints the
 * consumers' output.
 *
 * @param extraEnv More environment for the app (e.g. `HUEY_TEST_LEASE`).
 */
export async function inScenario(
  storage: StorageChoice,
  body: (scenario: Scenario) => Promise<void>,
  extraEnv: Record<string, string> = {},
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "huey-consumer-"));
  const env: Record<string, string> = {
    HUEY_TEST_STORAGE: storage.kind,
    HUEY_TEST_DIR: dir,
    HUEY_TEST_NAME: `consumer-test-${process.pid}-${++scenarios}`,
    ...(storage.kind === "sqlite"
      ? { HUEY_TEST_DB: join(dir, "queue.db") }
      : storage.kind === "redis"
      ? { HUEY_TEST_REDIS: storage.url }
      : { HUEY_TEST_POSTGRES: storage.url }),
    ...extraEnv,
  };
  const app = createApp(env);
  const mine: CliProcess[] = [];
  const markers = (): string[] => readMarkers(dir);
  const scenario: Scenario = {
    dir,
    env,
    app,
    start(args) {
      const running = startCli([FIXTURE, ...args], env);
      mine.push(running);
      return running;
    },
    markers,
    waitMarkers(prefix, count = 1, timeoutMs = 60_000) {
      const matching = (): string[] => markers().filter((line) => line.startsWith(prefix));
      return waitFor(
        () => matching().length >= count && matching(),
        `${count} marker(s) "${prefix}"`,
        timeoutMs,
      );
    },
  };
  try {
    await body(scenario);
  } catch (error) {
    for (const [index, running] of mine.entries()) {
      console.error(`--- consumer ${index + 1} output ---\n${running.output()}`);
    }
    console.error(`--- markers ---\n${markers().join("\n")}`);
    throw error;
  } finally {
    await Promise.all(mine.map((running) => running.kill()));
    if (storage.kind !== "sqlite") await app.huey.flush().catch(() => {});
    await app.huey.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
