/**
 * The event log of the Redis storages: a STREAM under the queue's hash tag
 * (so it lives in the queue's slot on a cluster), one entry per call of the
 * completion script that adds events (`_redis_scripts.ts`: `finish`'s
 * outcome or `addEvents`, a turn's calls together), with two fields: `n`,
 * how many events it holds, and `d`, their texts, one per line (the script
 * copies the line block it is given, whatever the number of events);
 * beside it, for the cap, a count of the events it holds and a LIST of the
 * size of each entry. An event's `seq` is `<entry id>.<its index in the
 * entry>`, its `at` the id's millisecond part (the Redis server's clock): a
 * read takes the entries as rows (`_event_rows.ts`). Followers wait with a
 * blocking `XREAD` on a connection of their own.
 *
 * @module
 * @internal
 */
import type { ReadEventsOptions, StoredEvent } from "./base.ts";
import { checkOption } from "../_options.ts";
import { checkReadEvents, checkWaitTimeout, type RowPosition } from "./_event_check.ts";
import { type EventRow, RowEvents } from "./_event_rows.ts";
import type { RedisKeys } from "./_redis_layout.ts";
import type { RedisSession } from "./_redis_session.ts";
import type { RedisStreamEntry } from "./_redis_client.ts";
import { runScript, type Script, script } from "./_redis_scripts.ts";

/**
 * KEYS: the log, its event count, its entries' sizes. Empties the log but
 * keeps the stream, and with it the id of its newest entry: later ids follow
 * it (a deleted stream would start again at the clock, and could give a
 * cursor held by a follower to a new event).
 */
const EVENTS_FLUSH: Script = script(`
redis.call('DEL', KEYS[2], KEYS[3])
return redis.call('XTRIM', KEYS[1], 'MAXLEN', 0)
`);

/** The longest single blocking read, in ms: a longer wait reads again this often. */
const MAX_EVENT_WAIT = 60_000;

/** Reads a cursor given back by a caller: `<entry id>.<index>`. */
function position(seq: string): RowPosition<string> {
  const match = /^(\d+-\d+)\.(\d+)$/.exec(seq);
  checkOption(match !== null, "after", seq, "a seq of this log (`<ms>-<n>.<i>`)");
  return { row: match![1], index: Number(match![2]) };
}

const decoder = new TextDecoder();

/** How many events a stream entry holds (its field `n`). */
function size([, fields]: RedisStreamEntry): number {
  return Number(decoder.decode(fields[1]));
}

/** A stream entry as a row of the log: its id, its time (the id's ms) and its field `d`. */
function rowOf([id, fields]: RedisStreamEntry): EventRow<string> {
  return { seq: id, at: Number(id.slice(0, id.indexOf("-"))), data: decoder.decode(fields[3]) };
}

/** The event log of one queue. */
export class RedisEvents {
  #session: RedisSession;
  #keys: RedisKeys;

  /**
   * @param session Gives the connections, opened on first use.
   * @param keys The queue's key names.
   */
  constructor(session: RedisSession, keys: RedisKeys) {
    this.#session = session;
    this.#keys = keys;
  }

  /** The kept events after `after` or since `since` (all when neither), oldest first, at most `limit`. */
  async read(options: ReadEventsOptions): Promise<StoredEvent[]> {
    const { after, since, limit } = checkReadEvents(options);
    const from = after === undefined ? null : position(after);
    let start = "-";
    if (from !== null) start = from.row;
    else if (since !== undefined) start = `${Math.max(0, Math.ceil(since))}-0`;
    const connection = await this.#session.connection();
    const entries = async (start: string, count: number) =>
      (await connection.xrange(this.#keys.events, start, "+", count)).map(rowOf);
    const read = new RowEvents<string>(from, limit);
    let next = read.add(await entries(start, read.firstPage), read.firstPage);
    while (next !== null) next = read.add(await entries(`(${next.after}`, next.count), next.count);
    return read.events;
  }

  /** The `seq` of the newest kept event, or `null`. */
  async last(): Promise<string | null> {
    const connection = await this.#session.connection();
    const [newest] = await connection.xrevrange(this.#keys.events, "+", "-", 1);
    return newest === undefined ? null : `${newest[0]}.${size(newest) - 1}`;
  }

  /** Removes every event; the seqs of later ones still follow those of the removed. */
  async flush(): Promise<void> {
    const { events, eventsCount, eventSizes } = this.#keys;
    const keys = [events, eventsCount, eventSizes];
    await runScript(await this.#session.connection(), EVENTS_FLUSH, keys);
  }

  /**
   * Resolves `true` once the log holds an event after `after` (`null`:
   * any), or `false` after `timeout` ms, when `signal` aborts or the
   * storage closes; waits with a blocking `XREAD`, which takes nothing.
   * Events after `after` may be in its own entry: those are looked for
   * first, as a blocking read only sees later entries.
   */
  async wait(after: string | null, timeout: number, signal?: AbortSignal): Promise<boolean> {
    const { row: id, index } = after === null ? { row: "0-0", index: -1 } : position(after);
    const deadline = Date.now() + checkWaitTimeout(timeout);
    const key = this.#keys.events;
    const connection = await this.#session.connection();
    while (!signal?.aborted) {
      const [entry, next] = await connection.xrange(key, id, "+", 2);
      if (
        next !== undefined || (entry !== undefined && (entry[0] !== id || size(entry) > index + 1))
      ) {
        return true;
      }
      const remaining = Math.min(deadline - Date.now(), MAX_EVENT_WAIT);
      if (remaining <= 0) return false;
      try {
        await this.#session.waitStream(key, id, remaining / 1000, signal);
      } catch (error) {
        if (this.#session.closed) return false;
        throw error;
      }
    }
    return false;
  }
}
