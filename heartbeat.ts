/**
 * What a consumer's heartbeat record holds, and its bytes: SPEC §10's
 * `{ id, host, pid, workers, workerType, startedAt, lastSeen, running:
 * [{ id, name, startedAt }] }`. A consumer puts it every health-check
 * interval (see consumer/heartbeat.ts); `huey.stats()` lists the records
 * that have not expired.
 *
 * Records are JSON (UTF-8, times as epoch ms), whatever the Huey's
 * serializer, so that any process or tool can read them.
 *
 * @module
 */

/** A task a consumer's worker runs. */
export interface RunningTask {
  /** The task's id. */
  readonly id: string;
  /** The task's name. */
  readonly name: string;
  /** When its worker started it. */
  readonly startedAt: Date;
  /** The worker that runs it (`Worker-1`, ...). */
  readonly worker: string;
}

/** A consumer, as its latest heartbeat tells it. */
export interface ConsumerInfo {
  /** `host:pid` of the consumer's main process (the `consumer` of its events). */
  readonly id: string;
  /** The host's name. */
  readonly host: string;
  /** The consumer's main process id. */
  readonly pid: number;
  /** How many workers it runs. */
  readonly workers: number;
  /** `thread`, `process` or `greenlet`. */
  readonly workerType: string;
  /** When it started. */
  readonly startedAt: Date;
  /** When it put this record. */
  readonly lastSeen: Date;
  /** The tasks its workers run, at `lastSeen`. */
  readonly running: readonly RunningTask[];
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A consumer's record as the bytes of its heartbeat (JSON, times as epoch ms). */
export function encodeHeartbeat(info: ConsumerInfo): Uint8Array {
  return encoder.encode(JSON.stringify({
    ...info,
    startedAt: info.startedAt.getTime(),
    lastSeen: info.lastSeen.getTime(),
    running: info.running.map((task) => ({ ...task, startedAt: task.startedAt.getTime() })),
  }));
}

/** The record of a heartbeat's bytes; throws a `SyntaxError` on bytes that are not one. */
export function decodeHeartbeat(data: Uint8Array): ConsumerInfo {
  const raw = JSON.parse(decoder.decode(data));
  if (typeof raw !== "object" || raw === null || typeof raw.id !== "string") {
    throw new SyntaxError("a heartbeat is not a consumer record");
  }
  const running = Array.isArray(raw.running) ? raw.running : [];
  return {
    ...raw,
    startedAt: new Date(raw.startedAt),
    lastSeen: new Date(raw.lastSeen),
    running: running.map((task: { startedAt: number }) => ({
      ...task,
      startedAt: new Date(task.startedAt),
    })),
  };
}
