/**
 * How a blocking SQLite `dequeue` waits for a message: it sleeps until a
 * write may have added one. Writes made in this thread (by any storage on
 * the same file) wake it at once; writes of other threads and processes
 * wake it through a watch on the database's write-ahead log (or on the file
 * itself outside WAL mode), held only while someone waits.
 *
 * @module
 * @internal
 */
import { type FSWatcher, watch } from "node:fs";

/** Where a wake-up comes from, for one database file. */
export class FileSignal {
  /** Counts the writes seen: a waiter that read version `v` does not sleep once it moved on. */
  version = 0;
  #waiters = new Set<() => void>();
  #watched: string | null;
  #watcher: FSWatcher | null = null;

  /** @param watched The file whose changes mean a write (`null`: this thread only). */
  constructor(watched: string | null) {
    this.#watched = watched;
  }

  /** Whether writes of other threads and processes can wake a waiter right now. */
  get watching(): boolean {
    return this.#watched === null || this.#watcher !== null;
  }

  /** Wakes every waiter: a write may have added a message. */
  notify(): void {
    this.version++;
    for (const wake of [...this.#waiters]) wake();
  }

  /**
   * Starts watching the file for other writers, if it is not watched yet.
   *
   * @returns `false` when the file cannot be watched (the waits then only poll).
   */
  watch(): boolean {
    if (this.watching) return true;
    try {
      this.#watcher = watch(this.#watched!, { persistent: false }, () => this.notify());
      this.#watcher.on("error", () => this.#unwatch());
      return true;
    } catch {
      return false;
    }
  }

  #unwatch(): void {
    this.#watcher?.close();
    this.#watcher = null;
  }

  /**
   * Ends the file watch when no waiter is left: a wait that started the
   * watch and then found what it waited for without sleeping. (Deno ignores
   * `persistent: false`: a watch left open keeps its process from exiting.)
   */
  settle(): void {
    if (this.#waiters.size === 0) this.#unwatch();
  }

  /**
   * Sleeps until a write after `version`, `seconds` or `signal`, whichever
   * comes first (at once when a write already came). The file watch ends
   * when the last waiter wakes.
   */
  wait(version: number, seconds: number, signal?: AbortSignal): Promise<void> {
    if (version !== this.version || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        this.#waiters.delete(done);
        if (this.#waiters.size === 0) this.#unwatch();
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, seconds * 1000));
      signal?.addEventListener("abort", done, { once: true });
      this.#waiters.add(done);
    });
  }
}

const signals = new Map<string, { signal: FileSignal; users: number }>();

/**
 * The signal of a database file, shared by every storage of this thread on
 * that file; `release` it when the storage closes.
 *
 * @param key Names the file (its absolute path, or a unique name for `:memory:`).
 * @param watched The file whose changes mean a write by another thread or process, or `null`.
 */
export function fileSignal(key: string, watched: string | null): {
  signal: FileSignal;
  release: () => void;
} {
  let entry = signals.get(key);
  if (!entry) {
    entry = { signal: new FileSignal(watched), users: 0 };
    signals.set(key, entry);
  }
  entry.users++;
  const held = entry;
  let released = false;
  return {
    signal: held.signal,
    release: () => {
      if (released) return;
      released = true;
      if (--held.users > 0) return;
      signals.delete(key);
      held.signal.settle();
    },
  };
}
