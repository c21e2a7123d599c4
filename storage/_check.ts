/**
 * The checks every storage runs on its arguments and on itself: numbers,
 * booleans, `limit`, the queue name, and the rejection of calls made after
 * `close()`. One implementation, so that every backend words its errors
 * alike.
 *
 * @module
 * @internal
 */
import { HueyError } from "../errors.ts";

/**
 * Checks a numeric option or argument: a finite number, `>= 0` or `> 0`
 * when asked.
 *
 * @example
 * ```ts
 * import { checkNumber } from "./_check.ts";
 * console.assert(checkNumber("lease", 30, ">= 0") === 30);
 * ```
 *
 * @param option The option's name, for the error message.
 * @param value What the caller passed.
 * @param sign The range wanted beyond finite, if any.
 * @returns The value, typed.
 * @throws {TypeError} The value is not a number.
 * @throws {RangeError} The value is not finite, or not in the range asked.
 */
export function checkNumber(option: string, value: unknown, sign?: ">= 0" | "> 0"): number {
  if (typeof value !== "number") {
    throw new TypeError(
      `Option '${option}' must be a number, got ${typeof value} ${String(value)}`,
    );
  }
  const inRange = sign === ">= 0" ? value >= 0 : sign === "> 0" ? value > 0 : true;
  if (!Number.isFinite(value) || !inRange) {
    throw new RangeError(
      `Option '${option}' must be a finite number${sign ? ` ${sign}` : ""}, got ${value}`,
    );
  }
  return value;
}

/**
 * Checks a boolean option.
 *
 * @example
 * ```ts
 * import { checkBoolean } from "./_check.ts";
 * console.assert(checkBoolean("fsync", false) === false);
 * ```
 *
 * @param option The option's name, for the error message.
 * @param value What the caller passed.
 * @returns The value, typed.
 * @throws {TypeError} The value is not a boolean.
 */
export function checkBoolean(option: string, value: unknown): boolean {
  if (typeof value !== "boolean") {
    throw new TypeError(
      `Option '${option}' must be a boolean, got ${typeof value} ${String(value)}`,
    );
  }
  return value;
}

/**
 * Checks the `limit` of a listing method (`enqueuedItems`, `scheduledItems`,
 * `deadLetters`): at most that many items, so a fraction rounds down.
 *
 * @example
 * ```ts
 * import { checkLimit } from "./_check.ts";
 * console.assert(checkLimit(2.5) === 2 && checkLimit(undefined) === Infinity);
 * ```
 *
 * @param limit What the caller passed; `undefined` is no limit.
 * @returns A whole number of items, or `Infinity` for no limit.
 * @throws {TypeError} `limit` is not a number.
 * @throws {RangeError} `limit` is negative or not finite.
 */
export function checkLimit(limit: number | undefined): number {
  return limit === undefined ? Infinity : Math.floor(checkNumber("limit", limit, ">= 0"));
}

/**
 * Checks a batch size, e.g. the `limit` of `moveDue`: a whole number `> 0`.
 *
 * @example
 * ```ts
 * import { checkCount } from "./_check.ts";
 * console.assert(checkCount("limit", 500) === 500);
 * ```
 *
 * @param option The option's name, for the error message.
 * @param value What the caller passed.
 * @returns The value, typed.
 * @throws {TypeError} The value is not a number.
 * @throws {RangeError} The value is not a whole number `> 0`.
 */
export function checkCount(option: string, value: unknown): number {
  const count = checkNumber(option, value, "> 0");
  if (!Number.isInteger(count)) {
    throw new RangeError(`Option '${option}' must be a whole number > 0, got ${count}`);
  }
  return count;
}

/**
 * Checks a storage's queue name.
 *
 * @example
 * ```ts
 * import { checkStorageName } from "./_check.ts";
 * console.assert(checkStorageName("emails") === "emails");
 * ```
 *
 * @param name What the caller passed.
 * @returns The name, typed.
 * @throws {TypeError} The name is not a non-empty string.
 */
export function checkStorageName(name: unknown): string {
  if (typeof name !== "string" || name === "") {
    throw new TypeError(`Storage name must be a non-empty string, got ${String(name)}`);
  }
  return name;
}

/**
 * A value as an error message shows it: strings quoted, so that `"1"` and
 * `1` read apart.
 *
 * @example
 * ```ts
 * import { show } from "./_check.ts";
 * console.assert(show("1") === '"1"' && show(1) === "1");
 * ```
 *
 * @param value Any value.
 * @returns Its text.
 */
export function show(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

/**
 * The error a call to a closed storage rejects with.
 *
 * @example
 * ```ts
 * import { closedError } from "./_check.ts";
 * console.assert(closedError("MemoryStorage", "q").message === "MemoryStorage 'q' is closed");
 * ```
 *
 * @param storage The storage's class name.
 * @param name Its queue name.
 * @returns A `HueyError` naming both.
 */
export function closedError(storage: string, name: string): HueyError {
  return new HueyError(`${storage} '${name}' is closed`);
}

/**
 * Runs a synchronous storage step as a promise: its value resolves, a throw
 * rejects (a storage method never throws synchronously).
 *
 * @example
 * ```ts
 * import { settle } from "./_check.ts";
 * console.assert((await settle(() => 1)) === 1);
 * await settle(() => {
 *   throw new Error("no");
 * }).catch(() => {});
 * ```
 *
 * @typeParam T What `fn` returns.
 * @param fn The step.
 * @returns Its value, or its error as a rejection.
 */
export function settle<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (error) {
    return Promise.reject(error);
  }
}
