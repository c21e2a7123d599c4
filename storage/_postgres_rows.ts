/**
 * What the Postgres storage reads from rows and writes as parameters:
 * payloads as plain `Uint8Array`s, receipts (`<task id>:<delivery token>`),
 * and the `limit` of listings.
 *
 * @module
 * @internal
 */
import { checkLimit } from "./_check.ts";
import type { PostgresRow } from "./_postgres_client.ts";

/** A receipt: `<task id>:<delivery token>`. */
const RECEIPT = /^(\d{1,18}):(.+)$/;

/** A bytea value as a plain `Uint8Array` (postgres.js gives Buffers from a shared pool). */
export function bytes(value: unknown): Uint8Array {
  return new Uint8Array(value as Uint8Array);
}

/** The `data` column of each row. */
export function dataOf(rows: PostgresRow[]): Uint8Array[] {
  return rows.map((row) => bytes(row.data));
}

/** A receipt's task id and token, or `[null, null]` for one that names nothing. */
export function parseReceipt(receipt: string | null): [string, string] | [null, null] {
  const match = receipt === null ? null : RECEIPT.exec(receipt);
  return match ? [match[1], match[2]] : [null, null];
}

/** `limit` of the listing methods: `undefined` is all (`NULL` for PostgreSQL). */
export function sqlLimit(limit: number | undefined): number | null {
  const checked = checkLimit(limit);
  return checked === Infinity ? null : checked;
}
