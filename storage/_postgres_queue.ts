/**
 * The queue and the schedule of a Postgres storage: enqueues of one turn of
 * the event loop in one statement, dequeues of one turn in one statement
 * that leases with `FOR UPDATE SKIP LOCKED` and hands the messages out in
 * call order, blocking dequeues that wait for the `NOTIFY` of an enqueue (or
 * the end of the next lease), leases on the server's clock, and `moveDue`
 * in one statement.
 *
 * @module
 * @internal
 */
import type { Delivery, DequeueOptions, EventsToAdd, FinishOptions } from "./base.ts";
import type { Completion } from "./_completion.ts";
import { checkInteger, checkNumber } from "../_options.ts";
import { Batcher } from "./_batch.ts";
import type { PostgresRow } from "./_postgres_client.ts";
import { foldCompletions } from "./_postgres_completions.ts";
import { checkEventsToAdd } from "./_event_check.ts";
import { bytes, dataOf, parseReceipt, sqlLimit } from "./_postgres_rows.ts";
import type { PostgresSession } from "./_postgres_session.ts";

/** Orders rows as the queue gives them: higher priority first, then by id. */
function inQueueOrder(a: PostgresRow, b: PostgresRow): number {
  const byPriority = Number(b.priority) - Number(a.priority);
  return byPriority !== 0 ? byPriority : Number(BigInt(a.id as string) - BigInt(b.id as string));
}

/** A message to enqueue, its priority checked. */
interface Item {
  data: Uint8Array;
  priority: number;
}

/** The queue and schedule of one Postgres storage. */
export class PostgresQueue {
  #session: PostgresSession;
  #blocking: boolean;
  #readTimeout: number;
  /** Delivery tokens are `<prefix><counter>`: unique per delivery across clients. */
  #tokenPrefix = crypto.randomUUID().slice(0, 13);
  #deliveries = 0;
  // Messages enqueued in the same turn of the event loop share one statement, in call order.
  #enqueues = new Batcher<Item, void>(async (items) => {
    await this.#insert(items);
    return items.map(() => undefined);
  }, { limit: 10_000 });
  // Completions (acks, finishes, addEvents) share one statement, one statement at a time: those
  // made while one is out go together in the next (a group commit), so that events take their seq
  // in call order and a busy consumer sends few, large statements.
  #completions = new Batcher<Completion, void>(async (items) => {
    await this.#session.query("finish", foldCompletions(items));
    return items.map(() => undefined);
  }, { serial: true });
  // Dequeues of one turn share one statement, and the first callers get the first messages
  // (a worker that waits is served before the ones that lease ahead without waiting).
  // They go out at once, ahead of the stores that wait for the turn to end, one statement at a
  // time: two in flight on two connections would race, and SKIP LOCKED could give the later
  // callers the messages while an earlier one finds them all locked, and waits.
  #takes = new Batcher<number, Delivery | null>((leases) => this.#takeInTurn(leases), {
    eager: true,
  });
  #lastTake: Promise<unknown> = Promise.resolve();

  /**
   * @param session The storage's session.
   * @param blocking `dequeue` waits for a message.
   * @param readTimeout How long it waits, in seconds.
   */
  constructor(session: PostgresSession, blocking: boolean, readTimeout: number) {
    this.#session = session;
    this.#blocking = blocking;
    this.#readTimeout = readTimeout;
  }

  async #insert(items: Item[]): Promise<void> {
    const parameters = [items.map((item) => item.data), items.map((item) => item.priority)];
    await this.#session.query("enqueueMany", parameters);
  }

  /** Adds a message (messages enqueued together: one statement). */
  async enqueue(data: Uint8Array, priority?: number): Promise<void> {
    await this.#enqueues.call({ data, priority: checkNumber("priority", priority ?? 0) });
  }

  /** Adds messages in order, in one statement. */
  async enqueueMany(items: ReadonlyArray<{ data: Uint8Array; priority?: number }>): Promise<void> {
    const checked = items.map((item) => ({
      data: item.data,
      priority: checkNumber("priority", item.priority ?? 0),
    }));
    if (checked.length > 0) await this.#insert(checked);
  }

  /** Takes the next message; waits for one (see `PostgresStorage.dequeue`). */
  async dequeue(options: DequeueOptions = {}): Promise<Delivery | null> {
    const { signal, wait: mayWait = true } = options;
    const lease = checkNumber("lease", options.lease ?? 0, ">= 0");
    const deadline = Date.now() + this.#readTimeout * 1000;
    const waits = this.#blocking && mayWait;
    const { wakeups } = this.#session;
    // The first take is asked for at once, so that dequeues made together share its statement in
    // call order; the LISTEN starts meanwhile (its first start wakes the waits, to look again).
    const listening = waits ? this.#session.listen() : null;
    listening?.catch(() => {}); // rejects below, when awaited
    while (!signal?.aborted && !this.#session.closed) {
      const version = wakeups.version;
      const delivery = await this.#takes.call(lease);
      if (delivery || !waits) return delivery;
      await listening;
      const remaining = deadline - Date.now();
      if (remaining <= 0) return null;
      const [{ ms }] = await this.#session.query("nextExpiry");
      const wait = ms === null ? remaining : Math.min(remaining, Number(ms) + 5);
      await wakeups.waitQueue(version, wait, signal);
    }
    return null;
  }

  /** Runs {@linkcode #takeMany} once the batches asked for before have their messages. */
  #takeInTurn(leases: number[]): Promise<(Delivery | null)[]> {
    const taking = this.#lastTake.then(() => this.#takeMany(leases));
    this.#lastTake = taking.catch(() => {});
    return taking;
  }

  /** Takes a message for each call, in call order: one statement per lease length asked for. */
  async #takeMany(leases: number[]): Promise<(Delivery | null)[]> {
    const deliveries: (Delivery | null)[] = leases.map(() => null);
    for (const lease of new Set(leases)) {
      const callers = leases.flatMap((each, index) => (each === lease ? [index] : []));
      const token = this.#tokenPrefix + (this.#deliveries++).toString(36);
      const rows = lease === 0
        ? await this.#session.query("take", [callers.length])
        : await this.#session.query("lease", [callers.length, lease, token]);
      rows.sort(inQueueOrder).forEach((row, at) => {
        const receipt = lease === 0 ? null : `${row.id}:${token}`;
        deliveries[callers[at]] = { data: bytes(row.data), receipt };
      });
    }
    return deliveries;
  }

  /** Removes a leased message for good. */
  async ack(receipt: string): Promise<void> {
    await this.#completions.call({ receipt });
  }

  /** Removes `deleteKeys`, stores `result`, appends `events`, acks `receipt`; a turn's: one statement. */
  async finish(receipt: string | null, options: FinishOptions): Promise<void> {
    if (options.events) checkEventsToAdd(options.events);
    await this.#completions.call({ ...options, receipt });
  }

  /** Appends events to the log, in the statement of the turn's completions (call order kept). */
  async addEvents(events: EventsToAdd): Promise<void> {
    await this.#completions.call({ receipt: null, events: checkEventsToAdd(events) });
  }

  /** Extends leases to `lease` seconds from now (the server's clock), in one statement. */
  async renew(receipts: readonly string[], lease: number): Promise<void> {
    checkNumber("lease", lease, ">= 0");
    const parsed = receipts.map(parseReceipt).filter(([id]) => id !== null);
    if (parsed.length === 0) return;
    const parameters = [parsed.map(([id]) => id), parsed.map(([, token]) => token), lease];
    await this.#session.query("renew", parameters);
  }

  /** Makes a leased message available again at once, in its old place. */
  async release(receipt: string): Promise<void> {
    const [id, token] = parseReceipt(receipt);
    if (id !== null) await this.#session.query("release", [id, token]);
  }

  /** How many messages wait. */
  queueSize(): Promise<number> {
    return this.#session.count("queueSize");
  }

  /** The waiting messages, in dequeue order. */
  async enqueuedItems(limit?: number): Promise<Uint8Array[]> {
    return dataOf(await this.#session.query("queueItems", [sqlLimit(limit)]));
  }

  /** Deletes every message, leased ones included. */
  async flushQueue(): Promise<void> {
    await this.#session.query("flushQueue");
  }

  /** Schedules a message for `eta` (epoch ms), to be enqueued with `priority`. */
  async addToSchedule(data: Uint8Array, eta: number, priority?: number): Promise<void> {
    const checked = checkNumber("priority", priority ?? 0);
    await this.#session.query("schedule", [data, checkNumber("eta", eta), checked]);
  }

  /** Removes and returns the messages due at `now`, soonest first, in one statement. */
  async readSchedule(now: number): Promise<Uint8Array[]> {
    const rows = await this.#session.query("readSchedule", [checkNumber("now", now)]);
    // RETURNING yields rows in no particular order.
    rows.sort((a, b) => Number(a.eta) - Number(b.eta) || Number(a.id) - Number(b.id));
    return dataOf(rows);
  }

  /** Moves up to `limit` due messages to the queue, soonest first, in one statement. */
  async moveDue(now: number, limit: number): Promise<Uint8Array[]> {
    const parameters = [checkNumber("now", now), checkInteger("limit", limit, 1)];
    return dataOf(await this.#session.query("moveDue", parameters));
  }

  /** How many messages are scheduled. */
  scheduleSize(): Promise<number> {
    return this.#session.count("scheduleSize");
  }

  /** The scheduled messages, soonest first. */
  async scheduledItems(limit?: number): Promise<Uint8Array[]> {
    return dataOf(await this.#session.query("scheduleItems", [sqlLimit(limit)]));
  }

  /** Deletes every scheduled message. */
  async flushSchedule(): Promise<void> {
    await this.#session.query("flushSchedule");
  }
}
