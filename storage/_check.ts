/**
 * The checks only storages need, on top of the option checks every part of
 * the library shares (`_options.ts`: one error class, one wording): the
 * queue name, the `limit` of a listing, and the rejection of calls made
 * after `close()`.
 *
 * @module
 * @internal
 */
import { HueyError } from "../errors.ts";
import { checkInteger, checkNumber, checkText } from "../_options.ts";

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
 * @throws {ConfigurationError} `limit` is not a finite number `>= 0`.
 */
export function checkLimit(limit: number | undefined): number {
  return limit === undefined ? Infinity : Math.floor(checkNumber("limit", limit, ">= 0"));
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
 * @throws {ConfigurationError} The name is not a non-empty string.
 */
export function checkStorageName(name: unknown): string {
  return checkText("name", name);
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

/**
 * Checks the `maxLength` of `Storage.addFailure`: a whole number > 0.
 *
 * @throws {ConfigurationError} It is not.
 */
export function checkMaxLength(maxLength: unknown): number {
  return checkInteger("maxLength", maxLength, 1);
}
