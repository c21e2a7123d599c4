/**
 * The writes of the SQLite storage that are gathered into one transaction
 * when they are asked for in the same turn of the event loop: enqueues,
 * completions (of `finish` and `ack`, see `_completion.ts`), events
 * (`addEvents`) and takes (dequeues), and the receipts that name a leased
 * message.
 *
 * @module
 * @internal
 */
import type { Delivery, EventsToAdd } from "./base.ts";
import type { Completion } from "./_completion.ts";
import type { Statements } from "./_sqlite_schema.ts";
import { appendEvents, eventWrites } from "./_sqlite_events.ts";

/** One write of a batch: enqueue a message, complete a delivery, add events, or take a message. */
export type Step =
  | { kind: "enqueue"; data: Uint8Array; priority: number }
  | { kind: "complete"; item: Completion }
  | { kind: "events"; events: EventsToAdd }
  | { kind: "take"; lease: number };

interface TaskRow {
  id: number;
  data: Uint8Array;
  priority: number;
}

/** How many statements that write a step runs (several: the batch needs a transaction). */
export function writesOf(step: Step): number {
  if (step.kind === "events") return eventWrites(step.events);
  if (step.kind !== "complete") return 1;
  const { receipt, deleteKeys = [], result, events } = step.item;
  return deleteKeys.length + (result ? 1 : 0) + (receipt === null ? 0 : 1) + eventWrites(events);
}

/** Whether a step adds events to the log (their followers are then woken). */
export function addsEvents(step: Step): boolean {
  if (step.kind === "events") return eventWrites(step.events) > 0;
  return step.kind === "complete" && eventWrites(step.item.events) > 0;
}

/**
 * The row id and token a receipt `<id>:<token>` names, or `null` for a malformed one.
 *
 * @example
 * ```ts
 * import { parseReceipt } from "./_sqlite_steps.ts";
 * console.assert(parseReceipt("12:ab")?.[0] === 12 && parseReceipt("ab") === null);
 * ```
 */
export function parseReceipt(receipt: string): [number, string] | null {
  if (typeof receipt !== "string") return null;
  const colon = receipt.indexOf(":");
  const id = Number(receipt.slice(0, colon));
  return colon > 0 && Number.isSafeInteger(id) ? [id, receipt.slice(colon + 1)] : null;
}

/** Puts the messages of `queue` whose lease expired back (reads first: no write lock if none). */
export function recoverExpired(sql: Statements, queue: string): void {
  const now = Date.now();
  if (sql.hasExpired.get(queue, now)) sql.recover.run(queue, now);
}

/**
 * Runs a batch of writes, in an open transaction when it has several: the
 * enqueues, then the completions in call order, then the events of every
 * call as one row of the log (one client's events keep the order of its
 * calls), then the takes (which see the
 * messages just enqueued). A take gets its message or `null`; the other steps `undefined`.
 *
 * @param sql The connection's statements.
 * @param queue The queue name.
 * @param steps The writes, in call order.
 * @param newToken A token unique to this delivery (receipts are `<row id>:<token>`).
 */
export function runSteps(
  sql: Statements,
  queue: string,
  steps: Step[],
  newToken: () => string,
): (Delivery | null | undefined)[] {
  const answers: (Delivery | null | undefined)[] = steps.map(() => undefined);
  const takes: number[] = [];
  for (const [index, step] of steps.entries()) {
    if (step.kind === "enqueue") sql.enqueue.run(queue, step.data, step.priority);
    else if (step.kind === "take") takes.push(index);
  }
  // The events of every call go in one row of the log, in call order.
  const events: EventsToAdd[] = [];
  for (const step of steps) {
    if (step.kind === "complete") {
      completeOne(sql, queue, step.item);
      if (step.item.events) events.push(step.item.events);
    } else if (step.kind === "events") events.push(step.events);
  }
  appendEvents(sql, queue, events);
  if (takes.length > 0) {
    const leases = takes.map((index) => (steps[index] as { lease: number }).lease);
    take(sql, queue, leases, newToken).forEach((delivery, i) => (answers[takes[i]] = delivery));
  }
  return answers;
}

function completeOne(sql: Statements, queue: string, item: Completion): void {
  const { receipt, deleteKeys = [], result } = item;
  for (const key of deleteKeys) sql.deleteKey.run(queue, key);
  if (result) sql.put.run(queue, result.key, result.value);
  const parsed = receipt === null ? null : parseReceipt(receipt);
  if (parsed) sql.ack.run(...parsed);
}

/** Messages in dequeue order: higher priority first, then by id (RETURNING has no order). */
function dequeueOrder(a: TaskRow, b: TaskRow): number {
  return b.priority - a.priority || a.id - b.id;
}

/**
 * Takes a message for each of several dequeues (leased for `lease` seconds,
 * or deleted when 0), in one statement per lease time; the later dequeues
 * get `null` when the queue runs dry.
 */
function take(
  sql: Statements,
  queue: string,
  leases: number[],
  newToken: () => string,
): (Delivery | null)[] {
  recoverExpired(sql, queue);
  const deliveries: (Delivery | null)[] = leases.map(() => null);
  for (const lease of new Set(leases)) {
    const indexes = leases.flatMap((each, i) => (each === lease ? [i] : []));
    const token = lease > 0 ? newToken() : null;
    const count = indexes.length;
    // `id = (...)` is faster than `id IN (...)` for the one message that a lone dequeue takes.
    const rows = (token === null
      ? (count === 1 ? sql.take : sql.takeMany).all(queue, count)
      : (count === 1 ? sql.lease : sql.leaseMany).all(
        Date.now() + lease * 1000,
        token,
        queue,
        count,
      )) as unknown[] as TaskRow[];
    rows.sort(dequeueOrder).forEach((row, i) => {
      deliveries[indexes[i]] = { data: row.data, receipt: token && `${row.id}:${token}` };
    });
  }
  return deliveries;
}
