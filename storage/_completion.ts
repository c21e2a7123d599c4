/**
 * What ends one delivery, as the batching storages (SQLite, Redis) gather
 * them: keys deleted, a result stored, the lease acknowledged. `finish()`
 * asks for all three, `ack()` for the acknowledgement alone; both become a
 * completion, and the completions of one turn of the event loop are written
 * together.
 *
 * @module
 * @internal
 */
import type { FinishOptions } from "./base.ts";

/** One delivery's completion: `finish()`'s options and the receipt to acknowledge. */
export interface Completion extends FinishOptions {
  /** The lease to end, or `null` (a task run without a lease). */
  receipt: string | null;
}
