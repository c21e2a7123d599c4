/**
 * Named, ordered lists of hooks: pre-execute, post-execute, startup and
 * shutdown hooks of a Huey.
 *
 * @module
 */
import { checkFunction } from "./_options.ts";

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
