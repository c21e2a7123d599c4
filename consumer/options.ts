/**
 * The consumer's options: their defaults (huey's), their checks, and the
 * command line that sets them.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { ConfigurationError } from "../errors.ts";

/** How tasks run: worker threads, child processes, or async loops in the consumer's own event loop. */
export type WorkerType = "thread" | "process" | "greenlet";

/** Options of the `Consumer` (and of the CLI's flags). */
export interface ConsumerOptions {
  /** How many workers. @default 1 */
  workers?: number;
  /** `thread`, `process` or `greenlet` (also `worker` = thread, `async`/`gevent` = greenlet). @default "thread" */
  workerType?: WorkerType | "worker" | "async" | "gevent";
  /** Seconds to wait after finding the queue empty (polling storages). @default 0.1 */
  initialDelay?: number;
  /** The longest wait between polls, in seconds. @default 10 */
  maxDelay?: number;
  /** Each empty poll waits this many times longer than the last (>= 1). @default 1.15 */
  backoff?: number;
  /** Seconds between health checks that replace dead workers. @default 10 */
  healthCheckInterval?: number;
  /** Replace workers that died. @default true */
  checkWorkerHealth?: boolean;
  /** Seconds between schedule reads: 1 to 60, a divisor of 60. @default 1 */
  schedulerInterval?: number;
  /** Enqueue periodic tasks. @default true */
  periodic?: boolean;
  /** Release every known task lock at start. @default false */
  flushLocks?: boolean;
  /** More lock names to release at start (implies a flush). */
  extraLocks?: string[];
  /**
   * The module that exports the Huey, for thread and process workers, which
   * import it themselves: a file URL or path, with the export's name.
   */
  module?: { url: string; exportName?: string };
  /** The clock the scheduler reads (tests drive it). @default () => new Date() */
  clock?: () => Date;
}

/** Options with every default applied and checked. */
export type ResolvedConsumerOptions = Required<Omit<ConsumerOptions, "module" | "workerType">> & {
  workerType: WorkerType;
  module: ConsumerOptions["module"];
};

const WORKER_TYPES: Record<string, WorkerType> = {
  thread: "thread",
  worker: "thread",
  process: "process",
  greenlet: "greenlet",
  async: "greenlet",
  gevent: "greenlet",
};

function check(ok: boolean, option: string, value: unknown, expected: string): void {
  if (!ok) {
    throw new ConfigurationError(`Option '${option}' must be ${expected}, got ${String(value)}`);
  }
}

/**
 * Applies the defaults and checks every option.
 *
 * @throws {ConfigurationError} An option has a bad value; the message names it.
 */
export function resolveConsumerOptions(options: ConsumerOptions = {}): ResolvedConsumerOptions {
  const {
    workers = 1,
    workerType = "thread",
    initialDelay = 0.1,
    maxDelay = 10,
    backoff = 1.15,
    healthCheckInterval = 10,
    checkWorkerHealth = true,
    schedulerInterval = 1,
    periodic = true,
    flushLocks = false,
    extraLocks = [],
    module,
    clock = () => new Date(),
  } = options;
  const positive = (n: number): boolean => typeof n === "number" && Number.isFinite(n) && n > 0;
  check(Number.isInteger(workers) && workers >= 1, "workers", workers, "an integer >= 1");
  check(workerType in WORKER_TYPES, "workerType", workerType, "thread, process or greenlet");
  check(positive(initialDelay), "initialDelay", initialDelay, "a number of seconds > 0");
  check(positive(maxDelay), "maxDelay", maxDelay, "a number of seconds > 0");
  check(positive(backoff) && backoff >= 1, "backoff", backoff, "a number >= 1");
  check(
    positive(healthCheckInterval),
    "healthCheckInterval",
    healthCheckInterval,
    "a number of seconds > 0",
  );
  check(
    Number.isInteger(schedulerInterval) && schedulerInterval >= 1 && schedulerInterval <= 60 &&
      60 % schedulerInterval === 0,
    "schedulerInterval",
    schedulerInterval,
    "an integer from 1 to 60 that divides 60",
  );
  return {
    workers,
    workerType: WORKER_TYPES[workerType],
    initialDelay,
    maxDelay,
    backoff,
    healthCheckInterval,
    checkWorkerHealth,
    schedulerInterval,
    periodic,
    flushLocks: flushLocks || extraLocks.length > 0,
    extraLocks,
    module,
    clock,
  };
}

/** What the command line asks for. */
export interface CommandLine {
  /** The module path, as given. */
  modulePath: string;
  /** The export's name, if given (`app.ts:myHuey`). */
  exportName?: string;
  /** The consumer's options. */
  options: ConsumerOptions;
  /** `-l`: log to this file. */
  logfile?: string;
  /** `-v` (true) / `-q` (false). */
  verbose?: boolean;
  /** `-S`: the short log format. */
  simple: boolean;
  /** `-h`. */
  help: boolean;
  /** `--version`. */
  version: boolean;
}

/** The flags, in the order `--help` lists them: [long, short, value name or "", help, default]. */
export const FLAGS: ReadonlyArray<readonly [string, string, string, string, string]> = [
  ["workers", "w", "N", "number of workers", "1"],
  ["worker-type", "k", "TYPE", "thread, process or greenlet (also: worker, async)", "thread"],
  ["delay", "d", "SECONDS", "wait after finding the queue empty (polling storages)", "0.1"],
  ["max-delay", "m", "SECONDS", "longest wait between polls", "10"],
  ["backoff", "b", "FACTOR", "growth of the wait between empty polls (>= 1)", "1.15"],
  ["health-check-interval", "c", "SECONDS", "seconds between worker health checks", "10"],
  ["disable-health-check", "C", "", "do not replace workers that died", "off"],
  ["scheduler-interval", "s", "SECONDS", "seconds between schedule reads (1-60, divides 60)", "1"],
  ["no-periodic", "n", "", "do not enqueue periodic tasks", "off"],
  ["flush-locks", "f", "", "release all task locks at start", "off"],
  ["extra-locks", "L", "a,b", "more lock names to release at start", ""],
  ["logfile", "l", "FILE", "write the log to FILE", "stderr"],
  ["verbose", "v", "", "log DEBUG messages", "off"],
  ["quiet", "q", "", "log only WARNING and worse", "off"],
  ["simple", "S", "", "short log lines (time and message)", "off"],
  ["help", "h", "", "show this help and exit", ""],
  ["version", "", "", "show the version and exit", ""],
];

/** The usage text. */
export function usage(program: string): string {
  const lines = [`Usage: ${program} <module>[:export] [options]`, "", "Options:"];
  for (const [long, short, value, help, fallback] of FLAGS) {
    const flag = `${short ? `-${short}, ` : "    "}--${long}${value ? ` ${value}` : ""}`;
    lines.push(`  ${flag.padEnd(36)} ${help}${fallback ? ` (default: ${fallback})` : ""}`);
  }
  lines.push("", "The module's export defaults to `huey`, then `default`.");
  return lines.join("\n");
}

/** A flag or value the command line got wrong. */
export class UsageError extends Error {
  /** @param message What was wrong. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

function number(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (value.trim() === "" || !Number.isFinite(parsed)) {
    throw new UsageError(`option --${flag}: expected a number, got '${value}'`);
  }
  return parsed;
}

/**
 * Reads the command line.
 *
 * @throws {UsageError} An unknown flag, a missing or bad value, or no module.
 */
export function parseCommandLine(args: string[]): CommandLine {
  const options = Object.fromEntries(
    FLAGS.map((
      [long, short, value],
    ) => [long, { type: value ? "string" : "boolean", ...(short ? { short } : {}) }]),
  ) as Record<string, { type: "string" | "boolean"; short?: string }>;
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  const text = (name: string): string | undefined => values[name] as string | undefined;
  const flag = (name: string): boolean => values[name] === true;
  const [target, ...extra] = parsed.positionals;
  const help = flag("help");
  const version = flag("version");
  if (!target && !help && !version) {
    throw new UsageError("missing the module that exports your Huey");
  }
  if (extra.length) throw new UsageError(`unexpected argument '${extra[0]}'`);
  if (flag("verbose") && flag("quiet")) {
    throw new UsageError("options --verbose and --quiet exclude each other");
  }
  const match = /^(.*?)(?::([A-Za-z_$][\w$]*))?$/.exec(target ?? "")!;
  return {
    modulePath: match[1],
    exportName: match[2],
    options: {
      workers: number(text("workers"), "workers"),
      workerType: text("worker-type") as ConsumerOptions["workerType"],
      initialDelay: number(text("delay"), "delay"),
      maxDelay: number(text("max-delay"), "max-delay"),
      backoff: number(text("backoff"), "backoff"),
      healthCheckInterval: number(text("health-check-interval"), "health-check-interval"),
      checkWorkerHealth: flag("disable-health-check") ? false : undefined,
      schedulerInterval: number(text("scheduler-interval"), "scheduler-interval"),
      periodic: flag("no-periodic") ? false : undefined,
      flushLocks: flag("flush-locks") || undefined,
      extraLocks: text("extra-locks")?.split(",").map((name) => name.trim()).filter(Boolean),
    },
    logfile: text("logfile"),
    verbose: flag("verbose") ? true : flag("quiet") ? false : undefined,
    simple: flag("simple"),
    help,
    version,
  };
}
