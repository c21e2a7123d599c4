/**
 * The signals huey emits while tasks move through their life, and the
 * dispatcher that calls the handlers connected to them.
 *
 * @module
 */
import type { Task } from "./task.ts";
import { runEach } from "./hooks.ts";
import { getLogger } from "./logger.ts";

/** The task was canceled (a `CancelExecution` in the task or a pre-execute hook). */
export const SIGNAL_CANCELED = "canceled";
/** The task ran and its result is stored. */
export const SIGNAL_COMPLETE = "complete";
/** The task threw; the handler also receives the error. */
export const SIGNAL_ERROR = "error";
/** The task is about to run. */
export const SIGNAL_EXECUTING = "executing";
/** The task was past its expiry and did not run. */
export const SIGNAL_EXPIRED = "expired";
/** The task could not take a lock. */
export const SIGNAL_LOCKED = "locked";
/** The task failed and will run again. */
export const SIGNAL_RETRYING = "retrying";
/** The task was revoked and did not run. */
export const SIGNAL_REVOKED = "revoked";
/** The task went to the schedule (an eta in the future). */
export const SIGNAL_SCHEDULED = "scheduled";
/** The task was interrupted (the consumer stopped fast); it will run again. */
export const SIGNAL_INTERRUPTED = "interrupted";
/** The task was put on the queue. */
export const SIGNAL_ENQUEUED = "enqueued";
/** The task was ended by its `timeout` (instead of `SIGNAL_ERROR`; retries apply). */
export const SIGNAL_TIMEOUT = "timeout";
/** The task hit its rate limit (`RateLimitExceeded`); it runs again in the next window when the limit retries. */
export const SIGNAL_RATE_LIMITED = "rate-limited";

/** Every signal name, in alphabetical order. */
export const SIGNALS = [
  SIGNAL_CANCELED,
  SIGNAL_COMPLETE,
  SIGNAL_ENQUEUED,
  SIGNAL_ERROR,
  SIGNAL_EXECUTING,
  SIGNAL_EXPIRED,
  SIGNAL_INTERRUPTED,
  SIGNAL_LOCKED,
  SIGNAL_RATE_LIMITED,
  SIGNAL_RETRYING,
  SIGNAL_REVOKED,
  SIGNAL_SCHEDULED,
  SIGNAL_TIMEOUT,
] as const;

/** One of the signal names. */
export type SignalName = typeof SIGNALS[number];

/**
 * Receives a signal: `handler(signal, task, ...extra)`; `SIGNAL_ERROR` passes
 * the error as the one extra argument. May be async: huey awaits it.
 */
export type SignalHandler = (
  signal: SignalName,
  task: Task,
  ...extra: unknown[]
) => void | Promise<void>;

/**
 * Sees every signal emitted, before its handlers run: a consumer publishes
 * them as events (see event_publisher.ts).
 */
export interface SignalObserver {
  /** Told of a signal; it neither throws nor waits. */
  observe(signal: SignalName, task: Task, extra: readonly unknown[]): void;
}

const ANY = "any";
const RESOLVED: Promise<void> = Promise.resolve();
/** The extra arguments of a signal that has none (what an observer is told). */
export const NO_EXTRA: readonly unknown[] = Object.freeze([]);
const logger = getLogger("huey");

/**
 * The handlers connected to each signal. Specific handlers run before
 * catch-all ones, each group in the order it was connected.
 */
export class SignalDispatcher {
  #handlers = new Map<string, SignalHandler[]>();
  #observer: SignalObserver | null = null;

  /** Sets the observer of every signal (`null`: none); there is one at most. */
  observe(observer: SignalObserver | null): void {
    this.#observer = observer;
  }

  /** Connects a handler to the signals (all of them when none are named). */
  connect(handler: SignalHandler, ...signals: SignalName[]): void {
    for (const signal of signals.length ? signals : [ANY]) {
      const list = this.#handlers.get(signal) ?? [];
      list.push(handler);
      this.#handlers.set(signal, list);
    }
  }

  /** Disconnects a handler from the signals (from every one when none are named). */
  disconnect(handler: SignalHandler, ...signals: string[]): void {
    for (const signal of signals.length ? signals : [...this.#handlers.keys()]) {
      const list = this.#handlers.get(signal)?.filter((each) => each !== handler);
      if (list) this.#handlers.set(signal, list);
    }
  }

  /** Whether any handler or the observer would receive the signal (lets hot paths skip work). */
  has(signal: SignalName): boolean {
    return this.#observer !== null || this.hasHandlers(signal);
  }

  /** Whether any handler would receive the signal (the observer aside). */
  hasHandlers(signal: SignalName): boolean {
    return Boolean(this.#handlers.get(signal)?.length || this.#handlers.get(ANY)?.length);
  }

  /**
   * Tells the observer, then calls the handlers of the signal; a handler
   * that throws is logged, not fatal. Without handlers it only tells the
   * observer and resolves at once.
   */
  emit(signal: SignalName, task: Task, ...extra: unknown[]): Promise<void> {
    return this.dispatch(signal, task, extra) ?? RESOLVED;
  }

  /**
   * {@linkcode emit}, but `null` when no handler runs: the observer was told
   * (synchronously) and there is nothing to wait for, so a hot path (a
   * consumer publishing events, without handlers) skips an `await`.
   */
  dispatch(
    signal: SignalName,
    task: Task,
    extra: readonly unknown[] = NO_EXTRA,
  ): Promise<void> | null {
    this.#observer?.observe(signal, task, extra);
    if (!this.hasHandlers(signal)) return null;
    const handlers = [...(this.#handlers.get(signal) ?? []), ...(this.#handlers.get(ANY) ?? [])];
    return runEach(
      handlers,
      [signal, task, ...extra],
      "Signal handler",
      logger,
      undefined,
      ` on ${signal}`,
    ).then(() => {});
  }
}
