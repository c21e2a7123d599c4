/**
 * The checks of the counter and member-set operations (`incr`, `addMember`)
 * and of `enqueueOnce`'s items, shared by every backend so that each rejects
 * the same bad arguments with the same words.
 *
 * @module
 * @internal
 */
import type { OnceItem, TallyOptions } from "./base.ts";
import { checkInteger, checkNumber, checkText } from "../_options.ts";

/**
 * Checks the `ttl` of a counter or member set.
 *
 * @example
 * ```ts
 * import { checkTallyTtl } from "./_tally.ts";
 * console.assert(checkTallyTtl({ ttl: 1.5 }) === 1.5 && checkTallyTtl() === undefined);
 * ```
 *
 * @param options What the caller passed.
 * @returns The ttl in seconds, or `undefined` (kept until deleted).
 * @throws {ConfigurationError} `ttl` is not a finite number `> 0`.
 */
export function checkTallyTtl(options: TallyOptions = {}): number | undefined {
  const { ttl } = options;
  return ttl === undefined ? undefined : checkNumber("ttl", ttl, "> 0");
}

/**
 * Checks what `incr` adds: a safe integer (negative counts down).
 *
 * @example
 * ```ts
 * import { checkIncrement } from "./_tally.ts";
 * console.assert(checkIncrement(undefined) === 1 && checkIncrement(-2) === -2);
 * ```
 *
 * @param by What the caller passed; 1 when omitted.
 * @returns The increment.
 * @throws {ConfigurationError} `by` is not a safe integer.
 */
export function checkIncrement(by: number | undefined): number {
  return by === undefined ? 1 : checkInteger("by", by, Number.MIN_SAFE_INTEGER);
}

/**
 * Checks a member of a member set.
 *
 * @example
 * ```ts
 * import { checkMember } from "./_tally.ts";
 * console.assert(checkMember("task-1") === "task-1");
 * ```
 *
 * @param member What the caller passed.
 * @returns The member.
 * @throws {ConfigurationError} `member` is not a non-empty string.
 */
export function checkMember(member: unknown): string {
  return checkText("member", member);
}

/**
 * Checks the `eta` and `priority` of `enqueueOnce`'s items before any is
 * written, so that a bad item enqueues none.
 *
 * @example
 * ```ts
 * import { checkOnceItems } from "./_tally.ts";
 * const items = checkOnceItems([{ data: new Uint8Array(1), eta: 5 }]);
 * console.assert(items[0].priority === 0 && items[0].eta === 5);
 * ```
 *
 * @param items What the caller passed.
 * @returns The items with their priority (0 when omitted) and eta (`undefined`: queued now).
 * @throws {ConfigurationError} A priority or an eta is not a finite number.
 */
export function checkOnceItems(
  items: readonly OnceItem[],
): { data: Uint8Array; priority: number; eta: number | undefined }[] {
  return items.map(({ data, priority = 0, eta }) => ({
    data,
    priority: checkNumber("priority", priority),
    eta: eta === undefined ? undefined : checkNumber("eta", eta),
  }));
}
