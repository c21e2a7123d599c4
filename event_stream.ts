/**
 * `huey.events()`: an async iterator over the storage's event log. It first
 * replays the kept events after `since` (a `seq` or a Date), then follows
 * the live ones: woken by the storage where it can (`waitForEvents`: a
 * blocking stream read, LISTEN, a file watch), else polling `readEvents`.
 *
 * The listener pulls: it reads a page of events when it has handed out the
 * last one, so one that stops reading holds at most a page in memory and
 * never slows the consumers that publish.
 *
 * @module
 */
import { decodeEvent, EVENT_TYPES, type EventType, type HueyEvent } from "./event.ts";
import { getLogger } from "./logger.ts";
import { checkOption } from "./_options.ts";
import { sleep } from "./_runtime.ts";
import type { Storage, StoredEvent } from "./storage/base.ts";

/** Options of `huey.events()`. */
export interface EventsOptions {
  /**
   * Replay the kept events after this one (a `seq`, exclusive) or added at
   * or after this time, then follow. Without it only new events come.
   */
  since?: string | Date;
  /** Only events of these types. @default every type */
  types?: readonly EventType[];
  /** Aborting it ends the iteration (a `for await` loop then ends normally). */
  signal?: AbortSignal;
}

/** Events read per storage call. */
const PAGE = 500;
/** Seconds between reads of a storage that cannot wake a follower. */
const POLL_INTERVAL = 0.2;
/** The longest a follower waits on the storage's wake-up before reading again (ms). */
const WAIT_TIMEOUT = 5_000;

const logger = getLogger("huey");

/**
 * The events of a Huey's event log, oldest first: what `huey.events()`
 * returns. Use it with `for await`; `break` (or `return()`) ends it, and so
 * does aborting `signal`.
 *
 * @example
 * ```ts
 * import { MemoryHuey } from "./mod.ts";
 * const huey = new MemoryHuey("watched");
 * const stop = new AbortController();
 * setTimeout(() => stop.abort(), 10);
 * for await (const event of huey.events({ types: ["error"], signal: stop.signal })) {
 *   console.log(`${event.name} ${event.id} failed: ${event.error}`);
 * }
 * ```
 */
export class EventStream implements AsyncIterableIterator<HueyEvent> {
  #storage: () => Storage;
  #types: ReadonlySet<string> | null;
  /** The last `seq` read; `undefined` before the first read. */
  #after: string | undefined;
  /** The time of `since`, until the first event is read. */
  #since: number | undefined;
  /** Read the log's last seq before the first read (no `since`: only new events). */
  #fromEnd: boolean;
  /** The page being handed out, and where. */
  #page: StoredEvent[] = [];
  #index = 0;
  #ended = new AbortController();
  #signal: AbortSignal;

  /**
   * @param storage Gives the storage whose log is read.
   * @param options See {@linkcode EventsOptions}.
   * @throws {ConfigurationError} `since` is neither a seq nor a valid Date,
   *   or `types` names something that is not an event type.
   */
  constructor(storage: () => Storage, options: EventsOptions = {}) {
    const { since, types, signal } = options;
    checkOption(
      since === undefined || (typeof since === "string" && since !== "") ||
        (since instanceof Date && !Number.isNaN(since.getTime())),
      "since",
      since,
      "a seq (a non-empty string) or a valid Date",
    );
    checkOption(
      types === undefined ||
        (Array.isArray(types) && types.every((type) => EVENT_TYPES.includes(type))),
      "types",
      types,
      `a list of event types (${EVENT_TYPES.join(", ")})`,
    );
    this.#storage = storage;
    this.#types = types === undefined ? null : new Set(types);
    this.#after = typeof since === "string" ? since : undefined;
    this.#since = since instanceof Date ? since.getTime() : undefined;
    this.#fromEnd = since === undefined;
    this.#signal = signal ? AbortSignal.any([signal, this.#ended.signal]) : this.#ended.signal;
  }

  /** The next event; waits for one to be published. Done once aborted or returned. */
  async next(): Promise<IteratorResult<HueyEvent, undefined>> {
    while (!this.#signal.aborted) {
      while (this.#index < this.#page.length) {
        const stored = this.#page[this.#index++];
        const event = this.#decode(stored);
        if (event !== null && (this.#types === null || this.#types.has(event.type))) {
          return { done: false, value: event };
        }
      }
      await this.#fill();
    }
    this.#page = [];
    return { done: true, value: undefined };
  }

  /** Ends the iteration (what `break` in `for await` calls); a wait under way ends too. */
  return(): Promise<IteratorResult<HueyEvent, undefined>> {
    this.#ended.abort();
    this.#page = [];
    return Promise.resolve({ done: true, value: undefined });
  }

  /** The stream itself (it is its own iterator). */
  [Symbol.asyncIterator](): EventStream {
    return this;
  }

  /** Reads the next page, waiting for events when there are none yet. */
  async #fill(): Promise<void> {
    const storage = this.#storage();
    if (this.#fromEnd) {
      this.#after = (await storage.lastEventSeq()) ?? undefined;
      this.#fromEnd = false;
    }
    if (this.#after === undefined && this.#since !== undefined) {
      // Read the end first: when nothing is kept since then, what follows it is new.
      const last = await storage.lastEventSeq();
      this.#page = await storage.readEvents({ since: this.#since, limit: PAGE });
      this.#since = undefined;
      if (this.#page.length === 0) this.#after = last ?? undefined;
    } else {
      this.#page = await storage.readEvents({ after: this.#after, limit: PAGE });
    }
    this.#index = 0;
    if (this.#page.length > 0) {
      this.#after = this.#page[this.#page.length - 1].seq;
      return;
    }
    if (this.#signal.aborted) return;
    if (storage.waitForEvents) {
      await storage.waitForEvents(this.#after ?? null, WAIT_TIMEOUT, this.#signal);
    } else await sleep(POLL_INTERVAL, this.#signal);
  }

  /** A stored event, or `null` (with a warning) when its bytes are not an event. */
  #decode(stored: StoredEvent): HueyEvent | null {
    try {
      return decodeEvent(stored.seq, stored.data);
    } catch (error) {
      logger.warning(`Skipped event ${stored.seq}: it cannot be decoded (${error})`);
      return null;
    }
  }
}
