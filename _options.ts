/**
 * The checks of every option and set-up argument the library takes (Huey,
 * tasks, serializers, storages, the consumer, crontab, locks, MiniHuey):
 * one place, one error class (`ConfigurationError`), one wording —
 * `Option 'name' must be <what is allowed>, got <value>`.
 *
 * @module
 * @internal
 */
import { ConfigurationError } from "./errors.ts";

/**
 * A value as an error message shows it: strings quoted (so that `"1"` and
 * `1` read apart), objects by their kind.
 *
 * @example
 * ```ts
 * import { show } from "./_options.ts";
 * console.assert(show("1") === '"1"' && show(1) === "1" && show([]) === "an array");
 * ```
 *
 * @param value Any value.
 * @returns Its text.
 */
export function show(value: unknown): string {
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "bigint":
      return `${value}n`;
    case "function":
      return "a function";
    case "symbol":
      return value.toString();
    case "object":
      if (value === null) return "null";
      if (value instanceof Date) {
        return Number.isNaN(value.getTime()) ? "Invalid Date" : value.toISOString();
      }
      return Array.isArray(value) ? "an array" : "an object";
    default:
      return String(value);
  }
}

/**
 * The error of a bad option.
 *
 * @example
 * ```ts
 * import { optionError } from "./_options.ts";
 * const error = optionError("workers", 0, "an integer >= 1");
 * console.assert(error.message === "Option 'workers' must be an integer >= 1, got 0");
 * ```
 *
 * @param option The option's (or argument's) name.
 * @param value What the caller passed.
 * @param allowed What is allowed, e.g. `an integer >= 1`.
 * @returns A `ConfigurationError` naming all three.
 */
export function optionError(option: string, value: unknown, allowed: string): ConfigurationError {
  return new ConfigurationError(`Option '${option}' must be ${allowed}, got ${show(value)}`);
}

/**
 * Throws {@linkcode optionError} unless `ok`.
 *
 * @example
 * ```ts
 * import { checkOption } from "./_options.ts";
 * checkOption(true, "backoff", 1.5, "a number >= 1");
 * ```
 *
 * @param ok Whether the value is allowed.
 * @param option The option's name.
 * @param value What the caller passed.
 * @param allowed What is allowed.
 * @throws {ConfigurationError} `ok` is false.
 */
export function checkOption(ok: boolean, option: string, value: unknown, allowed: string): void {
  if (!ok) throw optionError(option, value, allowed);
}

/**
 * Checks a numeric option: a finite number, `>= 0` or `> 0` when asked.
 *
 * @example
 * ```ts
 * import { checkNumber } from "./_options.ts";
 * console.assert(checkNumber("leaseTimeout", 30, "> 0") === 30);
 * ```
 *
 * @param option The option's name.
 * @param value What the caller passed.
 * @param sign The range wanted beyond finite, if any.
 * @returns The value, typed.
 * @throws {ConfigurationError} The value is not a finite number in the range asked.
 */
export function checkNumber(option: string, value: unknown, sign?: ">= 0" | "> 0"): number {
  const ok = typeof value === "number" && Number.isFinite(value) &&
    (sign === ">= 0" ? value >= 0 : sign === "> 0" ? value > 0 : true);
  checkOption(ok, option, value, `a finite number${sign ? ` ${sign}` : ""}`);
  return value as number;
}

/**
 * Checks an integer option in `min` to `max` (inclusive).
 *
 * @example
 * ```ts
 * import { checkInteger } from "./_options.ts";
 * console.assert(checkInteger("compressionLevel", 6, 0, 9) === 6);
 * ```
 *
 * @param option The option's name.
 * @param value What the caller passed.
 * @param min The smallest value allowed.
 * @param max The largest value allowed.
 * @returns The value, typed.
 * @throws {ConfigurationError} The value is not an integer in range.
 */
export function checkInteger(option: string, value: unknown, min: number, max = Infinity): number {
  const ok = Number.isInteger(value) && (value as number) >= min && (value as number) <= max;
  checkOption(
    ok,
    option,
    value,
    max === Infinity ? `an integer >= ${min}` : `an integer from ${min} to ${max}`,
  );
  return value as number;
}

/**
 * Checks a boolean option.
 *
 * @example
 * ```ts
 * import { checkBoolean } from "./_options.ts";
 * console.assert(checkBoolean("fsync", false) === false);
 * ```
 *
 * @param option The option's name.
 * @param value What the caller passed.
 * @returns The value, typed.
 * @throws {ConfigurationError} The value is not a boolean.
 */
export function checkBoolean(option: string, value: unknown): boolean {
  checkOption(typeof value === "boolean", option, value, "a boolean");
  return value as boolean;
}

/**
 * Checks a string option that must not be empty.
 *
 * @example
 * ```ts
 * import { checkText } from "./_options.ts";
 * console.assert(checkText("name", "emails") === "emails");
 * ```
 *
 * @param option The option's name.
 * @param value What the caller passed.
 * @returns The value, typed.
 * @throws {ConfigurationError} The value is not a non-empty string.
 */
export function checkText(option: string, value: unknown): string {
  checkOption(typeof value === "string" && value !== "", option, value, "a non-empty string");
  return value as string;
}

/**
 * Checks an option or argument that must be a function.
 *
 * @example
 * ```ts
 * import { checkFunction } from "./_options.ts";
 * const fn = checkFunction("hook", () => 1);
 * console.assert(fn() === 1);
 * ```
 *
 * @typeParam F The function's type.
 * @param option The option's name.
 * @param value What the caller passed.
 * @returns The value, typed.
 * @throws {ConfigurationError} The value is not a function.
 */
export function checkFunction<F>(option: string, value: F): F {
  checkOption(typeof value === "function", option, value, "a function");
  return value;
}

/**
 * Checks a time option: a valid `Date`.
 *
 * @example
 * ```ts
 * import { checkDate } from "./_options.ts";
 * console.assert(checkDate("eta", new Date(0)).getTime() === 0);
 * ```
 *
 * @param option The option's name.
 * @param value What the caller passed.
 * @returns The value, typed.
 * @throws {ConfigurationError} The value is not a valid Date.
 */
export function checkDate(option: string, value: unknown): Date {
  const ok = value instanceof Date && !Number.isNaN(value.getTime());
  checkOption(ok, option, value, "a valid Date");
  return value as Date;
}
