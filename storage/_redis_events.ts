/**
 * The event log of the Redis storages: a STREAM under the queue's hash tag
 * (so it lives in the queue's slot on a cluster), one entry per event with
 * its bytes in field `d`. An event's `seq` is its entry id, its `at` the
 * id's millisecond part (the Redis server's clock). Events are appended by
 * the completion script (`_redis_scripts.ts`), with `finish`'s outcome or
 * alone (`addEvents`), trimmed with `MAXLEN ~`; followers wait with a
 * blocking `XREAD` on a connection of their own.
 *
 * @module
 * @internal
 */
import type { ReadEventsOptions, StoredEvent } from "./base.ts";
import { checkOption } from "../_options.ts";
import { checkReadEvents, checkWaitTimeout } from "./_event_check.ts";
import type { RedisKeys } from "./_redis_layout.ts";
import type { RedisSession } from "./_redis_session.ts";
import type { RedisStreamEntry } from "./_redis_client.ts";
import { runScript, type Script, script } from "./_redis_scripts.ts";

/**
 * KEYS: the log. Empties it but keeps the stream, and with it the id of its
 * newest entry: later ids follow it (a deleted stream would start again at
 * the clock, and could give a cursor held by a follower to a new event).
 */
const EVENTS_FLUSH: Script = script(`
return redis.call('XTRIM', KEYS[1], 'MAXLEN', 0)
`);

/** The longest single blocking read, in ms: a longer wait reads again this often. */
const MAX_EVENT_WAIT = 60_000;

/** Checks a cursor given back by a caller: a stream entry id, `<ms>-<n>`. */
function checkSeq(after: string): string {
  checkOption(/^\d+-\d+$/.test(after), "after", after, "a seq of this log (`<ms>-<n>`)");
  return after;
}

/** The stored event of a stream entry. */
function toEvent([id, fields]: RedisStreamEntry): StoredEvent {
  return { seq: id, at: Number(id.slice(0, id.indexOf("-"))), data: fields[1] };
}

/** The event log of one queue. */
export class RedisEvents {
  #session: RedisSession;
  #key: string;

  /**
   * @param session Gives the connections, opened on first use.
   * @param keys The queue's key names.
   */
  constructor(session: RedisSession, keys: RedisKeys) {
    this.#session = session;
    this.#key = keys.events;
  }

  /** The kept events after `after` or since `since` (all when neither), oldest first, at most `limit`. */
  async read(options: ReadEventsOptions): Promise<StoredEvent[]> {
    const { after, since, limit } = checkReadEvents(options);
    let start = "-";
    if (after !== undefined) start = `(${checkSeq(after)}`;
    else if (since !== undefined) start = `${Math.max(0, Math.ceil(since))}-0`;
    const connection = await this.#session.connection();
    return (await connection.xrange(this.#key, start, "+", limit)).map(toEvent);
  }

  /** The `seq` of the newest kept event, or `null`. */
  async last(): Promise<string | null> {
    const connection = await this.#session.connection();
    const [newest] = await connection.xrevrange(this.#key, "+", "-", 1);
    return newest === undefined ? null : newest[0];
  }

  /** Removes every event; the ids of later ones still follow those of the removed. */
  async flush(): Promise<void> {
    await runScript(await this.#session.connection(), EVENTS_FLUSH, [this.#key]);
  }

  /**
   * Resolves `true` once the log holds an event after `after` (`null`:
   * any), or `false` after `timeout` ms, when `signal` aborts or the
   * storage closes; waits with a blocking `XREAD`, which takes nothing.
   */
  async wait(after: string | null, timeout: number, signal?: AbortSignal): Promise<boolean> {
    const id = after === null ? "0-0" : checkSeq(after);
    const deadline = Date.now() + checkWaitTimeout(timeout);
    const connection = await this.#session.connection();
    while (!signal?.aborted) {
      if ((await connection.xrange(this.#key, `(${id}`, "+", 1)).length > 0) return true;
      const remaining = Math.min(deadline - Date.now(), MAX_EVENT_WAIT);
      if (remaining <= 0) return false;
      try {
        await this.#session.waitStream(this.#key, id, remaining / 1000, signal);
      } catch (error) {
        if (this.#session.closed) return false;
        throw error;
      }
    }
    return false;
  }
}
