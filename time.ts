/**
 * Turning huey's relative times (seconds) and absolute times (`Date`) into
 * the absolute times stored in messages.
 *
 * @module
 */
import { checkDate, checkOption, show } from "./_options.ts";
import { ConfigurationError } from "./errors.ts";

/**
 * The time `seconds` from now; `null` for a delay of 0 (run now).
 *
 * @param seconds A finite number of seconds; negative gives a past time.
 * @param option The option's name, for the error message.
 * @returns The absolute time, or `null` for 0.
 * @throws {ConfigurationError} When `seconds` is not a finite number.
 */
export function relativeTime(seconds: number, option: string): Date | null {
  checkSeconds(seconds, option);
  return seconds === 0 ? null : new Date(Date.now() + seconds * 1000);
}

/**
 * Resolves an eta given as `eta` (a Date) or `delay` (seconds), at most one of them.
 *
 * @returns The eta, or `null` when neither was given or the delay is 0.
 * @throws {ConfigurationError} When both are given or a value has the wrong type.
 */
export function resolveEta(eta: Date | null | undefined, delay: number | undefined): Date | null {
  if (eta != null && delay !== undefined) {
    throw new ConfigurationError(
      `Give either eta (a Date) or delay (seconds), not both: got eta ${show(eta)} and delay ${
        show(delay)
      }`,
    );
  }
  if (delay !== undefined) return relativeTime(delay, "delay");
  if (eta != null) return checkDate("eta", eta);
  return null;
}

/**
 * The absolute expiry of a task: `expires` seconds from `now`, or the time given.
 *
 * @returns The expiry time, or `null` when the task does not expire.
 */
export function resolveExpires(expires: number | Date | null, now = Date.now()): Date | null {
  if (expires === null) return null;
  if (expires instanceof Date) return checkDate("expires", expires);
  checkSeconds(expires, "expires");
  return new Date(now + expires * 1000);
}

/**
 * The longest delay, expiry or retry delay, in seconds: 100 years. Beyond
 * some thousands of years `now + seconds` is no longer a valid `Date`, and a
 * task message holding one could not be stored.
 */
export const MAX_SECONDS = 100 * 365.25 * 24 * 3600;

/**
 * The longest task `timeout`, in seconds: the longest delay a JavaScript
 * timer keeps (2^31 - 1 ms, about 24.8 days); a longer one fires at once.
 */
export const MAX_TIMEOUT_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

/**
 * Checks a number of seconds: finite, and at most {@linkcode MAX_SECONDS}
 * either way.
 *
 * @throws {ConfigurationError} When it is not such a number.
 */
export function checkSeconds(seconds: unknown, option: string): number {
  checkOption(
    typeof seconds === "number" && Math.abs(seconds) <= MAX_SECONDS,
    option,
    seconds,
    `a finite number of seconds, at most ${MAX_SECONDS} (100 years)`,
  );
  return seconds as number;
}
