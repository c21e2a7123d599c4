/**
 * `group()` and `Group`: tasks enqueued together to run in parallel (huey
 * 3's `group`). `huey.enqueue(group)` resolves to a `ResultGroup` of their
 * results; `group(...).chain(callback)` makes it a chord.
 *
 * @module
 */
import {
  checkMembers,
  Chord,
  type ChordCallback,
  type ChordMember,
  type MemberValue,
} from "./chord.ts";
import { Task, type TaskSource, toTask } from "./task.ts";

/**
 * Tasks to run in parallel. Unlike `map()`, the members may be different
 * tasks, pipelines (the group's result for one is its last stage's) or
 * chords (their callback's).
 *
 * @example
 * ```ts
 * import { group, MemoryHuey } from "./mod.ts";
 * const huey = new MemoryHuey("groups", { immediate: true });
 * const ping = huey.task(function ping(service: string) { return `${service} ok`; });
 * const results = await huey.enqueue(group([ping.s("cache"), ping.s("db")]));
 * console.assert((await results.get()).join() === "cache ok,db ok");
 * ```
 */
export class Group<T = unknown> {
  /** The members, in order. */
  readonly tasks: readonly ChordMember<T>[];

  /**
   * @param tasks The members: tasks, pipelines or chords.
   * @throws {ConfigurationError} A member is not a task or a chord.
   */
  constructor(tasks: readonly ChordMember<T>[]) {
    this.tasks = checkMembers(tasks, "group");
  }

  /**
   * Makes a chord of the members: `callback` is called with their values,
   * in order, once every one has ended. With arguments after the callback,
   * it is called with them followed by the values (the callback's type is
   * then not checked against the members').
   *
   * @returns The chord (the group is left as it was).
   */
  chain<R>(callback: ChordCallback<T, R>): Chord<Awaited<R>, T>;
  chain(callback: TaskSource | Task, arg: unknown, ...args: unknown[]): Chord<unknown, T>;
  chain(callback: TaskSource | Task, ...args: unknown[]): Chord<unknown, T> {
    return new Chord(this.tasks, args.length === 0 ? callback : toTask(callback, args));
  }

  /**
   * Sets an error handler on every member (a copy each: each handler gets
   * its own member's error). On a chord member, it is the chord's callback
   * that gets it (as `Chord.onError()`).
   *
   * @returns This group.
   */
  onError(source: TaskSource | Task, ...args: unknown[]): this {
    for (const member of this.tasks) {
      const copy = source instanceof Task
        ? new Task({ ...source.toData(), id: undefined })
        : source;
      member.onError(toTask(copy, args));
    }
    return this;
  }
}

/**
 * Builds a group: tasks to run in parallel (see {@linkcode Group}).
 *
 * @param tasks The members: tasks, pipelines or chords.
 * @returns The group, to enqueue with `huey.enqueue()` or to make a chord with `.chain()`.
 * @throws {ConfigurationError} A member is not a task or a chord.
 */
export function group<M extends ChordMember>(tasks: readonly M[]): Group<MemberValue<M>> {
  return new Group(tasks as readonly ChordMember<MemberValue<M>>[]);
}
