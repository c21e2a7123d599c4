/**
 * `tuple()`: a value a task returns to pass several arguments to the next
 * stage of a pipeline (huey spreads Python tuples; JavaScript has none).
 *
 * @module
 */

const TUPLE: unique symbol = Symbol.for("huey.tuple");

/** An array marked as a tuple: a pipeline spreads it into the next call's arguments. */
export type Tuple<T extends unknown[] = unknown[]> = T & { readonly [TUPLE]: true };

/**
 * Marks the items as a tuple. Returned from a task whose result feeds a
 * pipeline, the items become separate arguments of the next stage, where any
 * other value is appended as one argument. Tuples round-trip through every
 * serializer.
 *
 * @param items The items.
 * @returns A frozen array marked as a tuple.
 * @example
 * ```ts
 * import { isTuple, tuple } from "./tuple.ts";
 * const pair = tuple(1, 2);
 * console.assert(isTuple(pair) && pair[1] === 2);
 * ```
 */
export function tuple<T extends unknown[]>(...items: T): Tuple<T> {
  Object.defineProperty(items, TUPLE, { value: true });
  return Object.freeze(items) as Tuple<T>;
}

/**
 * Whether a value was made by {@linkcode tuple}.
 *
 * @param value Any value.
 * @returns `true` for a tuple.
 */
export function isTuple(value: unknown): value is Tuple {
  return Array.isArray(value) && (value as Partial<Tuple>)[TUPLE] === true;
}
