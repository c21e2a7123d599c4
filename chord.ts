/**
 * `chord()` and `Chord`: tasks run in parallel, then a callback called with
 * all of their results, in order (huey 3's `chord`, a map/reduce). The
 * members may be tasks, pipelines (the last stage's value counts) or chords
 * (the callback's value counts); a group may not be one. What happens when a
 * member ends is in chord_completion.ts.
 *
 * @module
 */
import { show } from "./_options.ts";
import { ConfigurationError } from "./errors.ts";
import { Task, type TaskSource } from "./task.ts";
import type { TaskWrapper } from "./wrapper.ts";

/** A member of a chord or group: a task (a pipeline included) or a chord. */
export type ChordMember<T = unknown> = Task<T> | Chord<T, unknown>;

/**
 * What a member gives the callback: a task's value (for a pipeline, typed by
 * its first stage, as `chain()` keeps the first stage's type), or a chord's
 * callback value.
 */
export type MemberValue<M> = M extends Chord<infer R, unknown> ? R
  : M extends Task<infer R> ? R
  : never;

/**
 * A chord's callback: a task wrapper that takes the members' values as its
 * one argument, or a built task (its arguments come first, the members'
 * values are appended as its last argument).
 */
export type ChordCallback<T, R> = TaskWrapper<[T[]], R> | Task<R>;

/**
 * Tasks run in parallel and a callback called with their results, as a
 * list in the members' order, once every member has ended. A member that
 * failed for good (its retries used up) contributes its `TaskError`; one
 * that was revoked, expired or cancelled by a pre-execute hook contributes
 * `null`. Enqueue it with `huey.enqueue()`, which resolves to a
 * `ChordResult`.
 *
 * `R` is the callback's value, `T` the members'.
 *
 * @example
 * ```ts
 * import { chord, MemoryHuey } from "./mod.ts";
 * const huey = new MemoryHuey("chords", { immediate: true });
 * const square = huey.task(function square(n: number) { return n * n; });
 * const total = huey.task(function total(ns: number[]) { return ns.reduce((a, b) => a + b, 0); });
 * const result = await huey.enqueue(chord([1, 2, 3].map((n) => square.s(n)), total));
 * console.assert((await result.get()) === 14);
 * ```
 */
export class Chord<R = unknown, T = unknown> {
  /** The members, in the order their values reach the callback. */
  readonly tasks: readonly ChordMember<T>[];
  /** The callback (and whatever is chained after it). */
  readonly callback: Task<R>;

  /**
   * @param tasks The members: tasks, pipelines or chords.
   * @param callback A task wrapper (called as `callback.s()`) or a built task.
   * @throws {ConfigurationError} A member is not a task or a chord (a group:
   *   make it a chord first with `.chain()`), or the callback is not a task.
   */
  constructor(tasks: readonly ChordMember<T>[], callback: TaskSource | Task<R>) {
    this.tasks = checkMembers(tasks, "chord");
    const built = callback instanceof Task
      ? callback
      : (callback as { s?: () => unknown } | null)?.s?.();
    if (!(built instanceof Task)) {
      throw new ConfigurationError(
        `A chord's callback must be a task wrapper or a task, got ${show(callback)}`,
      );
    }
    this.callback = built as Task<R>;
  }

  /**
   * Chains a stage after the callback (as `Task.chain()`): it is called with
   * `args` followed by the callback's value. `ChordResult.get()` still gives
   * the callback's value; `pipelineResults` has every stage's.
   *
   * @returns This chord.
   */
  chain(source: TaskSource | Task, ...args: unknown[]): this {
    this.callback.chain(source, ...args);
    return this;
  }

  /**
   * Sets the task run when the callback fails for good (as `Task.onError()`).
   * A member's failure does not run it: the member's error goes to the
   * callback.
   *
   * @returns This chord.
   */
  onError(source: TaskSource | Task, ...args: unknown[]): this {
    this.callback.onError(source, ...args);
    return this;
  }
}

/**
 * Builds a chord: `tasks` run in parallel, then `callback` is called with
 * their values in order (see {@linkcode Chord}).
 *
 * @example
 * ```ts
 * import { chord, MemoryHuey } from "./mod.ts";
 * const huey = new MemoryHuey("chords", { immediate: true });
 * const fetchPage = huey.task(function fetchPage(url: string) { return url.length; });
 * const sum = huey.task(function sum(sizes: number[]) { return sizes.reduce((a, b) => a + b, 0); });
 * const result = await huey.enqueue(chord(["a", "bb"].map((url) => fetchPage.s(url)), sum));
 * console.assert((await result.get()) === 3);
 * ```
 *
 * @param tasks The members: tasks, pipelines or chords.
 * @param callback A task wrapper that takes the members' values, or a built task.
 * @returns The chord, to enqueue with `huey.enqueue()`.
 * @throws {ConfigurationError} A member is not a task or a chord.
 */
export function chord<M extends ChordMember, R>(
  tasks: readonly M[],
  callback: ChordCallback<MemberValue<M>, R>,
): Chord<Awaited<R>, MemberValue<M>> {
  return new Chord(tasks as readonly ChordMember<MemberValue<M>>[], callback as Task<Awaited<R>>);
}

/**
 * Checks the members of a chord or group: each is a task or a chord.
 *
 * @param tasks The members.
 * @param kind `chord` or `group`, for the message.
 * @returns A frozen copy of the list.
 * @throws {ConfigurationError} One is not (the message says which, and that a
 *   group must be made a chord with `.chain()` before it can be a member).
 */
export function checkMembers<T>(
  tasks: readonly ChordMember<T>[],
  kind: "chord" | "group",
): readonly ChordMember<T>[] {
  if (!Array.isArray(tasks)) {
    throw new ConfigurationError(`A ${kind}'s members must be an array, got ${show(tasks)}`);
  }
  tasks.forEach((member, index) => {
    if (member instanceof Task || member instanceof Chord) return;
    throw new ConfigurationError(
      `Member ${index} of a ${kind} must be a task, a pipeline or a chord, got ${show(member)}` +
        " (a group cannot be a member: make it a chord with group(...).chain(callback))",
    );
  });
  return Object.freeze([...tasks]);
}
