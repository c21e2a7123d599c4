/**
 * What the consumer asks of a pool of workers, whatever their type.
 *
 * @module
 * @internal
 */
import type { RunningTask } from "../heartbeat.ts";

/** A pool of workers. */
export interface WorkerPool {
  /** Starts every worker; resolves when all are taking tasks. */
  start(): Promise<void>;
  /** Stops every worker: after their running tasks (graceful) or interrupting them. */
  stop(graceful: boolean): Promise<void>;
  /** Replaces workers that died; resolves to how many. */
  checkHealth(): Promise<number>;
  /** The tasks its live workers run now (for the consumer's heartbeat). */
  running(): RunningTask[];
}
