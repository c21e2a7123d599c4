/**
 * `ChordResult`: the handle on an enqueued chord — its callback's result,
 * its members' results, and those of the stages chained after the callback.
 *
 * @module
 */
import type { GetOptions, Result, ResultGroup } from "./result.ts";

/**
 * The outcome of an enqueued chord (huey 3's `ChordResult`). `get()` is the
 * callback's value; `R` is its type and `T` the members'. Not thenable:
 * await `get()`.
 *
 * @example
 * ```ts
 * import { group, MemoryHuey } from "./mod.ts";
 * const huey = new MemoryHuey("chords", { immediate: true });
 * const incr = huey.task(function incr(n: number) { return n + 1; });
 * const total = huey.task(function total(ns: number[]) { return ns.reduce((a, b) => a + b, 0); });
 * const result = await huey.enqueue(group([0, 1, 2].map((n) => incr.s(n))).chain(total).chain(incr));
 * console.assert((await result.get()) === 6);
 * console.assert((await result.results.get()).join() === "1,2,3");
 * console.assert((await result.pipelineResults!.get()).join() === "6,7");
 * ```
 */
export class ChordResult<R = unknown, T = unknown> {
  /** The members' results, in order (for a pipeline member, its last stage's). */
  readonly results: ResultGroup<T>;
  /** The callback's result. */
  readonly callback: Result<R>;
  /** The results of the callback and each stage chained after it; `null` when none is. */
  readonly pipelineResults: ResultGroup | null;

  /**
   * @param results The members' results.
   * @param callback The callback's result.
   * @param pipelineResults The callback's and its next stages' results, if it has any.
   */
  constructor(results: ResultGroup<T>, callback: Result<R>, pipelineResults: ResultGroup | null) {
    this.results = results;
    this.callback = callback;
    this.pipelineResults = pipelineResults;
  }

  /** The callback's task id. */
  get id(): string {
    return this.callback.id;
  }

  /**
   * The callback's value (see `Result.get()`): `null` when not ready and not blocking.
   *
   * @throws {TaskError} The callback failed.
   * @throws {ResultTimeout} A blocking wait ran past `timeout`.
   */
  get(options?: GetOptions): Promise<R | null> {
    return this.callback.get(options);
  }

  /** Forgets the callback's value read, so the next `get()` reads storage again. */
  reset(): void {
    this.callback.reset();
  }
}
