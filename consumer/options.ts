/**
 * The consumer's options: their defaults (huey's), their checks (by the
 * rules of `option_rules.ts`), and the command line that sets them.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { type ListenAddress, parseListenAddress } from "./metrics_server.ts";
import { checkExposure } from "../dashboard/options.ts";
import { check, RULES, WORKER_TYPES, type WorkerType } from "./option_rules.ts";

export type { WorkerType } from "./option_rules.ts";

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
  /**
   * Replace a worker after it has run this many tasks (it finishes the last
   * one first; a fresh worker takes its place at once). `null`: never.
   * @default null
   */
  maxTasks?: number | null;
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
  /**
   * Serve `metrics(huey)` at `GET /metrics` on `[host:]port` (the host
   * defaults to 127.0.0.1; port 0 picks a free one, logged). `null`: no
   * metrics server. @default null
   */
  metrics?: string | null;
  /**
   * Serve the dashboard (`dashboard(huey)`) on `[host:]port` (the host
   * defaults to 127.0.0.1; port 0 picks a free one, logged). Any host but
   * the loopback needs `dashboardToken`. `null`: no dashboard. @default null
   */
  dashboard?: string | null;
  /**
   * The token the dashboard asks for (`Authorization: Bearer`, HTTP Basic's
   * password, or `?token=` once); the CLI takes it from `--dashboard-token`
   * or `HUEY_DASHBOARD_TOKEN`. `null`: no auth (loopback only). @default null
   */
  dashboardToken?: string | null;
}

/** Options with every default applied and checked. */
export type ResolvedConsumerOptions =
  & Required<Omit<ConsumerOptions, "module" | "workerType" | "metrics" | "dashboard">>
  & {
    workerType: WorkerType;
    module: ConsumerOptions["module"];
    /** Where the metrics server listens, if any. */
    metrics: ListenAddress | null;
    /** Where the dashboard listens, if anywhere. */
    dashboard: ListenAddress | null;
  };

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
    maxTasks = null,
    flushLocks = false,
    extraLocks = [],
    module,
    clock = () => new Date(),
    metrics = null,
    dashboard = null,
    dashboardToken = null,
  } = options;
  const ruled = {
    workers,
    workerType,
    initialDelay,
    maxDelay,
    backoff,
    healthCheckInterval,
    schedulerInterval,
  };
  for (const [option, value] of Object.entries(ruled)) check(option, value);
  if (maxTasks !== null) check("maxTasks", maxTasks);
  if (metrics !== null) check("metrics", metrics);
  if (dashboard !== null) check("dashboard", dashboard);
  if (dashboardToken !== null) check("dashboardToken", dashboardToken);
  const dashboardAddress = dashboard === null ? null : parseListenAddress(dashboard);
  if (dashboardAddress !== null) {
    checkExposure(
      dashboardAddress.host,
      dashboardToken === null ? null : { token: dashboardToken },
    );
  }
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
    maxTasks,
    flushLocks: flushLocks || extraLocks.length > 0,
    extraLocks,
    module,
    clock,
    metrics: metrics === null ? null : parseListenAddress(metrics),
    dashboard: dashboardAddress,
    dashboardToken,
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

/**
 * The flags, in the order `--help` lists them: [long, short, value name or
 * "", help, default, and the option a valued flag sets, checked by its rule].
 */
export const FLAGS: ReadonlyArray<readonly [string, string, string, string, string, string?]> = [
  ["workers", "w", "N", "number of workers", "1", "workers"],
  [
    "worker-type",
    "k",
    "TYPE",
    "thread, process or greenlet (also: worker, async)",
    "thread",
    "workerType",
  ],
  [
    "delay",
    "d",
    "SECONDS",
    "wait after finding the queue empty (polling storages)",
    "0.1",
    "initialDelay",
  ],
  ["max-delay", "m", "SECONDS", "longest wait between polls", "10", "maxDelay"],
  ["backoff", "b", "FACTOR", "growth of the wait between empty polls (>= 1)", "1.15", "backoff"],
  [
    "health-check-interval",
    "c",
    "SECONDS",
    "seconds between worker health checks",
    "10",
    "healthCheckInterval",
  ],
  ["disable-health-check", "C", "", "do not replace workers that died", "off"],
  ["max-tasks", "M", "N", "replace a worker after it ran N tasks", "never", "maxTasks"],
  [
    "scheduler-interval",
    "s",
    "SECONDS",
    "seconds between schedule reads (1-60, divides 60)",
    "1",
    "schedulerInterval",
  ],
  ["no-periodic", "n", "", "do not enqueue periodic tasks", "off"],
  ["flush-locks", "f", "", "release all task locks at start", "off"],
  ["extra-locks", "L", "a,b", "more lock names to release at start", ""],
  [
    "metrics",
    "",
    "[HOST:]PORT",
    "serve Prometheus metrics at /metrics (host: 127.0.0.1)",
    "off",
    "metrics",
  ],
  [
    "dashboard",
    "",
    "[HOST:]PORT",
    "serve the dashboard (host: 127.0.0.1; others need a token)",
    "off",
    "dashboard",
  ],
  [
    "dashboard-token",
    "",
    "TOKEN",
    "the token the dashboard asks for",
    "$HUEY_DASHBOARD_TOKEN",
    "dashboardToken",
  ],
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

/** `-w/--workers`, or `--version` for a flag without a short form. */
function flagName(long: string): string {
  const short = FLAGS.find(([name]) => name === long)?.[1];
  return short ? `-${short}/--${long}` : `--${long}`;
}

/** The known flag nearest to a mistyped one (a prefix, or one or two letters off), if any. */
function nearestFlag(typed: string): string | undefined {
  const name = typed.replace(/^-+/, "").split("=")[0];
  if (!typed.startsWith("--") || name.length < 2) return undefined;
  let best: [string, number] | undefined;
  for (const [long] of FLAGS) {
    const distance = long.startsWith(name) || name.startsWith(long) ? 1 : editDistance(name, long);
    if (distance <= 2 && (!best || distance < best[1])) best = [long, distance];
  }
  return best && `--${best[0]}`;
}

/** Levenshtein distance: the fewest letters inserted, removed or changed to turn `a` into `b`. */
function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[b.length];
}

/**
 * Says what `parseArgs` found wrong in the CLI's words: which flag, as the
 * user may type it, and what to do.
 */
function usageErrorOf(error: Error): UsageError {
  const unknown = /^Unknown option '([^']+)'/.exec(error.message)?.[1];
  if (unknown !== undefined) {
    const typed = unknown.startsWith("-") ? unknown : `-${unknown}`;
    const nearest = nearestFlag(typed);
    return new UsageError(
      `unknown option ${typed}${nearest ? ` (did you mean ${nearest}?)` : ""}`,
    );
  }
  const named =
    /^Option '(?:-\w, )?--([\w-]+)[^']*' (argument missing|argument is ambiguous|does not take)/
      .exec(error.message);
  if (named) {
    const [, long, problem] = named;
    const what = {
      "argument missing": "needs a value",
      "argument is ambiguous": `needs a value (for one that starts with '-', write --${long}=-...)`,
      "does not take": "takes no value",
    }[problem];
    return new UsageError(`option ${flagName(long)} ${what}`);
  }
  return new UsageError(error.message);
}

/** A valued flag's value, as its option takes it: checked by the option's rule, named by the flag. */
function flagValue(long: string, text: string | undefined): string | number | undefined {
  const option = FLAGS.find(([name]) => name === long)?.[5];
  if (text === undefined || option === undefined) return text;
  const rule = RULES[option];
  const value = option === "workerType" || option === "metrics" || option === "dashboard" ||
      option === "dashboardToken"
    ? text
    : text.trim() === ""
    ? NaN
    : Number(text);
  if (!rule.ok(value)) {
    throw new UsageError(`option ${flagName(long)} must be ${rule.allowed}, got '${text}'`);
  }
  return value;
}

/**
 * Reads the command line.
 *
 * @throws {UsageError} An unknown flag (with the nearest known one), a
 *   missing or bad value (naming the flag, the value and what is allowed),
 *   or no module.
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
    throw usageErrorOf(error as Error);
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
  const number = (long: string): number | undefined => flagValue(long, text(long)) as number;
  const match = /^(.*?)(?::([A-Za-z_$][\w$]*))?$/.exec(target ?? "")!;
  return {
    modulePath: match[1],
    exportName: match[2],
    options: {
      workers: number("workers"),
      workerType: flagValue("worker-type", text("worker-type")) as ConsumerOptions["workerType"],
      initialDelay: number("delay"),
      maxDelay: number("max-delay"),
      backoff: number("backoff"),
      healthCheckInterval: number("health-check-interval"),
      checkWorkerHealth: flag("disable-health-check") ? false : undefined,
      schedulerInterval: number("scheduler-interval"),
      periodic: flag("no-periodic") ? false : undefined,
      maxTasks: number("max-tasks"),
      flushLocks: flag("flush-locks") || undefined,
      extraLocks: text("extra-locks")?.split(",").map((name) => name.trim()).filter(Boolean),
      metrics: flagValue("metrics", text("metrics")) as string | undefined,
      dashboard: flagValue("dashboard", text("dashboard")) as string | undefined,
      dashboardToken: flagValue("dashboard-token", text("dashboard-token")) as string | undefined,
    },
    logfile: text("logfile"),
    verbose: flag("verbose") ? true : flag("quiet") ? false : undefined,
    simple: flag("simple"),
    help,
    version,
  };
}
