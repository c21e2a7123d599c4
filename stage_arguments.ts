/**
 * What a task's run adds to the task that follows it: a pipeline's next
 * stage gets the stage's value as its last arguments, an error handler the
 * error (huey's `task.then()` and `task.error()`).
 *
 * @module
 * @internal
 */
import type { Task } from "./task.ts";
import { isTuple } from "./tuple.ts";

/**
 * The arguments a stage's value adds to the next stage: a tuple is spread, null adds nothing.
 *
 * @param value What the stage returned.
 * @returns The arguments to append.
 */
export function valueArguments(value: unknown): unknown[] {
  if (value === null || value === undefined) return [];
  return isTuple(value) ? [...value] : [value];
}

/**
 * A follow-up task with the arguments a run adds to it.
 *
 * @param next The next stage or error handler (changed in place).
 * @param extra The arguments to append.
 * @returns `next`.
 */
export function withValue(next: Task, extra: unknown[]): Task {
  next.args = [...next.args, ...extra];
  return next;
}
