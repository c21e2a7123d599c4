/**
 * The wake-ups of a Postgres storage: one `LISTEN` on the schema's channel
 * (postgres.js keeps it on a connection of its own, and puts it back after a
 * reconnection) dispatches the notifications of the schema's triggers: `q`
 * wakes the blocked `dequeue` calls, `K<JSON array of keys>` the
 * `waitForData` calls of those keys, `e` the event followers. Each wait also ends at its timeout, so a notification lost while
 * the listening connection reconnects costs at most one timeout (and every
 * reconnection wakes every waiter, to look again).
 *
 * @module
 * @internal
 */
import type { PostgresSql } from "./_postgres_client.ts";

/**
 * Resolves to `true` when `register`'s wake-up is called, to `false` after
 * `ms` (`Infinity`: never) or when `signal` aborts.
 */
function waitFor(
  register: (wake: () => void) => () => void,
  ms: number,
  signal?: AbortSignal,
): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const finish = (woken: boolean): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", aborted);
      unregister();
      resolve(woken);
    };
    const aborted = (): void => finish(false);
    const unregister = register(() => finish(true));
    const timer = ms === Infinity ? undefined : setTimeout(() => finish(false), Math.max(0, ms));
    signal?.addEventListener("abort", aborted, { once: true });
  });
}

/** The notifications of one schema's channel, and the calls waiting for them. */
export class PostgresWakeups {
  #channel: string;
  #queueWaiters = new Set<() => void>();
  #keyWaiters = new Map<string, Set<() => void>>();
  #eventWaiters = new Set<() => void>();
  #listening: Promise<{ unlisten(): Promise<void> }> | null = null;
  #version = 0;

  /** @param channel The channel: the schema's name (unquoted). */
  constructor(channel: string) {
    this.#channel = channel;
  }

  /** Goes up with every `q` notification and every (re)connection of the listener. */
  get version(): number {
    return this.#version;
  }

  /**
   * Starts listening, on the first call (again after a failed attempt);
   * resolves once the `LISTEN` is in place.
   */
  async listen(sql: PostgresSql): Promise<void> {
    this.#listening ??= sql.listen(
      this.#channel,
      (payload) => this.#notified(payload),
      () => this.#wakeAll(),
    ).catch((error) => {
      this.#listening = null;
      throw error;
    });
    await this.#listening;
  }

  #notified(payload: string): void {
    if (payload === "q") {
      this.#version++;
      for (const wake of [...this.#queueWaiters]) wake();
    } else if (payload.startsWith("K")) {
      if (this.#keyWaiters.size === 0) return;
      for (const key of JSON.parse(payload.slice(1)) as string[]) {
        for (const wake of [...this.#keyWaiters.get(key) ?? []]) wake();
      }
    } else if (payload === "e") {
      for (const wake of [...this.#eventWaiters]) wake();
    }
  }

  /** Wakes every waiter: the listener (re)connected, or the storage closes. */
  #wakeAll(): void {
    this.#version++;
    for (const wake of [...this.#queueWaiters]) wake();
    for (const waiters of this.#keyWaiters.values()) for (const wake of [...waiters]) wake();
    for (const wake of [...this.#eventWaiters]) wake();
  }

  /**
   * Resolves when the queue may have a message for the caller (a `q`
   * notification or a reconnection since `version` was read), after `ms`, or
   * when `signal` aborts.
   */
  async waitQueue(version: number, ms: number, signal?: AbortSignal): Promise<void> {
    if (version !== this.#version) return;
    await waitFor(
      (wake) => {
        this.#queueWaiters.add(wake);
        return () => this.#queueWaiters.delete(wake);
      },
      ms,
      signal,
    );
  }

  /**
   * Resolves to `true` when `key` is written (or the listener reconnected:
   * the caller looks again), to `false` after `ms` or when `signal` aborts.
   */
  waitKey(key: string, ms: number, signal?: AbortSignal): Promise<boolean> {
    return waitFor(
      (wake) => {
        const waiters = this.#keyWaiters.get(key) ?? new Set();
        this.#keyWaiters.set(key, waiters.add(wake));
        return () => {
          waiters.delete(wake);
          if (waiters.size === 0) this.#keyWaiters.delete(key);
        };
      },
      ms,
      signal,
    );
  }

  /**
   * Resolves to `true` when events are added to the log (or the listener
   * reconnected: the caller looks again), to `false` after `ms` or when
   * `signal` aborts.
   */
  waitEvents(ms: number, signal?: AbortSignal): Promise<boolean> {
    return waitFor(
      (wake) => {
        this.#eventWaiters.add(wake);
        return () => this.#eventWaiters.delete(wake);
      },
      ms,
      signal,
    );
  }

  /** Stops listening and wakes every waiter. */
  async close(): Promise<void> {
    this.#wakeAll();
    const listening = await this.#listening?.catch(() => null);
    this.#listening = null;
    await listening?.unlisten().catch(() => {});
  }
}
