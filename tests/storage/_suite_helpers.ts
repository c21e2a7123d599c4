/**
 * What the checks of the storage conformance suite share: the context a
 * check runs in, the features of the backend under test, and helpers that
 * read payloads as text. The backends' own test files use `bytes` and
 * `texts` too.
 *
 * @module
 */
import assert from "node:assert/strict";
import { setTimeout as delay } from "node:timers/promises";
import type { Storage } from "../../storage/base.ts";

/** Gives a check clients of its queue, and closes them when it ends. */
export interface Context {
  /** This check's queue name, unique to the run. */
  readonly name: string;
  /** A new client of the queue `name` (this check's queue by default). */
  open(name?: string): Promise<Storage>;
  /** Another unique queue name. */
  newName(): string;
}

/** What the backend under test supports (the suite's options, defaults applied). */
export interface Features {
  /** The backend honours priorities. */
  readonly priority: boolean;
  /** popData only reads, it never deletes. */
  readonly expiring: boolean;
  /** A message back from an expired lease or a release takes its old FIFO place. */
  readonly keepsPlace: boolean;
}

/** Registers one check as a top-level test named `<label>: <sentence>`. */
export type Check = (sentence: string, body: (context: Context) => Promise<void>) => void;

/** Comfortably past a 0.2 s lease or ttl, in seconds. */
export const PAST_SHORT_LEASE = 0.5;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The UTF-8 bytes of a text. */
export function bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

/** A payload as text (`null` stays `null`); fails unless it is a Uint8Array. */
export function text(data: Uint8Array | null): string | null {
  if (data === null) return null;
  assert.ok(data instanceof Uint8Array, `expected a Uint8Array, got ${typeof data}`);
  return decoder.decode(data);
}

/** Payloads as texts; fails unless they are an array of Uint8Array. */
export function texts(items: Uint8Array[]): string[] {
  assert.ok(Array.isArray(items), "expected an array");
  return items.map((data) => text(data) as string);
}

/** The values of a key/value listing as texts; fails unless it is a Map. */
export function entries(map: Map<string, Uint8Array>): Record<string, string> {
  assert.ok(map instanceof Map, "expected a Map");
  return Object.fromEntries([...map].map(([key, value]) => [key, text(value) as string]));
}

/** Dequeues (leased for `lease` seconds when given) and returns the text, or `null`. */
export async function take(storage: Storage, lease?: number): Promise<string | null> {
  const delivery = await storage.dequeue({ lease });
  return delivery === null ? null : text(delivery.data);
}

/** Dequeues every waiting message, as texts. */
export async function drain(storage: Storage): Promise<string[]> {
  const taken: string[] = [];
  for (let message = await take(storage); message !== null; message = await take(storage)) {
    taken.push(message);
  }
  return taken;
}

/** Dequeues with a lease; fails unless a message with a receipt came. */
export async function leased(
  storage: Storage,
  lease: number,
): Promise<{ data: string; receipt: string }> {
  const delivery = await storage.dequeue({ lease });
  assert.ok(delivery, "expected a message");
  assert.equal(typeof delivery.receipt, "string");
  return { data: text(delivery.data) as string, receipt: delivery.receipt as string };
}

/** Waits at least `seconds`. */
export function wait(seconds: number): Promise<void> {
  return delay(seconds * 1000);
}
