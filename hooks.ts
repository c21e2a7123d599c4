/**
 * Named, ordered lists of hooks: pre-execute, post-execute, startup and
 * shutdown hooks of a Huey.
 *
 * @module
 */
import type { Logger } from "./logger.ts";
import type { Task } from "./task.ts";
import { checkFunction } from "./_options.ts";

/** A pre-execute hook: throwing `CancelExecution` cancels the task. */
export type PreExecuteHook = (task: Task) => unknown;
/** A post-execute hook: receives the value, or the error. */
export type PostExecuteHook = (task: Task, value: unknown, error: unknown) => unknown;
/** A startup or shutdown hook of a consumer's worker. */
export type WorkerHook = () => unknown;

/** Options of the hook registration methods. */
export interface HookOptions {
  /** The hook's name, for unregistering. @default fn.name */
  name?: string;
}

/** Hooks in registration order, each under a name; a new hook replaces one of the same name. */
export class HookList<F extends (...args: never[]) => unknown> {
  #hooks = new Map<string, F>();

  /**
   * Adds a hook and returns it (so it works as a decorator).
   *
   * @throws {ConfigurationError} `fn` is not a function.
   */
  add(fn: F, options: HookOptions = {}): F {
    checkFunction("hook", fn);
    this.#hooks.set(options.name ?? (fn.name || `hook-${this.#hooks.size + 1}`), fn);
    return fn;
  }

  /** Removes a hook by name or by function; `true` when it was there. */
  remove(nameOrFn: string | F): boolean {
    if (typeof nameOrFn === "string") return this.#hooks.delete(nameOrFn);
    for (const [name, fn] of this.#hooks) {
      if (fn === nameOrFn) return this.#hooks.delete(name);
    }
    return false;
  }

  /** The hooks, in order. */
  get hooks(): F[] {
    return [...this.#hooks.values()];
  }

  /** How many hooks. */
  get size(): number {
    return this.#hooks.size;
  }
}

/**
 * Calls each function in order with `args`, one after the other; one that
 * throws is logged (`<kind> <name> failed<context>`) and the next runs. The
 * one loop behind hooks and signal handlers.
 *
 * @param fns The hooks or handlers.
 * @param args Their arguments.
 * @param kind What they are, for the log line (`Post-execute hook`).
 * @param logger Where failures are logged.
 * @param stops Tells an error that ends the run instead: it is not logged,
 *   and no later function runs.
 * @param context Appended to the log line (` on executing`).
 * @returns `true` when an error `stops` accepted ended the run.
 */
export async function runEach<A extends unknown[]>(
  fns: readonly ((...args: A) => unknown)[],
  args: A,
  kind: string,
  logger: Logger,
  stops?: (error: unknown) => boolean,
  context = "",
): Promise<boolean> {
  for (const fn of fns) {
    try {
      await fn(...args);
    } catch (error) {
      if (stops?.(error)) return true;
      logger.exception(`${kind} ${fn.name || "(anonymous)"} failed${context}`, error);
    }
  }
  return false;
}
