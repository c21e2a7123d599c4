/**
 * How a running task is stopped: the `AbortSignal` it sees as
 * `task.signal`, made only when something reads it (most task functions
 * never do, and an `AbortController` is the largest object of a run).
 *
 * @module
 * @internal
 */

/** The signal of a task that is not running: never aborted (one for all, as a task is built per message). */
export const NOT_RUNNING: AbortSignal = new AbortController().signal;

/** The key under which a running task keeps its {@linkcode RunStop} (`null` when it does not run). */
export const RUN_STOP: unique symbol = Symbol("huey.runStop");

/** The stop of one run of a task: aborts its signal, made when first read. */
export class RunStop {
  #controller: AbortController | null = null;
  #stopped = false;
  #reason: unknown = undefined;

  /** Aborted once the run is stopped (made now if nothing read it yet: aborted already when stopped). */
  get signal(): AbortSignal {
    if (this.#controller === null) {
      this.#controller = new AbortController();
      if (this.#stopped) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  /** Whether the run was stopped. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** Stops the run once: its signal aborts with `reason`. */
  abort(reason: unknown): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#reason = reason;
    this.#controller?.abort(reason);
  }
}
