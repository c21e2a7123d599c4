/**
 * The file names of the file storage. A name says when and in which order
 * its file is read, so that listing a folder sorted is reading it in order:
 * - queue: `<priority>-<stamp>`, `<priority>` is `0x7fffffff - priority` in
 *   8 hex digits (higher first);
 * - lease: `<deadline>-<receipt>-<queue file name>`;
 * - schedule: `<eta>-<stamp>`;
 * - a key's folder: `<md5[0]>/<md5[1]>/.../<md5(key)>`;
 * - a stamp: 12 hex digits of ms, 6 of sequence, `-`, 16 random ones.
 *
 * Times are 12 hex digits of epoch ms, so that they sort as text.
 *
 * @module
 * @internal
 */
import { createHash } from "node:crypto";
import { show } from "./_check.ts";

/** The largest time a name can hold: 12 hex digits of ms (the year 10889). */
const MAX_MS = 0xffffffffffff;
const MIN_PRIORITY = -0x80000000;
const MAX_PRIORITY = 0x7fffffff;
/** Hex digits of a receipt. */
const RECEIPT_LENGTH = 24;
const STAMP = /^[0-9a-f]{18}-[0-9a-f]{16}$/;

function hex(value: number, width: number): string {
  return value.toString(16).padStart(width, "0");
}

function randomHex(bytes: number): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (byte) => hex(byte, 2)).join("");
}

/** A time in ms as 12 hex digits, clamped to what they hold. */
function timeName(ms: number): string {
  return hex(Math.min(MAX_MS, Math.max(0, Math.floor(ms))), 12);
}

let lastMs = 0;
let sequence = 0;

/**
 * A name unique across processes; in one process, later names sort after
 * earlier ones even within a millisecond or when the clock steps back.
 *
 * @example
 * ```ts
 * import { stamp } from "./_file_names.ts";
 * const first = stamp();
 * console.assert(first < stamp());
 * ```
 *
 * @returns A new stamp.
 */
export function stamp(): string {
  const now = Date.now();
  if (now > lastMs) [lastMs, sequence] = [now, 0];
  else if (++sequence > 0xffffff) [lastMs, sequence] = [lastMs + 1, 0];
  return `${hex(lastMs, 12)}${hex(sequence, 6)}-${randomHex(8)}`;
}

/**
 * Whether a text is a stamp (the id of a dead letter).
 *
 * @example
 * ```ts
 * import { isStamp, stamp } from "./_file_names.ts";
 * console.assert(isStamp(stamp()) && !isStamp("../x"));
 * ```
 *
 * @param text Any value.
 * @returns `true` for a stamp.
 */
export function isStamp(text: unknown): text is string {
  return typeof text === "string" && STAMP.test(text);
}

/**
 * The time (epoch ms) in the first 12 characters of a stamp, a lease or a
 * schedule name.
 *
 * @example
 * ```ts
 * import { scheduleName, timeOf } from "./_file_names.ts";
 * console.assert(timeOf(scheduleName(1234)) === 1234);
 * ```
 *
 * @param name A file name.
 * @returns The time it holds.
 */
export function timeOf(name: string): number {
  return parseInt(name.slice(0, 12), 16);
}

/**
 * A new queue file name: higher priorities sort first, FIFO within one.
 *
 * @example
 * ```ts
 * import { queueName } from "./_file_names.ts";
 * console.assert(queueName(10) < queueName(0));
 * ```
 *
 * @param priority The message's priority.
 * @returns The name.
 * @throws {RangeError} `priority` is not a 32-bit integer.
 */
export function queueName(priority: number | undefined = 0): string {
  if (!Number.isInteger(priority) || priority < MIN_PRIORITY || priority > MAX_PRIORITY) {
    throw new RangeError(
      `Option 'priority' must be an integer from ${MIN_PRIORITY} to ${MAX_PRIORITY}, got ${
        show(priority)
      }`,
    );
  }
  return `${hex(MAX_PRIORITY - priority, 8)}-${stamp()}`;
}

/**
 * A new schedule file name: sooner etas sort first.
 *
 * @example
 * ```ts
 * import { scheduleName } from "./_file_names.ts";
 * console.assert(scheduleName(1) < scheduleName(2));
 * ```
 *
 * @param eta When the message is due, in epoch ms.
 * @returns The name.
 */
export function scheduleName(eta: number): string {
  return `${timeName(eta)}-${stamp()}`;
}

/**
 * A new receipt: random hex, unique per delivery.
 *
 * @example
 * ```ts
 * import { isReceipt, newReceipt } from "./_file_names.ts";
 * console.assert(isReceipt(newReceipt()));
 * ```
 *
 * @returns The receipt.
 */
export function newReceipt(): string {
  return randomHex(RECEIPT_LENGTH / 2);
}

/**
 * Whether a value can be a receipt (and so cannot name another file).
 *
 * @example
 * ```ts
 * import { isReceipt } from "./_file_names.ts";
 * console.assert(!isReceipt("../queue"));
 * ```
 *
 * @param receipt Any value.
 * @returns `true` for hex text.
 */
export function isReceipt(receipt: unknown): receipt is string {
  return typeof receipt === "string" && /^[0-9a-f]+$/.test(receipt);
}

/**
 * The name of a lease file: its deadline (`lease` seconds from now), the
 * receipt and the name of the queue file it came from.
 *
 * @example
 * ```ts
 * import { leaseName, parseLease, queueName } from "./_file_names.ts";
 * const message = queueName(0);
 * console.assert(parseLease(leaseName(30, "ab", message)).message !== "");
 * ```
 *
 * @param lease The lease, in seconds.
 * @param receipt The receipt of the delivery.
 * @param message The queue file name.
 * @returns The name.
 */
export function leaseName(lease: number, receipt: string, message: string): string {
  return `${timeName(Math.ceil(Date.now() + lease * 1000))}-${receipt}-${message}`;
}

/**
 * Splits a lease file name made by {@linkcode leaseName} with a receipt of
 * {@linkcode newReceipt}.
 *
 * @example
 * ```ts
 * import { leaseName, newReceipt, parseLease } from "./_file_names.ts";
 * const receipt = newReceipt();
 * console.assert(parseLease(leaseName(30, receipt, "m")).receipt === receipt);
 * ```
 *
 * @param name The lease file name.
 * @returns The receipt and the queue file name.
 */
export function parseLease(name: string): { receipt: string; message: string } {
  return { receipt: name.slice(13, 13 + RECEIPT_LENGTH), message: name.slice(14 + RECEIPT_LENGTH) };
}

/**
 * The folder of a key, as path parts: `levels` md5 characters, then the md5.
 *
 * @example
 * ```ts
 * import { keyPath } from "./_file_names.ts";
 * const [first, second, digest] = keyPath("key", 2);
 * console.assert(digest.length === 32 && first === digest[0] && second === digest[1]);
 * ```
 *
 * @param key The key.
 * @param levels How many levels of sub-folders spread the keys.
 * @returns The parts of the folder's path, below `results/`.
 */
export function keyPath(key: string, levels: number): string[] {
  const digest = createHash("md5").update(key).digest("hex");
  return [...digest.slice(0, levels), digest];
}
