/**
 * A Redis storage's connections: the one its commands share, opened on first
 * use, and those that blocking waits (`dequeue`, `waitForData`,
 * `waitForEvents`) wait on (a blocking command would stall every other
 * command on a shared connection), and closing them.
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
 * Waits for lists to have an element and streams to have an entry, on
 * connections of their own (a blocking command would stall every other
 * command on a shared one): one for the queue a blocking `dequeue` watches,
 * one for each result a `waitForData` watches at the same time, one for
 * each event log position a `waitForEvents` watches, kept for the next wait
 * once done. Concurrent waits on one list (one stream position) share one
 * blocking command. `BLMOVE key key LEFT LEFT` moves the list's first
 * element to its own head and `XREAD` only reads: a wait never takes
 * anything out of Redis, so every waiter wakes, and an abandoned wait, or a
 * client that dies while waiting, loses nothing.
 */
class BlockingWaiter {
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
   * Resolves when `block` (a blocking command that waits up to `seconds`)
   * answers, after `seconds`, or when `signal` aborts; rejects when Redis
   * fails. Waits of the same `what` share one command.
   */
  wait(
    what: string,
    block: (connection: RedisConnection, seconds: number) => Promise<unknown>,
    seconds: number,
    signal?: AbortSignal,
  ): Promise<void> {
    let pending = this.#pending.get(what);
    if (pending === undefined) {
      pending = (async () => {
        const connection = this.#idle.pop() ?? await this.#connect();
        try {
          await block(connection, Math.max(0.01, Math.round(seconds * 1000) / 1000));
        } finally {
          this.#idle.push(connection);
        }
      })().finally(() => this.#pending.delete(what));
      this.#pending.set(what, pending);
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
  #waiter = new BlockingWaiter(async () => await (await this.connection()).duplicate());
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
    const block = (connection: RedisConnection, timeout: number) => {
      return connection.blmove(key, key, timeout);
    };
    return this.#waiter.wait(`list ${key}`, block, seconds, signal);
  }

  /**
   * Resolves when the stream `key` has an entry after `id`, after `seconds`,
   * or when `signal` aborts; rejects when Redis fails (or the session closes
   * meanwhile).
   */
  waitStream(key: string, id: string, seconds: number, signal?: AbortSignal): Promise<void> {
    const block = (connection: RedisConnection, timeout: number) => {
      return connection.xread(key, id, timeout);
    };
    return this.#waiter.wait(`stream ${key} ${id}`, block, seconds, signal);
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
