/**
 * Unique tasks: the id of a call derived from its task's name and arguments,
 * and the marker that keeps a second call with the same id off the queue
 * while the first is pending, scheduled or running (BullMQ's
 * deduplication). The marker is set and the message enqueued in one atomic
 * `Storage.enqueueOnce`; the executor removes it when the task is done for
 * good, before its outcome is stored and acknowledged: a crash in between
 * can at worst let a duplicate in, never block the id.
 *
 * @module
 * @internal
 */
import { createHash } from "node:crypto";
import { toJson } from "./_tagged_json.ts";
import { isTuple } from "./tuple.ts";

/**
 * Seconds a unique task's marker outlives the task's eta (plus its
 * `timeout`, if any): a bound on how long a marker whose task is gone (a
 * flushed queue, a message lost with acks off) blocks its id. A task still
 * waiting or running past it may be enqueued a second time.
 */
export const UNIQUE_GRACE = 3600;

/**
 * The id of a unique task's call: the SHA-256 (hex) of its name and its
 * arguments in tagged JSON, plain objects' keys sorted, so that every
 * producer derives the same id from equal arguments.
 *
 * @param name The task's name.
 * @param args The call's arguments.
 * @throws {TypeError} An argument cannot be serialized (a function, a cycle).
 */
export function uniqueId(name: string, args: readonly unknown[]): string {
  return createHash("sha256").update(toJson([name, sorted(args)])).digest("hex");
}

/** The marker of a unique task id. */
export function uniqueMarker(id: string): string {
  return `unique:${id}`;
}

/**
 * Seconds a unique task's marker is kept: until its eta (a task scheduled
 * far ahead keeps its id), plus its timeout, plus {@linkcode UNIQUE_GRACE}.
 *
 * @param eta When the task is to run (epoch ms), or `undefined` for now.
 * @param timeout The task's timeout in seconds, or `null`.
 * @param now The time (epoch ms).
 */
export function markerTtl(eta: number | undefined, timeout: number | null, now: number): number {
  const untilEta = eta === undefined ? 0 : Math.max(0, Math.ceil((eta - now) / 1000));
  return untilEta + (timeout === null ? 0 : Math.ceil(timeout)) + UNIQUE_GRACE;
}

/** A copy of a value whose plain objects have their keys in sorted order. */
function sorted(value: unknown): unknown {
  if (Array.isArray(value)) return isTuple(value) ? value : value.map(sorted);
  if (typeof value !== "object" || value === null) return value;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    copy[key] = sorted((value as Record<string, unknown>)[key]);
  }
  return copy;
}
