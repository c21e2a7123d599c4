/**
 * The consumer's heartbeat: its record (`heartbeat.ts`) put in the storage
 * every health-check interval with a time to live of three intervals, and
 * removed when the consumer stops. A consumer that was killed stops putting
 * it, and `huey.stats()` no longer lists it once the record expires.
 *
 * @module
 * @internal
 */
import { hostname } from "node:os";
import process from "node:process";
import { encodeHeartbeat, type RunningTask } from "../heartbeat.ts";
import { getLogger } from "../logger.ts";
import type { Storage } from "../storage/base.ts";
import { sleep } from "../_runtime.ts";
import { consumerId } from "./identity.ts";
import type { StorageWatch } from "./storage_watch.ts";

/** A record lives this many intervals unless it is put again. */
const INTERVALS_TO_LIVE = 3;

const logger = getLogger("huey.consumer");

/** What a {@linkcode Heartbeat} is built from. */
export interface HeartbeatOptions {
  /** Gives the storage in use. */
  storage: () => Storage;
  /** Seconds between records (the consumer's health-check interval). */
  interval: number;
  /** How many workers the consumer runs. */
  workers: number;
  /** Their type. */
  workerType: string;
  /** The tasks the workers run now. */
  running: () => RunningTask[];
  /** Tells storage outages once (the consumer's watch). */
  watch: StorageWatch;
}

/** Puts a consumer's record every interval, and removes it at the end. */
export class Heartbeat {
  /** The consumer's id (`host:pid`). */
  readonly id: string = consumerId();
  #options: HeartbeatOptions;
  #startedAt = new Date();

  /** @param options See {@linkcode HeartbeatOptions}. */
  constructor(options: HeartbeatOptions) {
    this.#options = options;
  }

  /**
   * Puts the record now (a failure is told to the watch, not thrown: the
   * next beat tries again).
   */
  async beat(): Promise<void> {
    const { storage, interval, workers, workerType, running, watch } = this.#options;
    const record = encodeHeartbeat({
      id: this.id,
      host: hostname(),
      pid: process.pid,
      workers,
      workerType,
      startedAt: this.#startedAt,
      lastSeen: new Date(),
      running: running(),
    });
    try {
      await storage().putHeartbeat(this.id, record, interval * INTERVALS_TO_LIVE);
      watch.succeeded();
    } catch (error) {
      watch.failed("Putting the consumer's heartbeat", error);
    }
  }

  /** Beats every interval until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await this.beat();
      await sleep(this.#options.interval, signal, true);
    }
  }

  /** Removes the record (the consumer stops); a failure is logged. */
  async end(): Promise<void> {
    await this.#options.storage().deleteHeartbeat(this.id).catch((error) =>
      logger.exception("Could not remove the consumer's heartbeat", error)
    );
  }
}
