/**
 * What the consumer says while its storage fails: one WARNING line when the
 * storage goes down (what failed, and why, in one line), one when it is back
 * (with the outage's length), nothing in between; and how long each caller
 * waits before it tries again (a backoff that doubles up to a ceiling).
 * The worker loops and the scheduler of one process share one watch.
 *
 * @module
 * @internal
 */
import { getLogger, type Logger } from "../logger.ts";

/** Options of a {@linkcode StorageWatch}. */
export interface StorageWatchOptions {
  /** Seconds to wait after the first failure. @default 0.1 */
  initialDelay?: number;
  /** The longest wait between attempts, in seconds. @default 5 */
  maxDelay?: number;
  /** Where the lines go. @default the `huey.consumer` logger */
  logger?: Logger;
  /** The clock, in ms (tests drive it). @default performance.now */
  now?: () => number;
}

/** The first line of an error's message: a reason that fits in a log line. */
export function oneLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n", 1)[0].trim() || (error instanceof Error ? error.name : "unknown error");
}

/**
 * Whether an error says the storage's server cannot be reached (the
 * `HueyError` "Redis is unreachable at host:port: ..." or "PostgreSQL is
 * unreachable at ..." of the clients), rather than that a call was wrong.
 */
export function isUnreachable(error: unknown): boolean {
  return error instanceof Error && / is unreachable at /.test(error.message);
}

/** Tells when a storage goes down and comes back, once each, and paces the retries. */
export class StorageWatch {
  #initialDelay: number;
  #maxDelay: number;
  #logger: Logger;
  #now: () => number;
  #downSince: number | null = null;
  #failures = 0;

  /** @param options See {@linkcode StorageWatchOptions}. */
  constructor(options: StorageWatchOptions = {}) {
    const { initialDelay = 0.1, maxDelay = 5, logger = getLogger("huey.consumer") } = options;
    this.#initialDelay = initialDelay;
    this.#maxDelay = maxDelay;
    this.#logger = logger;
    this.#now = options.now ?? (() => performance.now());
  }

  /** Whether the last call told was a failure. */
  get down(): boolean {
    return this.#downSince !== null;
  }

  /**
   * Tells a failed storage call. The first failure of an outage logs one
   * line (WARNING unless `level` says otherwise); later ones log at DEBUG only.
   *
   * @param what What failed, e.g. `Reading the queue`.
   * @param error Why.
   * @param level The level of the line, if it is logged.
   * @returns The seconds to wait before the next attempt.
   */
  failed(what: string, error: unknown, level: "WARNING" | "ERROR" = "WARNING"): number {
    if (this.#downSince === null) {
      this.#downSince = this.#now();
      this.#logger[level === "ERROR" ? "error" : "warning"](
        `Storage unavailable: ${what} failed: ${oneLine(error)} ` +
          `(retrying every ${this.#initialDelay} s, up to every ${this.#maxDelay} s)`,
      );
    } else {
      this.#logger.debug(`Storage still unavailable: ${what} failed: ${oneLine(error)}`);
    }
    const delay = Math.min(this.#initialDelay * 2 ** this.#failures, this.#maxDelay);
    this.#failures++;
    return delay;
  }

  /** Tells a storage call that worked: after an outage, logs one line with its length. */
  succeeded(): void {
    if (this.#downSince === null) return;
    const seconds = (this.#now() - this.#downSince) / 1000;
    this.#downSince = null;
    this.#failures = 0;
    this.#logger.warning(`Storage available again after ${seconds.toFixed(1)} s`);
  }
}
