/**
 * Reading a task message: every field of the wire format (docs/wire-format.md
 * §4) is checked, in the next stages and error handlers too, and every task
 * the message names must be registered — before any of it runs. A message
 * that does not fit is rejected with a `HueyError` whose reason names the
 * field (or the unknown task and where it is), so that it goes to the dead
 * letters instead of failing each time it is delivered.
 *
 * @module
 * @internal
 */
import { show } from "./_options.ts";
import { HueyError } from "./errors.ts";
import { MAX_SECONDS, MAX_TIMEOUT_SECONDS } from "./time.ts";
import {
  BACKOFF_ALLOWED,
  DELAY_MAX_ALLOWED,
  isBackoff,
  isDelayMax,
  isJitter,
  JITTER_ALLOWED,
} from "./retry_delay.ts";
import type { ChordMembership, TaskData } from "./task.ts";
import { isTraceContext, TRACE_ALLOWED } from "./trace_context.ts";

/** What the checks need of the registry. */
export interface KnownTasks {
  /** Whether a task of that name is registered. */
  has(name: string): boolean;
}

/** A field's check: whether a value fits, and the words for what fits. */
interface FieldRule {
  fits(value: unknown): boolean;
  allowed: string;
  /** The value of an absent field; `undefined` when the field is required. */
  fallback?: unknown;
}

const isDate = (value: unknown): boolean => value instanceof Date && !Number.isNaN(value.getTime());
const isFinite = (value: unknown): value is number =>
  typeof value === "number" && Number.isFinite(value);

/** A count: `retries`, `retried`. */
const COUNT: FieldRule = {
  fits: (v) => Number.isSafeInteger(v) && (v as number) >= 0,
  allowed: "an integer >= 0",
  fallback: 0,
};

/** The rules of the scalar fields, in the order of docs/wire-format.md. */
const RULES: Record<Exclude<keyof TaskData, "onComplete" | "onError" | "chord">, FieldRule> = {
  id: { fits: (v) => typeof v === "string" && v !== "", allowed: "a non-empty string" },
  name: { fits: (v) => typeof v === "string" && v !== "", allowed: "a non-empty string" },
  args: { fits: Array.isArray, allowed: "an array" },
  eta: { fits: (v) => v === null || isDate(v), allowed: "a date tag or null", fallback: null },
  retries: COUNT,
  retryDelay: {
    fits: (v) => isFinite(v) && v >= 0 && v <= MAX_SECONDS,
    allowed: `a number from 0 to ${MAX_SECONDS}`,
    fallback: 0,
  },
  retryBackoff: { fits: isBackoff, allowed: BACKOFF_ALLOWED, fallback: 1 },
  retryJitter: { fits: isJitter, allowed: JITTER_ALLOWED, fallback: 0 },
  retryDelayMax: { fits: isDelayMax, allowed: DELAY_MAX_ALLOWED, fallback: null },
  retried: COUNT,
  priority: {
    fits: (v) => v === null || isFinite(v),
    allowed: "a finite number or null",
    fallback: null,
  },
  expires: {
    fits: (v) => v === null || isDate(v) || (isFinite(v) && Math.abs(v) <= MAX_SECONDS),
    allowed: `a number from -${MAX_SECONDS} to ${MAX_SECONDS}, a date tag or null`,
    fallback: null,
  },
  expiresResolved: {
    fits: (v) => v === null || isDate(v),
    allowed: "a date tag or null",
    fallback: null,
  },
  timeout: {
    fits: (v) => v === null || (isFinite(v) && v > 0 && v <= MAX_TIMEOUT_SECONDS),
    allowed: `a number > 0 and at most ${MAX_TIMEOUT_SECONDS}, or null`,
    fallback: null,
  },
  unique: { fits: (v) => typeof v === "boolean", allowed: "true or false", fallback: false },
  trace: { fits: isTraceContext, allowed: TRACE_ALLOWED, fallback: null },
};

const FIELDS = Object.keys(RULES) as (keyof typeof RULES)[];

/**
 * Checks a decoded message and returns its fields, absent optional ones
 * filled in.
 *
 * @param value What the serializer decoded.
 * @param known The registered tasks.
 * @returns The task's fields.
 * @throws {HueyError} A field does not fit (the reason names it, e.g.
 *   `onComplete.eta`), or a task the message names is not registered.
 */
export function readTaskMessage(value: unknown, known: KnownTasks): TaskData {
  const data = checkFields(value, "");
  checkKnown(data, known);
  return data;
}

/**
 * Checks that every task of a task tree (the task, its next stages, its
 * error handlers) is registered.
 *
 * @param data The task's fields.
 * @param known The registered tasks.
 * @throws {HueyError} One is not (the reason says which, and where).
 */
export function checkKnown(data: TaskData, known: KnownTasks): void {
  const unknown = unknownTaskIn(data, known);
  if (unknown !== null) throw new HueyError(unknown);
}

/**
 * The reason a task cannot run here: its name is not registered.
 *
 * @param name The task's name.
 * @param place Where the task is, for the reason (`next stage of "a"`).
 * @returns The reason, in the one wording every check uses.
 */
export function unknownTask(name: string, place?: string): string {
  return `Unknown task "${name}"${place ? ` (${place})` : ""}: no task of that name is registered`;
}

/**
 * The reason a task tree cannot run here: the first task in it (the task,
 * its next stages, its error handlers) that is not registered.
 *
 * @param data The task's fields.
 * @param known The registered tasks.
 * @param place Where the task itself is, for the reason (`next stage of "a"`).
 * @returns The reason, or `null` when every task is known.
 */
export function unknownTaskIn(data: TaskData, known: KnownTasks, place?: string): string | null {
  if (!known.has(data.name)) return unknownTask(data.name, place);
  const next = data.onComplete &&
    unknownTaskIn(data.onComplete, known, `next stage of "${data.name}"`);
  if (next) return next;
  const handler = data.onError &&
    unknownTaskIn(data.onError, known, `error handler of "${data.name}"`);
  if (handler) return handler;
  return data.chord
    ? unknownTaskIn(data.chord.callback, known, `chord callback of "${data.name}"`)
    : null;
}

function checkFields(value: unknown, prefix: string): TaskData {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    if (prefix) throw invalid(prefix.slice(0, -1), value, "a task message (an object) or null");
    throw new HueyError(`Invalid task message: expected an object, got ${show(value)}`);
  }
  const message = value as Record<string, unknown>;
  const data = {} as Record<string, unknown>;
  for (const field of FIELDS) {
    const rule = RULES[field];
    const given = message[field];
    if (given === undefined && rule.fallback !== undefined) data[field] = rule.fallback;
    else if (rule.fits(given)) data[field] = given;
    else throw invalid(prefix + field, given, rule.allowed);
  }
  for (const field of ["onComplete", "onError"] as const) {
    const child = message[field];
    data[field] = child == null ? null : checkFields(child, `${prefix}${field}.`);
  }
  if (message.chord != null) data.chord = checkChord(message.chord, `${prefix}chord.`);
  return data as unknown as TaskData;
}

/** Checks a chord membership: its id, size and index, and its callback as a task message. */
function checkChord(value: unknown, prefix: string): ChordMembership {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalid(prefix.slice(0, -1), value, "a chord membership (an object) or null");
  }
  const { id, size, index, callback } = value as Record<string, unknown>;
  if (typeof id !== "string" || id === "") throw invalid(`${prefix}id`, id, "a non-empty string");
  if (!Number.isSafeInteger(size) || (size as number) < 1) {
    throw invalid(`${prefix}size`, size, "an integer >= 1");
  }
  if (
    !Number.isSafeInteger(index) || (index as number) < 0 || (index as number) >= (size as number)
  ) {
    throw invalid(`${prefix}index`, index, `an integer from 0 to ${(size as number) - 1}`);
  }
  if (callback == null) throw invalid(`${prefix}callback`, callback, "a task message (an object)");
  return {
    id,
    size: size as number,
    index: index as number,
    callback: checkFields(callback, `${prefix}callback.`),
  };
}

function invalid(field: string, value: unknown, allowed: string): HueyError {
  return new HueyError(
    `Invalid task message: field '${field}' must be ${allowed}, got ${show(value)}`,
  );
}
