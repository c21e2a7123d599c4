/**
 * The processor BullMQ's sandboxed (worker thread) workers run in the
 * benchmark: the same trivial task as huey's `echo`.
 *
 * @module
 */

/** Returns the job's value, which BullMQ stores as the job's return value. */
export default function echo(job: { data: { value: number } }): Promise<number> {
  return Promise.resolve(job.data.value);
}
