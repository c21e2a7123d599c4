/**
 * Tagged JSON: the text format inside every serialized message. JSON values
 * are written as they are; what JSON lacks is written as `{"$": "<tag>",
 * "v": <payload>}` and revived on reading. docs/wire-format.md lists the tags.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { isTuple, tuple } from "./tuple.ts";

/** Deeper values take the slow path, which also detects cycles. */
const FAST_PATH_MAX_DEPTH = 256;
const ERROR_FIELDS = new Set(["name", "message", "stack", "cause"]);
const BUILTIN_ERRORS = new Set([
  "Error",
  "TypeError",
  "RangeError",
  "SyntaxError",
  "ReferenceError",
  "EvalError",
  "URIError",
  "AggregateError",
]);
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

// ---- Encoding ----------------------------------------------------------

/** A step of the path to a value: a key, an index, or ready-made text. */
type PathStep = string | number | { text: string };

interface EncodeState {
  /** The objects being encoded, from the top down: meeting one again is a cycle. */
  ancestors: Set<object>;
  path: PathStep[];
}

/**
 * Writes a value as tagged JSON: plain JSON stays as it is; `undefined`,
 * `NaN`, `Infinity`, `BigInt`, `Date`, `Map`, `Set`, `Uint8Array`, `Error`,
 * tuples and objects with a `"$"` key become `{"$": "<tag>", "v": <payload>}`.
 *
 * @param value The value to write.
 * @returns The JSON text.
 * @throws {TypeError} The value holds a function, a symbol or a cycle; the
 * message says where (`args[1].name`).
 *
 * @example
 * ```ts
 * import { toJson } from "./_tagged_json.ts";
 * console.assert(toJson({ n: 1n }) === '{"n":{"$":"bigint","v":"1"}}');
 * ```
 */
export function toJson(value: unknown): string {
  if (isPlainJson(value, 0)) return JSON.stringify(value);
  return JSON.stringify(encode(value, { ancestors: new Set(), path: [] }));
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Whether JSON.stringify writes the value exactly as it is (one cheap walk). */
function isPlainJson(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case "string":
    case "boolean":
      return true;
    case "number":
      return Number.isFinite(value);
    case "object": {
      if (value === null) return true;
      if (depth > FAST_PATH_MAX_DEPTH) return false;
      if (Array.isArray(value)) {
        if (isTuple(value)) return false;
        for (let i = 0; i < value.length; i++) {
          if (!isPlainJson(value[i], depth + 1)) return false;
        }
        return true;
      }
      if (!isPlainObject(value)) return false;
      for (const key of Object.keys(value)) {
        if (key === "$" || !isPlainJson((value as Record<string, unknown>)[key], depth + 1)) {
          return false;
        }
      }
      return true;
    }
    default:
      return false;
  }
}

/**
 * The JSON-ready form of a value. Plain JSON parts are returned as they are
 * (copy on write), so a message with one Date copies only the path to it.
 */
function encode(value: unknown, state: EncodeState): unknown {
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      if (Number.isFinite(value)) return value;
      return { $: Number.isNaN(value) ? "nan" : value > 0 ? "inf" : "-inf" };
    case "undefined":
      return { $: "undefined" };
    case "bigint":
      return { $: "bigint", v: value.toString() };
    case "object": {
      if (value === null) return null;
      if (state.ancestors.has(value)) {
        throw new TypeError(`Cannot serialize a circular structure at ${where(state.path)}`);
      }
      state.ancestors.add(value);
      const encoded = encodeObject(value, state);
      state.ancestors.delete(value);
      return encoded;
    }
    default:
      throw new TypeError(`Cannot serialize a ${typeof value} at ${where(state.path)}`);
  }
}

function encodeObject(value: object, state: EncodeState): unknown {
  if (Array.isArray(value)) {
    const items = encodeItems(value, state);
    return isTuple(value) ? { $: "tuple", v: items } : items;
  }
  if (isPlainObject(value)) return encodeProps(value as Record<string, unknown>, state);
  if (value instanceof Date) {
    return { $: "date", v: Number.isNaN(value.getTime()) ? null : value.toISOString() };
  }
  if (value instanceof Uint8Array) {
    return {
      $: "bytes",
      v: Buffer.from(value.buffer, value.byteOffset, value.length).toString("base64"),
    };
  }
  if (value instanceof Map) {
    const entries = [...value].map(([key, item], i) => [
      encodeAt(key, { text: `.keys()[${i}]` }, state),
      encodeAt(item, { text: `.get(${describeKey(key, i)})` }, state),
    ]);
    return { $: "map", v: entries };
  }
  if (value instanceof Set) {
    return {
      $: "set",
      v: [...value].map((item, i) => encodeAt(item, { text: `.values()[${i}]` }, state)),
    };
  }
  if (value instanceof Error) return encodeError(value, state);
  if (
    value instanceof Number || value instanceof String || value instanceof Boolean ||
    value instanceof BigInt
  ) {
    return encode(value.valueOf(), state);
  }
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === "function") {
    const last = state.path.at(-1);
    return encode(toJSON.call(value, typeof last === "object" ? "" : String(last ?? "")), state);
  }
  return encodeProps(value as Record<string, unknown>, state);
}

function encodeAt(value: unknown, step: PathStep, state: EncodeState): unknown {
  state.path.push(step);
  const encoded = encode(value, state);
  state.path.pop();
  return encoded;
}

function encodeItems(items: readonly unknown[], state: EncodeState): unknown[] {
  let copy: unknown[] | undefined;
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    const encoded = encodeAt(item, i, state);
    if (copy) copy.push(encoded);
    else if (encoded !== item) (copy = items.slice(0, i)).push(encoded);
  }
  return copy ?? (items as unknown[]);
}

/** Own enumerable properties; an object with a `"$"` key is escaped. */
function encodeProps(source: Record<string, unknown>, state: EncodeState): unknown {
  const keys = Object.keys(source);
  const values = keys.map((key) => source[key]);
  let copy: Record<string, unknown> | undefined;
  for (let i = 0; i < keys.length; i++) {
    const encoded = encodeAt(values[i], keys[i], state);
    if (!copy && encoded !== values[i]) {
      copy = Object.create(null) as Record<string, unknown>;
      for (let j = 0; j < i; j++) copy[keys[j]] = values[j];
    }
    if (copy) copy[keys[i]] = encoded;
  }
  const encoded = copy ??
    (isPlainObject(source) ? source : Object.fromEntries(keys.map((key, i) => [key, values[i]])));
  return Object.hasOwn(source, "$") ? { $: "object", v: encoded } : encoded;
}

function encodeError(error: Error, state: EncodeState): unknown {
  const v: Record<string, unknown> = Object.create(null);
  v.name = String(error.name);
  v.message = String(error.message);
  if (typeof error.stack === "string") v.stack = error.stack;
  if (Object.hasOwn(error, "cause")) v.cause = encodeAt(error.cause, "cause", state);
  const props: Record<string, unknown> = Object.create(null);
  const keys = Object.keys(error).filter((key) => !ERROR_FIELDS.has(key));
  if (error instanceof AggregateError && !keys.includes("errors")) keys.push("errors");
  for (const key of keys) {
    props[key] = encodeAt((error as unknown as Record<string, unknown>)[key], key, state);
  }
  if (keys.length > 0) v.props = props;
  return { $: "error", v };
}

function describeKey(key: unknown, index: number): string {
  const primitive = typeof key === "string" || typeof key === "number" || typeof key === "boolean";
  return primitive ? JSON.stringify(key) : `<key ${index}>`;
}

/** The path as JavaScript-like text: `args[1].name`. */
function where(path: readonly PathStep[]): string {
  if (path.length === 0) return "the top level";
  let text = "";
  for (const step of path) {
    if (typeof step === "number") text += `[${step}]`;
    else if (typeof step === "object") text += step.text;
    else if (IDENTIFIER.test(step)) text += text === "" ? step : `.${step}`;
    else text += `[${JSON.stringify(step)}]`;
  }
  return text.startsWith(".") ? text.slice(1) : text;
}

// ---- Decoding ----------------------------------------------------------

/**
 * Reads tagged JSON written by {@linkcode toJson} back into the value.
 *
 * @param text The JSON text.
 * @returns The value, with every tag revived.
 * @throws {SyntaxError} The text is not JSON.
 * @throws {TypeError} A tag is unknown or its payload is wrong (the wrong JSON
 * type, a date that is no time, base64 that is not standard); the message
 * says where (`at args[0]`).
 *
 * @example
 * ```ts
 * import { fromJson } from "./_tagged_json.ts";
 * console.assert(fromJson('{"$":"bigint","v":"1"}') === 1n);
 * ```
 */
export function fromJson(text: string): unknown {
  const parsed: unknown = JSON.parse(text);
  // A tag is an object with a "$" key, whose JSON always contains `"$"`.
  if (!text.includes('"$"')) return parsed;
  revivalPath.length = 0;
  try {
    return revive(parsed);
  } catch (error) {
    throw new TypeError(`${(error as Error).message} at ${where(revivalPath)}`, { cause: error });
  }
}

/**
 * Where the walk of {@linkcode revive} is; left as it was when a tag fails,
 * so the error can say where the bad tag is (`args[0]`).
 */
const revivalPath: PathStep[] = [];

/** Revives tags top-down, in place (a tag's payload is never read as a tag itself). */
function revive(node: unknown): unknown {
  if (typeof node !== "object" || node === null) return node;
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) {
      const item = node[i];
      if (typeof item === "object" && item !== null) node[i] = reviveAt(item, i);
    }
    return node;
  }
  const record = node as Record<string, unknown>;
  return Object.hasOwn(record, "$") ? reviveTag(record) : reviveProps(record);
}

function reviveAt(node: unknown, step: PathStep): unknown {
  revivalPath.push(step);
  const revived = revive(node);
  revivalPath.pop();
  return revived;
}

/** Revives the values of a record (not the record itself). */
function reviveProps<T extends object>(record: T): T {
  for (const key of Object.keys(record)) {
    const item = (record as Record<string, unknown>)[key];
    if (typeof item !== "object" || item === null) continue;
    const revived = reviveAt(item, key);
    if (revived !== item) setOwn(record, key, revived);
  }
  return record;
}

/** Sets an own property, even one named `__proto__`. */
function setOwn(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    writable: true,
    enumerable: true,
    configurable: true,
  });
}

function reviveTag(tagged: Record<string, unknown>): unknown {
  const { $: tag, v } = tagged;
  switch (tag) {
    case "undefined":
      return undefined;
    case "nan":
      return NaN;
    case "inf":
      return Infinity;
    case "-inf":
      return -Infinity;
    case "bigint":
      return BigInt(checked(tag, payload(tag, v, "string"), INTEGER, "an integer in decimal"));
    case "date":
      return v === null ? new Date(NaN) : reviveDate(payload(tag, v, "string"));
    case "bytes": {
      const base64 = checked(tag, payload(tag, v, "string"), BASE64, "standard base64");
      return new Uint8Array(Buffer.from(base64, "base64"));
    }
    case "set":
      return new Set(payload(tag, v, "array").map((item, i) => reviveAt(item, i)));
    case "tuple":
      return tuple(...payload(tag, v, "array").map((item, i) => reviveAt(item, i)));
    case "map":
      return new Map(
        payload(tag, v, "array").map((entry, i) => {
          const pair = payload(tag, entry, "array");
          if (pair.length !== 2) {
            throw new TypeError(`an entry of a "map" tag must be a [key, value] pair`);
          }
          return [
            reviveAt(pair[0], { text: `.keys()[${i}]` }),
            reviveAt(pair[1], { text: `.values()[${i}]` }),
          ];
        }),
      );
    case "object":
      return reviveProps(payload(tag, v, "object"));
    case "error":
      return reviveError(payload(tag, v, "object"));
    default:
      throw new TypeError(`unknown type tag ${JSON.stringify(tag)}`);
  }
}

/** A decimal integer, as BigInt's `toString()` writes it (`BigInt("")` would be 0). */
const INTEGER = /^-?\d+$/;
/** Standard base64 with padding (RFC 4648 §4); Buffer would skip what is not. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function checked(tag: string, text: string, pattern: RegExp, expected: string): string {
  if (!pattern.test(text)) {
    throw new TypeError(`the payload of a "${tag}" tag must be ${expected}, got ${clip(text)}`);
  }
  return text;
}

function reviveDate(text: string): Date {
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) {
    throw new TypeError(`the payload of a "date" tag must be an ISO 8601 time, got ${clip(text)}`);
  }
  return date;
}

/** A string for an error message, cut short. */
function clip(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}...` : text);
}

interface PayloadKinds {
  string: string;
  array: unknown[];
  object: Record<string, unknown>;
}

function payload<K extends keyof PayloadKinds>(tag: string, v: unknown, kind: K): PayloadKinds[K] {
  const actual = Array.isArray(v) ? "array" : v === null ? "null" : typeof v;
  if (actual !== kind) throw new TypeError(`the payload of a "${tag}" tag must be a JSON ${kind}`);
  return v as PayloadKinds[K];
}

function reviveError(v: Record<string, unknown>): Error {
  const name = typeof v.name === "string" ? v.name : "Error";
  const message = typeof v.message === "string" ? v.message : "";
  const options = Object.hasOwn(v, "cause") ? { cause: reviveAt(v.cause, "cause") } : undefined;
  const globals = globalThis as unknown as Record<string, ErrorConstructor | undefined>;
  const Class = BUILTIN_ERRORS.has(name) && typeof globals[name] === "function"
    ? globals[name]
    : Error;
  const error = Class === globals.AggregateError
    ? new AggregateError([], message, options)
    : new Class(message, options);
  const hidden = { writable: true, enumerable: false, configurable: true };
  if (error.name !== name) Object.defineProperty(error, "name", { ...hidden, value: name });
  Object.defineProperty(error, "stack", {
    ...hidden,
    value: typeof v.stack === "string" ? v.stack : undefined,
  });
  if (v.props !== undefined) {
    const props = payload("error", v.props, "object");
    for (const key of Object.keys(props)) {
      const value = reviveAt(props[key], key);
      if (Object.hasOwn(error, key)) (error as unknown as Record<string, unknown>)[key] = value;
      else setOwn(error, key, value);
    }
  }
  return error;
}
