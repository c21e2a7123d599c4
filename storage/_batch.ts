/**
 * Coalesces the calls a storage receives within one turn of the event loop
 * into one call with all their inputs: fifty workers that each ask for their
 * next message at the same moment cost one round trip and one script run,
 * not fifty. Each caller still gets its own answer, or the batch's error.
 *
 * @module
 * @internal
 */
import { setImmediate } from "node:timers";

/** Options of a {@linkcode Batcher}. */
export interface BatcherOptions {
  /** The most inputs in one batch; more wait for the next one. @default 1000 */
  limit?: number;
  /**
   * Send a batch once the promise jobs already queued have run, instead of
   * when the event-loop turn ends: the calls made together (in one
   * synchronous run, or one round of promise jobs) still share it, and it
   * goes out ahead of the batches that wait for the turn to end. For calls
   * whose answers are needed soon, like the leases a worker takes ahead.
   * @default false
   */
  eager?: boolean;
  /**
   * One batch in flight at a time: the calls made while one is out wait for
   * it to settle, then go out together as the next batch (a group commit:
   * batches follow call order, and grow with the load instead of queueing
   * one small batch per turn).
   * @default false
   */
  serial?: boolean;
}

interface Waiting<I, O> {
  input: I;
  resolve: (output: O) => void;
  reject: (error: unknown) => void;
}

/**
 * Gathers calls until the current turn of the event loop ends (every
 * promise continuation already queued has run), then runs them as one batch
 * of at most `limit` inputs, in call order.
 *
 * @example
 * ```ts
 * import { Batcher } from "./_batch.ts";
 * let runs = 0;
 * const double = new Batcher<number, number>((inputs) => {
 *   runs++;
 *   return Promise.resolve(inputs.map((n) => n * 2));
 * });
 * const results = await Promise.all([double.call(1), double.call(2), double.call(3)]);
 * console.assert(results.join() === "2,4,6" && runs === 1);
 * ```
 */
export class Batcher<I, O> {
  #run: (inputs: I[]) => Promise<O[]>;
  #limit: number;
  #eager: boolean;
  #serial: boolean;
  #waiting: Waiting<I, O>[] = [];
  #scheduled = false;
  /** A serial batcher's batch in flight. */
  #inFlight = false;

  /**
   * @param run Answers a batch: one output per input, in order.
   * @param options See {@linkcode BatcherOptions}.
   */
  constructor(run: (inputs: I[]) => Promise<O[]>, options: BatcherOptions = {}) {
    this.#run = run;
    this.#limit = options.limit ?? 1000;
    this.#eager = options.eager ?? false;
    this.#serial = options.serial ?? false;
  }

  /** Adds a call to the next batch and resolves to its output. */
  call(input: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.#waiting.push({ input, resolve, reject });
      if (this.#scheduled || this.#inFlight) return;
      this.#scheduled = true;
      if (this.#eager) queueMicrotask(() => this.#flush());
      else setImmediate(() => this.#flush());
    });
  }

  #flush(): void {
    this.#scheduled = false;
    while (this.#waiting.length > 0 && !this.#inFlight) {
      const batch = this.#waiting.splice(0, this.#limit);
      let answer: Promise<O[]>;
      try {
        answer = this.#run(batch.map((waiting) => waiting.input));
      } catch (error) {
        answer = Promise.reject(error);
      }
      if (this.#serial) this.#inFlight = true;
      answer.then((outputs) => {
        batch.forEach((waiting, index) => waiting.resolve(outputs[index]));
      }, (error) => {
        for (const waiting of batch) waiting.reject(error);
      }).finally(() => {
        if (!this.#serial) return;
        this.#inFlight = false;
        this.#flush();
      });
    }
  }
}
