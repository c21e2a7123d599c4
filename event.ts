/**
 * What an event of the event log holds, and its bytes: SPEC §10's
 * `{ seq, type, id, name, retries, at, consumer, worker, duration?, eta?,
 * error?, traceback?, progress? }`.
 *
 * Events are JSON (UTF-8), whatever the Huey's serializer, so that any
 * process, a dashboard or a tool in another language can read them.
 *
 * @module
 */
import { type SignalName, SIGNALS } from "./signals.ts";

/** A consumer started (its workers are running). */
export const EVENT_CONSUMER_STARTED = "consumer-started";
/** A consumer stopped (after its workers finished). */
export const EVENT_CONSUMER_STOPPED = "consumer-stopped";
/** A worker of a consumer died (a process or thread that exited or crashed); it is replaced. */
export const EVENT_WORKER_DIED = "worker-died";
/** A running task reported its progress (`task.progress(value)`): the event's `progress`. */
export const EVENT_PROGRESS = "progress";

/** The type of an event: a signal's name, one of the consumer's lifecycle events, or a task's progress. */
export type EventType =
  | SignalName
  | typeof EVENT_CONSUMER_STARTED
  | typeof EVENT_CONSUMER_STOPPED
  | typeof EVENT_WORKER_DIED
  | typeof EVENT_PROGRESS;

/** Every event type: the signals' names, then the lifecycle events and progress. */
export const EVENT_TYPES: readonly EventType[] = [
  ...SIGNALS,
  EVENT_CONSUMER_STARTED,
  EVENT_CONSUMER_STOPPED,
  EVENT_WORKER_DIED,
  EVENT_PROGRESS,
];

/** An event as it is published, before the storage gives it its `seq`. */
export interface EventRecord {
  /** The signal's name, or a lifecycle event. */
  readonly type: EventType;
  /** The task's id (`""` for lifecycle events). */
  readonly id: string;
  /** The task's name (`""` for lifecycle events). */
  readonly name: string;
  /** The task's retries left. */
  readonly retries: number;
  /** When it happened. */
  readonly at: Date;
  /** The consumer that published it: `host:pid` of the consumer's main process. */
  readonly consumer: string;
  /** The worker that published it (its name in the consumer, e.g. `"2"`), `""` for the consumer itself. */
  readonly worker: string;
  /** Seconds the task ran (complete, error, timeout and the like). */
  readonly duration?: number;
  /** When the task will run (scheduled, retrying with a delay). */
  readonly eta?: Date;
  /** The error's message (error, timeout, a failure). */
  readonly error?: string;
  /** The error's stack. */
  readonly traceback?: string;
  /** The progress a task reported. */
  readonly progress?: unknown;
}

/** An event read back from the log: its record and its place in the log. */
export interface HueyEvent extends EventRecord {
  /** Its place in the log (opaque, increasing): pass it as `since` to read what follows. */
  readonly seq: string;
}

/** A string as a JSON string literal. */
const quote = JSON.stringify as (value: string) => string;

/** The `type` fields of the event types met so far, e.g. `{"type":"complete"`. */
const typeFields = new Map<string, string>();

/** The text an event's JSON starts with: its `type` (the texts are kept, the types are few). */
export function typeField(type: EventType): string {
  let text = typeFields.get(type);
  if (text === undefined) typeFields.set(type, text = `{"type":${quote(type)}`);
  return text;
}

/** The `id` and `name` fields of an event's text: the same for every event of a task run. */
export function taskFields(id: string, name: string): string {
  return `,"id":${quote(id)},"name":${quote(name)}`;
}

/** The `consumer` and `worker` fields of an event's text: the same for every event of a worker. */
export function placeFields(consumer: string, worker: string): string {
  return `,"consumer":${quote(consumer)},"worker":${quote(worker)}`;
}

/**
 * An event's text from its parts: {@linkcode typeField},
 * {@linkcode taskFields}, `retries` and `at` (epoch ms) as JSON numbers,
 * {@linkcode placeFields}, then `rest` (more fields, each with its leading
 * comma, or `""`). Field order: as {@linkcode EventRecord} lists them.
 */
export function eventText(
  type: string,
  task: string,
  retries: number | string,
  at: number | string,
  place: string,
  rest: string,
): string {
  return `${type}${task},"retries":${retries},"at":${at}${place}${rest}}`;
}

/**
 * An event record as the text that is stored: one line of JSON, times as
 * epoch ms. Built field by field as text (a consumer encodes two events per
 * task: this costs a fifth of an object, `JSON.stringify` and UTF-8 bytes).
 *
 * @example
 * ```ts
 * import { decodeEvent, encodeEvent } from "./event.ts";
 * const at = new Date(0);
 * const text = encodeEvent({ type: "complete", id: "1", name: "add", retries: 0, at, consumer: "h:1", worker: "1", duration: 0.5 });
 * console.assert(decodeEvent("1", text).duration === 0.5);
 * ```
 */
export function encodeEvent(event: EventRecord): string {
  let rest = "";
  if (event.duration !== undefined) rest += `,"duration":${number(event.duration)}`;
  if (event.eta !== undefined) rest += `,"eta":${number(event.eta.getTime())}`;
  if (event.error !== undefined) rest += `,"error":${quote(event.error)}`;
  if (event.traceback !== undefined) rest += `,"traceback":${quote(event.traceback)}`;
  if (event.progress !== undefined) {
    const progress = JSON.stringify(event.progress);
    if (progress !== undefined) rest += `,"progress":${progress}`;
  }
  return eventText(
    typeField(event.type),
    taskFields(event.id, event.name),
    number(event.retries),
    number(event.at.getTime()),
    placeFields(event.consumer, event.worker),
    rest,
  );
}

/** A number as JSON writes it (`null` for one that is not finite, as `JSON.stringify` does). */
function number(value: number): string {
  return Number.isFinite(value) ? String(value) : "null";
}

/** The event of a stored text and its `seq`; throws a `SyntaxError` on a text that is not an event. */
export function decodeEvent(seq: string, data: string): HueyEvent {
  const raw = JSON.parse(data);
  if (typeof raw !== "object" || raw === null || typeof raw.type !== "string") {
    throw new SyntaxError(`event ${seq} is not an event object`);
  }
  const event = { ...raw, seq, at: new Date(raw.at) };
  if (raw.eta !== undefined) event.eta = new Date(raw.eta);
  return event as HueyEvent;
}
