/**
 * The options of a `Huey` and of its calls: what `new Huey()`, `dequeue()`,
 * `execute()` and `isRevoked()` accept.
 *
 * @module
 */
import type { Result } from "./result.ts";
import { Serializer, type SerializerLike } from "./serializer.ts";
import type { Storage } from "./storage/base.ts";
import type { Task } from "./task.ts";
import type { AnyTaskWrapper } from "./wrapper.ts";
import { checkFailuresMaxLength, DEFAULT_FAILURES_MAX_LENGTH } from "./failures.ts";
import { checkEventsMaxLength, DEFAULT_EVENTS_MAX_LENGTH } from "./event_publisher.ts";
import { checkBoolean, checkNumber, checkOption, checkText } from "./_options.ts";

/** What `isRevoked()` accepts: a task, a task id, a Result, or a whole task (its wrapper). */
export type RevokeTarget = Task | string | Result | AnyTaskWrapper;

/** Options of `new Huey()`; subclasses add their storage's options. */
export interface HueyOptions {
  /** Store task results. @default true */
  results?: boolean;
  /** Store `undefined`/`null` results too. @default false */
  storeNone?: boolean;
  /**
   * Store the error of a failed attempt that a retry follows (`false`: store
   * only the final outcome, so a blocking `get()` waits for it). @default true
   */
  storeIntermediateErrors?: boolean;
  /** Match periodic tasks against UTC (`false`: local time). @default true */
  utc?: boolean;
  /** Run tasks at once, in the caller, instead of enqueueing them (for tests). @default false */
  immediate?: boolean;
  /** Turns values into bytes and back. @default new Serializer({ compression, useZlib }) */
  serializer?: SerializerLike;
  /** Compress messages and results (gzip). @default false */
  compression?: boolean;
  /** With `compression`, use zlib instead of gzip. @default false */
  useZlib?: boolean;
  /**
   * The most bytes a message may take once decompressed; a message above it
   * goes to the dead letters (see `SerializerOptions.maxMessageBytes`).
   * Ignored when you pass your own `serializer`.
   * @default 67108864 (64 MiB)
   */
  maxMessageBytes?: number;
  /** In immediate mode, use a fresh in-memory storage instead of the real one. @default true */
  immediateUseMemory?: boolean;
  /** Acknowledge messages after their outcome is stored (at-least-once); `false`: at-most-once. @default true */
  acks?: boolean;
  /** Seconds a dequeued message stays leased before it is delivered again. @default 30 */
  leaseTimeout?: number;
  /** Where the queue lives. Subclasses (`SqliteHuey`, `RedisHuey`, ...) build it from their options. */
  storage?: Storage;
  /**
   * The most failures kept (tasks that failed for good, see
   * `huey.failures()`), the oldest dropped first; 0 records none.
   * @default 1000
   */
  failuresMaxLength?: number;
  /**
   * Publish the signals of the consumers of this Huey as events to the
   * storage (see `huey.events()`); a producer never publishes. @default true
   */
  events?: boolean;
  /** The most events the storage keeps, the oldest dropped first (a whole number > 0). @default 10000 */
  eventsMaxLength?: number;
}

/** Options of `huey.dequeue()`. */
export interface DequeueTaskOptions {
  /** Aborts a blocking wait (the call then resolves to `null`). */
  signal?: AbortSignal;
}

/** Options of `huey.execute()`. */
export interface ExecuteOptions {
  /** "Now", for the eta, revocation and expiry checks. @default new Date() */
  timestamp?: Date;
  /** Aborting it interrupts the task: `SIGNAL_INTERRUPTED`, and the message goes back to the queue. */
  signal?: AbortSignal;
}

/** A Huey's settings: its options with their defaults applied, checked. */
export type HueySettings = Required<
  Pick<
    HueyOptions,
    | "results"
    | "storeNone"
    | "storeIntermediateErrors"
    | "utc"
    | "immediate"
    | "serializer"
    | "immediateUseMemory"
    | "acks"
    | "leaseTimeout"
    | "failuresMaxLength"
    | "events"
    | "eventsMaxLength"
  >
>;

/**
 * The settings of a Huey named `name` built with `options`.
 *
 * @throws {ConfigurationError} The name or an option has a bad value (the
 *   message names it, the value and what is allowed).
 */
export function hueySettings(name: string, options: HueyOptions): HueySettings {
  const {
    results = true,
    storeNone = false,
    storeIntermediateErrors = true,
    utc = true,
    immediate = false,
    compression = false,
    useZlib = false,
    maxMessageBytes,
    serializer = new Serializer({ compression, useZlib, maxMessageBytes }),
    immediateUseMemory = true,
    acks = true,
    leaseTimeout = 30,
    failuresMaxLength = DEFAULT_FAILURES_MAX_LENGTH,
    events = true,
    eventsMaxLength = DEFAULT_EVENTS_MAX_LENGTH,
  } = options;
  checkText("name", name);
  const flags = {
    results,
    storeNone,
    storeIntermediateErrors,
    utc,
    immediate,
    immediateUseMemory,
    acks,
    events,
  };
  for (const [option, value] of Object.entries(flags)) checkBoolean(option, value);
  checkNumber("leaseTimeout", leaseTimeout, "> 0");
  checkOption(
    typeof serializer?.serialize === "function" && typeof serializer.deserialize === "function",
    "serializer",
    serializer,
    "an object with serialize() and deserialize() methods",
  );
  checkFailuresMaxLength(failuresMaxLength);
  checkEventsMaxLength(eventsMaxLength);
  return { ...flags, serializer, leaseTimeout, failuresMaxLength, eventsMaxLength };
}
