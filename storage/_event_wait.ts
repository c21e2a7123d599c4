/**
 * How a follower of an event log waits for the next event without polling
 * the store in a loop: it looks, then sleeps on a `FileSignal` (woken by
 * writes of this thread, and by a file watch for other processes where
 * there is a file) until the deadline, an abort or the storage's close.
 *
 * @module
 * @internal
 */
import { checkWaitTimeout } from "./_event_check.ts";
import type { FileSignal } from "./_sqlite_wait.ts";

/** How often to look again when the file cannot be watched, in ms. */
const POLL_MS = 50;

/** What {@linkcode waitForEvent} waits on. */
export interface EventWait {
  /** Woken when an event may have been added. */
  readonly wake: FileSignal;
  /** Whether the log holds the awaited event. */
  readonly hasEvent: () => boolean | Promise<boolean>;
  /** Whether the storage was closed (the wait then ends with `false`). */
  readonly closed: () => boolean;
}

/**
 * Resolves `true` once `hasEvent()` holds, or `false` after `timeout` ms,
 * when `signal` aborts or the storage closes.
 *
 * @example
 * ```ts
 * import { FileSignal } from "./_sqlite_wait.ts";
 * import { waitForEvent } from "./_event_wait.ts";
 * const wake = new FileSignal(null);
 * let added = false;
 * const waiting = waitForEvent({ wake, hasEvent: () => added, closed: () => false }, 60_000);
 * added = true;
 * wake.notify();
 * console.assert(await waiting);
 * ```
 *
 * @throws {ConfigurationError} `timeout` is not a finite number >= 0 (a rejection).
 */
export async function waitForEvent(
  wait: EventWait,
  timeout: number,
  signal?: AbortSignal,
): Promise<boolean> {
  const { wake, hasEvent, closed } = wait;
  const deadline = Date.now() + checkWaitTimeout(timeout);
  try {
    for (;;) {
      const version = wake.version;
      if (closed()) return false;
      if (await hasEvent()) return true;
      const left = deadline - Date.now();
      if (signal?.aborted || left <= 0) return false;
      // Look once more after the watch starts: a write just before it would go unseen.
      if (!wake.watching && wake.watch()) continue;
      await wake.wait(version, (wake.watching ? left : Math.min(left, POLL_MS)) / 1000, signal);
    }
  } finally {
    wake.settle();
  }
}
