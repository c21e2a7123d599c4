/**
 * The rules of the consumer's options: which values each option allows and
 * how that is said, shared by `resolveConsumerOptions` and the command
 * line's flags (`options.ts`), and the names of the worker types.
 *
 * @module
 */
import { checkOption } from "../_options.ts";
import { parseListenAddress } from "./metrics_server.ts";

/** How tasks run: worker threads, child processes, or async loops in the consumer's own event loop. */
export type WorkerType = "thread" | "process" | "greenlet";

/** The `workerType` values and their aliases (huey's `worker`, `async`, `gevent`), by name. */
export const WORKER_TYPES: Readonly<Record<string, WorkerType>> = {
  thread: "thread",
  worker: "thread",
  process: "process",
  greenlet: "greenlet",
  async: "greenlet",
  gevent: "greenlet",
};

/** A check of one option: whether a value is allowed, and what is. */
export interface Rule {
  ok: (value: unknown) => boolean;
  allowed: string;
}

const atLeastOne: Rule = {
  ok: (n) => Number.isInteger(n) && (n as number) >= 1,
  allowed: "an integer >= 1",
};

const positiveSeconds: Rule = {
  ok: (n) => typeof n === "number" && Number.isFinite(n) && n > 0,
  allowed: "a number of seconds > 0",
};

const listenRule: Rule = {
  ok: (text) => typeof text === "string" && parseListenAddress(text) !== null,
  allowed: "[host:]port, a port from 0 to 65535 (host 127.0.0.1 when not given)",
};

/** The rules of the options that have one: `resolveConsumerOptions` and the CLI's flags share them. */
export const RULES: Readonly<Record<string, Rule>> = {
  workers: atLeastOne,
  workerType: {
    ok: (type) => typeof type === "string" && Object.hasOwn(WORKER_TYPES, type),
    allowed: "thread, process or greenlet (or worker, async, gevent)",
  },
  initialDelay: positiveSeconds,
  maxDelay: positiveSeconds,
  backoff: {
    ok: (n) => typeof n === "number" && Number.isFinite(n) && n >= 1,
    allowed: "a number >= 1",
  },
  healthCheckInterval: positiveSeconds,
  maxTasks: atLeastOne,
  schedulerInterval: {
    ok: (n) =>
      Number.isInteger(n) && (n as number) >= 1 && (n as number) <= 60 && 60 % (n as number) === 0,
    allowed: "an integer from 1 to 60 that divides 60",
  },
  metrics: listenRule,
  dashboard: listenRule,
  dashboardToken: {
    ok: (text) => typeof text === "string" && text !== "",
    allowed: "a non-empty string",
  },
};

/** Checks an option by its rule, with the library's one error and wording (`_options.ts`). */
export function check(option: string, value: unknown): void {
  const { ok, allowed } = RULES[option];
  checkOption(ok(value), option, value, allowed);
}
