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
import {
  eventCount,
  expandEventLines,
  type PairRuns,
  pairsLine,
  RUN_FIELDS,
  RUN_START,
  type TimedRuns,
} from "./_event_lines.ts";

/**
 * A part of the events a publisher stores: an event's text, or runs of the
 * publisher's consumer whose `executing` and `complete` events go as a
 * pairs line (see `_event_lines.ts`).
 */
export type EventSegment = string | TimedRuns;

/**
 * The events a consumer's publisher stores (`event_publisher.ts`), with
 * their count: their texts are built by `event.ts`, so the checks and the
 * count of {@linkcode checkEventsToAdd} and {@linkcode mergeEvents} skip
 * the scan of each text (it would flatten every text once more), and the
 * runs of consecutive calls are stored as one pairs line. The `finish`
 * calls of a turn share one: the first write that takes it stores it
 * ({@linkcode take}); until then the publisher adds the runs that complete.
 */
export class PublishedEvents implements EventsToAdd {
  /** The events, in order: texts, and runs that a pairs line holds. */
  readonly segments: readonly EventSegment[];
  /** How many events they hold (two a run; the publisher's to update until a write takes them). */
  count: number;
  /** A step that carried them failed and the publisher keeps them again: no write takes them. */
  kept = false;
  #taken = false;
  /** The most events the log keeps. */
  readonly maxLength: number;
  /** `host:pid` of the consumer whose runs they hold. */
  readonly consumer: string;

  /**
   * @param segments The events, in order.
   * @param count How many events they hold.
   * @param maxLength The most events the log keeps.
   * @param consumer `host:pid` of the consumer whose runs they hold.
   */
  constructor(
    segments: readonly EventSegment[],
    count: number,
    maxLength: number,
    consumer: string,
  ) {
    this.segments = segments;
    this.count = count;
    this.maxLength = maxLength;
    this.consumer = consumer;
  }

  /** Whether a write took them ({@linkcode take}): nothing is added to them any more. */
  get taken(): boolean {
    return this.#taken;
  }

  /**
   * The segments, for the one write that stores them: `null` once a write
   * took them (another `finish` call of the turn that shared them) or the
   * publisher kept them again.
   */
  take(): readonly EventSegment[] | null {
    if (this.#taken || this.kept) return null;
    this.#taken = true;
    return this.segments;
  }

  /** The lines of the events (a pairs line for each segment of runs). */
  get items(): string[] {
    return this.segments.map((segment) =>
      typeof segment === "string" ? segment : pairsLine(this.consumer, segment)
    );
  }
}

/**
 * Whether a call holds no event (for a publisher's, without writing its
 * lines, which `items` would).
 */
export function holdsNoEvent(events: EventsToAdd | undefined): boolean {
  if (events === undefined) return true;
  return events instanceof PublishedEvents ? events.count === 0 : events.items.length === 0;
}

/**
 * The lines a write stores of a call's events: a publisher's once
 * ({@linkcode PublishedEvents.take}: none for a call whose events another
 * write took), else the call's items.
 */
export function linesToStore(events: EventsToAdd): readonly string[] {
  if (!(events instanceof PublishedEvents)) return events.items;
  return events.take() === null ? [] : events.items;
}

/** How many events the items of a call hold (a pairs line holds two a run). */
function countOf(call: EventsToAdd): number {
  return call instanceof PublishedEvents ? call.count : eventCount(call.items);
}

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
 * @throws {ConfigurationError} `items` is not an array of strings without line breaks, or `maxLength` is not a whole number > 0.
 */
export function checkEventsToAdd(events: EventsToAdd): EventsToAdd {
  if (events instanceof PublishedEvents) return events;
  const items = events?.items;
  const ok = Array.isArray(items) &&
    items.every((item) => typeof item === "string" && !item.includes("\n"));
  checkOption(ok, "items", items, "an array of strings without line breaks");
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

/** A place in a log kept as rows of several events: a row, and an event's index in it. */
export interface RowPosition<Seq = number> {
  /** The row's seq (a number in SQL tables, an entry id in a Redis stream). */
  readonly row: Seq;
  /** The event's index in the row; a seq of one number names the whole row (its last event). */
  readonly index: number;
}

/**
 * The place a seq `<row>.<index>` names in a log kept as rows of several
 * events (SQLite, PostgreSQL), checked; a seq of one number (a cursor of a
 * log of one event per row, before schema upgrades) names the whole row.
 *
 * @example
 * ```ts
 * import { rowSeq } from "./_event_check.ts";
 * console.assert(rowSeq("42.3").row === 42 && rowSeq("42.3").index === 3);
 * ```
 *
 * @throws {ConfigurationError} `after` is not such a seq (one of another backend, say).
 */
export function rowSeq(after: string): RowPosition {
  const match = typeof after === "string" ? /^(\d+)(?:\.(\d+))?$/.exec(after) : null;
  const row = Number(match?.[1]);
  const index = match?.[2] === undefined ? Number.MAX_SAFE_INTEGER : Number(match[2]);
  const ok = match !== null && Number.isSafeInteger(row) && Number.isSafeInteger(index);
  checkOption(ok, "after", after, "a seq of this log");
  return { row, index };
}

/**
 * The events a log appends for the event calls of one write, as one
 * record: every call's items in order, of which only the newest `keep`
 * events (the older ones would be dropped at once), `keep` being what the
 * log must keep after them, as if each call had been appended and capped
 * in turn: the minimum over calls c of (c's max length + the events of the
 * calls after c). The runs of consecutive {@linkcode PublishedEvents} of a
 * consumer become one pairs line (see `_event_lines.ts`). `count` is how
 * many events `items` hold (a pairs line holds two a run; runs cut by the
 * cap are given as their events).
 *
 * @example
 * ```ts
 * import { mergeEvents } from "./_event_check.ts";
 * const merged = mergeEvents([{ items: ["a", "b"], maxLength: 5 }, { items: ["c"], maxLength: 1 }]);
 * console.assert(merged.items.join() === "c" && merged.keep === 1 && merged.count === 1);
 * ```
 */
export function mergeEvents(
  calls: readonly EventsToAdd[],
): { items: string[]; count: number; keep: number } {
  const [only] = calls;
  // The events of one publisher that the cap keeps whole, which the `finish` calls of a turn
  // share (each call names them): their lines as they are.
  if (
    only instanceof PublishedEvents && only.count <= only.maxLength &&
    calls.every((call) => call === only)
  ) {
    if (only.take() === null) return { items: [], count: 0, keep: Infinity };
    return { items: only.items, count: only.count, keep: only.maxLength };
  }
  let keep = Infinity;
  let count = 0;
  const items: string[] = [];
  const lines = new PairsLines(items);
  for (const call of calls) {
    const segments = call instanceof PublishedEvents ? call.take() : undefined;
    if (segments === null) continue; // another call of the write took them
    const events = countOf(call);
    keep = Math.min(keep + events, call.maxLength);
    count += events;
    if (segments !== undefined) {
      for (const segment of segments) {
        if (typeof segment === "string") lines.add(segment);
        else lines.addRuns((call as PublishedEvents).consumer, segment);
      }
    } else for (const item of call.items) lines.add(item);
  }
  lines.end();
  if (count <= keep) return { items, count, keep };
  const kept = expandEventLines(items);
  return { items: kept.slice(kept.length - keep), count: keep, keep };
}

/** Lines being written: runs are gathered into one pairs line until another line or consumer comes. */
class PairsLines {
  #lines: string[];
  #runs: PairRuns = [];
  #at = 0;
  #consumer = "";

  /** @param lines Where the lines go. */
  constructor(lines: string[]) {
    this.#lines = lines;
  }

  /** Adds a line (after the runs gathered so far). */
  add(line: string): void {
    this.end();
    this.#lines.push(line);
  }

  /** Adds runs of a consumer (their times counted again from the line's `at` when it differs). */
  addRuns(consumer: string, { at, runs }: TimedRuns): void {
    if (consumer !== this.#consumer) this.end();
    this.#consumer = consumer;
    if (this.#runs.length === 0) this.#at = at;
    const shift = at - this.#at;
    const gathered = this.#runs;
    for (let index = 0; index < runs.length; index++) gathered.push(runs[index]);
    if (shift === 0) return;
    for (
      let index = gathered.length - runs.length + RUN_START;
      index < gathered.length;
      index += RUN_FIELDS
    ) {
      gathered[index] = (gathered[index] as number) + shift;
    }
  }

  /** Writes the runs gathered so far as a pairs line. */
  end(): void {
    if (this.#runs.length === 0) return;
    this.#lines.push(pairsLine(this.#consumer, { at: this.#at, runs: this.#runs }));
    this.#runs = [];
  }
}
