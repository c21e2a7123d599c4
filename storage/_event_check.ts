/**
 * The argument checks of the event log and the heartbeats, shared by every
 * backend so that a bad `maxLength`, `limit`, `since`, `timeout` or `ttl`
 * is refused with the same `ConfigurationError` everywhere.
 *
 * @module
 * @internal
 */
import type { EventsToAdd, ReadEventsOptions } from "./base.ts";
import { checkInteger, checkNumber, checkOption } from "../_options.ts";
import { checkMaxLength } from "./_check.ts";

/**
 * Checks the events of `addEvents` or `FinishOptions.events`.
 *
 * @example
 * ```ts
 * import { checkEventsToAdd } from "./_event_check.ts";
 * console.assert(checkEventsToAdd({ items: [], maxLength: 10 }).maxLength === 10);
 * ```
 *
 * @param events What the caller passed.
 * @returns The events, typed.
 * @throws {ConfigurationError} `items` is not an array of Uint8Array, or `maxLength` is not a whole number > 0.
 */
export function checkEventsToAdd(events: EventsToAdd): EventsToAdd {
  const items = events?.items;
  const ok = Array.isArray(items) && items.every((item) => item instanceof Uint8Array);
  checkOption(ok, "items", items, "an array of Uint8Array");
  checkMaxLength(events.maxLength);
  return events;
}

/**
 * Checks the options of `readEvents`: `limit` a whole number > 0, `since`
 * a finite number of epoch ms, `after` a string.
 *
 * @example
 * ```ts
 * import { checkReadEvents } from "./_event_check.ts";
 * console.assert(checkReadEvents({ limit: 5 }).limit === 5);
 * ```
 *
 * @param options What the caller passed.
 * @returns The options, typed.
 * @throws {ConfigurationError} One of them is out of range.
 */
export function checkReadEvents(options: ReadEventsOptions): ReadEventsOptions {
  const { after, since, limit } = options ?? {};
  checkInteger("limit", limit, 1);
  if (since !== undefined) checkNumber("since", since);
  if (after !== undefined) checkOption(typeof after === "string", "after", after, "a string");
  return { after, since, limit };
}

/**
 * Checks the `timeout` (ms) of `waitForEvents`.
 *
 * @throws {ConfigurationError} It is not a finite number >= 0.
 */
export function checkWaitTimeout(timeout: unknown): number {
  return checkNumber("timeout", timeout, ">= 0");
}

/**
 * Checks the `ttl` (seconds) of `putHeartbeat`.
 *
 * @throws {ConfigurationError} It is not a finite number > 0.
 */
export function checkHeartbeatTtl(ttl: unknown): number {
  return checkNumber("ttl", ttl, "> 0");
}

/**
 * The number a counter `seq` names (the memory and SQLite logs render a
 * counter as a decimal string), checked.
 *
 * @example
 * ```ts
 * import { counterSeq } from "./_event_check.ts";
 * console.assert(counterSeq("42") === 42);
 * ```
 *
 * @throws {ConfigurationError} `after` is not such a seq (one of another backend, say).
 */
export function counterSeq(after: string): number {
  const seq = Number(after);
  const ok = typeof after === "string" && /^\d+$/.test(after) && Number.isSafeInteger(seq);
  checkOption(ok, "after", after, "a seq of this log");
  return seq;
}
