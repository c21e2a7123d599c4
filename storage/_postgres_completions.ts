/**
 * The completions of one turn of the event loop (`ack` and `finish` calls),
 * folded into the parameters of one statement of the Postgres storage: the
 * keys to delete, the results to store, the leases to end and the events to
 * append (with `addEvents` calls, in call order, as the lines of one row of
 * the log: `mergeEvents`). Folding keeps
 * the calls' order: a key deleted by one completion and stored by a later
 * one is stored, and the other way round deleted; the last value stored
 * under a key wins.
 *
 * @module
 * @internal
 */
import type { EventsToAdd } from "./base.ts";
import type { Completion } from "./_completion.ts";
import { mergeEvents } from "./_event_check.ts";
import { parseReceipt } from "./_postgres_rows.ts";

/** The parameters of the `finish` statement: `$1` to `$8`. */
export type FinishParameters = [
  deleted: string[],
  keys: string[],
  values: Uint8Array[],
  ids: string[],
  tokens: string[],
  lines: string,
  count: number,
  keep: number,
];

/**
 * Folds completions, in call order, into one statement's parameters.
 *
 * @example
 * ```ts
 * import { foldCompletions } from "./_postgres_completions.ts";
 * const value = new Uint8Array([1]);
 * const [deleted, keys] = foldCompletions([
 *   { receipt: "7:a", deleteKeys: ["r"], result: { key: "t", value } },
 *   { receipt: null, deleteKeys: ["t"] },
 * ]);
 * console.assert(deleted.join() === "r,t" && keys.length === 0);
 * ```
 */
export function foldCompletions(completions: readonly Completion[]): FinishParameters {
  const writes = new Map<string, Uint8Array | null>();
  const ids: string[] = [];
  const tokens: string[] = [];
  const calls: EventsToAdd[] = [];
  for (const { receipt, deleteKeys = [], result, events } of completions) {
    for (const key of deleteKeys) writes.set(key, null);
    if (result) writes.set(result.key, result.value);
    if (events) calls.push(events);
    const [id, token] = parseReceipt(receipt);
    if (id !== null) {
      ids.push(id);
      tokens.push(token);
    }
  }
  const deleted: string[] = [];
  const keys: string[] = [];
  const values: Uint8Array[] = [];
  for (const [key, value] of writes) {
    if (value === null) deleted.push(key);
    else {
      keys.push(key);
      values.push(value);
    }
  }
  const { items, count, keep } = mergeEvents(calls); // count 0: the counter is left alone, and `keep` unused
  return [deleted, keys, values, ids, tokens, items.join("\n"), count, count === 0 ? 0 : keep];
}
