/**
 * The file names of the file storage. A name says when and in which order
 * its file is read, so that listing a folder sorted is reading it in order:
 * - queue: `<priority>-<stamp>`, `<priority>` is `0x7fffffff - priority` in
 *   8 hex digits (higher first; a priority is truncated to a whole number,
 *   and clamped to 32 bits);
 * - lease: `<deadline>-<receipt>-<queue file name>`;
 * - schedule: `<eta>-<stamp>-<priority>` (files of older versions have no
 *   `-<priority>`: 0);
 * - a key's folder: `<md5[0]>/<md5[1]>/.../<md5(key)>`;
 * - a stamp: 12 hex digits of ms, 6 of sequence, `-`, 16 random ones.
 *
 * Times are 12 hex digits of epoch ms, so that they sort as text.
 *
 * @module
 * @internal
 */
import { createHash } from "node:crypto";
import { checkNumber } from "../_options.ts";

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
 * A priority as the 8 hex digits that start a queue file name: truncated to
 * a whole number (as huey 3.3 does), clamped to 32 bits, higher first.
 */
function priorityName(priority: number): string {
  const whole = Math.min(MAX_PRIORITY, Math.max(MIN_PRIORITY, Math.trunc(priority)));
  return hex(MAX_PRIORITY - whole, 8);
}

/**
 * A new queue file name: higher priorities sort first, FIFO within one.
 *
 * @example
 * ```ts
 * import { queueName } from "./_file_names.ts";
 * console.assert(queueName(10) < queueName(0) && queueName(2.7) < queueName(1));
 * ```
 *
 * @param priority The message's priority: any finite number.
 * @returns The name.
 * @throws {ConfigurationError} `priority` is not a finite number.
 */
export function queueName(priority: number | undefined = 0): string {
  return `${priorityName(checkNumber("priority", priority))}-${stamp()}`;
}

/**
 * A new schedule file name: sooner etas sort first; the name keeps the
 * priority the message is enqueued with once due.
 *
 * @example
 * ```ts
 * import { scheduleName } from "./_file_names.ts";
 * console.assert(scheduleName(1) < scheduleName(2, 5));
 * ```
 *
 * @param eta When the message is due, in epoch ms.
 * @param priority Its priority in the queue: any finite number.
 * @returns The name.
 * @throws {ConfigurationError} `priority` is not a finite number.
 */
export function scheduleName(eta: number, priority: number | undefined = 0): string {
  return `${timeName(eta)}-${stamp()}-${priorityName(checkNumber("priority", priority))}`;
}

/** Length of a schedule name without its priority: `<eta>-<stamp>`. */
const SCHEDULE_BASE_LENGTH = 12 + 1 + 35;

/**
 * A new queue file name for a scheduled message that is due: its priority,
 * and a stamp of now (it joins the queue's tail).
 *
 * @example
 * ```ts
 * import { dueName, queueName, scheduleName } from "./_file_names.ts";
 * console.assert(dueName(scheduleName(1, 5)).slice(0, 8) === queueName(5).slice(0, 8));
 * ```
 *
 * @param schedule A name made by {@linkcode scheduleName}.
 * @returns The name.
 */
export function dueName(schedule: string): string {
  const priority = schedule.slice(SCHEDULE_BASE_LENGTH + 1) || priorityName(0);
  return `${priority}-${stamp()}`;
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
