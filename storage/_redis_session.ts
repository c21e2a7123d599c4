/**
 * A Redis storage's connections: the one its commands share, opened on first
 * use, and the one a blocking `dequeue` waits on (a blocking command would
 * stall every other command on a shared connection), and closing both.
 *
 * @module
 * @internal
 */
import { connect, type ConnectPlan, type RedisConnection } from "./_redis_client.ts";
import { closedError } from "./_check.ts";

/**
 * Resolves when `promise` settles, after `seconds`, or when `signal` aborts,
 * whichever comes first; rejects only when `promise` rejects first.
 */
function settleWithin(promise: Promise<unknown>, seconds: number, signal?: AbortSignal) {
  return new Promise<void>((resolve, reject) => {
    const stop = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
    };
    const done = (): void => {
      stop();
      resolve();
    };
    const timer = setTimeout(done, seconds * 1000);
    signal?.addEventListener("abort", done, { once: true });
    promise.then(done, (error) => {
      stop();
      reject(error);
    });
  });
}

/**
 * Waits for lists to have an element, on connections of their own (a
 * blocking command would stall every other command on a shared one): one
 * for the queue a blocking `dequeue` watches, one for each result a
 * `waitForData` watches at the same time, kept for the next wait once done.
 * Concurrent waits on one list share one BLMOVE. `BLMOVE key key LEFT LEFT`
 * moves the list's first element to its own head: a wait never takes
 * anything out of Redis, so every waiter wakes, and an abandoned wait, or a
 * client that dies while waiting, loses nothing.
 */
class ListWaiter {
  #open: () => Promise<RedisConnection>;
  #idle: RedisConnection[] = [];
  #opened = new Set<RedisConnection>();
  #pending = new Map<string, Promise<unknown>>();
  #destroyed = false;

  /** @param open Opens a waiting connection. */
  constructor(open: () => Promise<RedisConnection>) {
    this.#open = open;
  }

  /**
   * Resolves when the list `key` has an element, after `seconds`, or when
   * `signal` aborts; rejects when Redis fails.
   */
  wait(key: string, seconds: number, signal?: AbortSignal): Promise<void> {
    let pending = this.#pending.get(key);
    if (pending === undefined) {
      pending = (async () => {
        const connection = this.#idle.pop() ?? await this.#connect();
        try {
          await connection.blmove(key, key, Math.max(0.01, Math.round(seconds * 1000) / 1000));
        } finally {
          this.#idle.push(connection);
        }
      })().finally(() => this.#pending.delete(key));
      this.#pending.set(key, pending);
    }
    return settleWithin(pending, seconds, signal);
  }

  async #connect(): Promise<RedisConnection> {
    const connection = await this.#open();
    this.#opened.add(connection);
    // Opened while the session closed: it goes too.
    if (this.#destroyed) this.destroy();
    return connection;
  }

  /** Closes the waiting connections at once: a wait in progress rejects. */
  destroy(): void {
    this.#destroyed = true;
    for (const connection of this.#opened) connection.destroy();
  }
}

/** The connections of one Redis storage. */
export class RedisSession {
  #plan: ConnectPlan;
  #owner: [storage: string, name: string];
  #connecting: Promise<RedisConnection> | null = null;
  #waiter = new ListWaiter(async () => await (await this.connection()).duplicate());
  #closed = false;

  /**
   * Connects on first use.
   *
   * @param plan Where and how to connect (see `planConnection`).
   * @param storage The storage's class name, for the error after `close()`.
   * @param name Its queue name, for the same error.
   */
  constructor(plan: ConnectPlan, storage: string, name: string) {
    this.#plan = plan;
    this.#owner = [storage, name];
  }

  /** Whether {@linkcode close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The shared connection, opened on first use (again after a failed attempt). */
  connection(): Promise<RedisConnection> {
    if (this.#closed) return Promise.reject(closedError(...this.#owner));
    this.#connecting ??= connect(this.#plan).catch((error) => {
      this.#connecting = null; // try again on the next call
      throw error;
    });
    return this.#connecting;
  }

  /**
   * Resolves when the list `key` has an element, after `seconds`, or when
   * `signal` aborts; rejects when Redis fails (or the session closes meanwhile).
   */
  wait(key: string, seconds: number, signal?: AbortSignal): Promise<void> {
    return this.#waiter.wait(key, seconds, signal);
  }

  /**
   * Closes the connections opened here (a client given in the options stays
   * open); a wait in progress rejects.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#waiter.destroy();
    const connection = await this.#connecting?.catch(() => null);
    if (connection && this.#plan.client === undefined) await connection.close();
  }
}
