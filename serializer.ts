/**
 * Serializers: how task messages, results and stored values become bytes.
 * The format is UTF-8 JSON with type tags (`{"$": "<tag>", "v": <payload>}`)
 * for what JSON lacks, optionally signed and compressed; docs/wire-format.md
 * describes it byte for byte.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { deflateSync, gunzipSync, gzipSync, inflateSync } from "node:zlib";
import { ConfigurationError, HueyError } from "./errors.ts";
import { isTuple, tuple } from "./tuple.ts";

/** What a Huey needs from a serializer: plug your own in through this shape. */
export interface SerializerLike {
  /** Turns a value into bytes. */
  serialize(value: unknown): Uint8Array;
  /** Turns bytes made by `serialize` back into the value. */
  deserialize(bytes: Uint8Array): unknown;
}

/** Options of {@linkcode Serializer}. */
export interface SerializerOptions {
  /**
   * Compress what `serialize` writes. Reading detects compression by itself.
   * @default false
   */
  compression?: boolean;
  /**
   * Compression level, 0 (none) to 9 (smallest).
   * @default 6
   */
  compressionLevel?: number;
  /**
   * Compress with zlib (deflate) instead of gzip.
   * @default false
   */
  useZlib?: boolean;
}

const GZIP_MAGIC = 0x1f;
const ZLIB_MAGIC = 0x78;
const COLON = 0x3a;
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
const UTF8_ENCODER = new TextEncoder();
const UTF8_DECODER = new TextDecoder("utf-8", { fatal: true });

/**
 * The default serializer: JSON with type tags, so that `undefined`, `NaN`,
 * `Infinity`, `BigInt`, `Date`, `Map`, `Set`, `Uint8Array`, `Error` and
 * {@linkcode tuple} round-trip; gzip or zlib compression on request.
 * Functions, symbols and circular structures are rejected with a `TypeError`
 * that says where they are.
 *
 * @example
 * ```ts
 * import { Serializer } from "./serializer.ts";
 * const serializer = new Serializer({ compression: true });
 * const bytes = serializer.serialize({ at: new Date(0), ids: new Set([1n]) });
 * const value = serializer.deserialize(bytes) as { at: Date; ids: Set<bigint> };
 * console.assert(value.at.getTime() === 0 && value.ids.has(1n));
 * ```
 */
export class Serializer implements SerializerLike {
  #compression: boolean;
  #level: number;
  #useZlib: boolean;

  /**
   * Builds a serializer; the options are checked at once.
   *
   * @param options Compression settings; see {@linkcode SerializerOptions}.
   * @throws {RangeError} `compressionLevel` is not an integer from 0 to 9.
   * @throws {TypeError} `compression` or `useZlib` is not a boolean.
   */
  constructor(options: SerializerOptions = {}) {
    const { compression = false, compressionLevel = 6, useZlib = false } = options;
    requireBoolean("compression", compression);
    requireBoolean("useZlib", useZlib);
    if (!Number.isInteger(compressionLevel) || compressionLevel < 0 || compressionLevel > 9) {
      throw new RangeError(
        `Option 'compressionLevel' must be an integer from 0 to 9, got ${String(compressionLevel)}`,
      );
    }
    this.#compression = compression;
    this.#level = compressionLevel;
    this.#useZlib = useZlib;
  }

  /**
   * Turns a value into bytes.
   *
   * @param value Any value made of JSON values and the tagged types.
   * @returns UTF-8 JSON, compressed if the serializer compresses.
   * @throws {TypeError} The value holds a function, a symbol or a cycle.
   */
  serialize(value: unknown): Uint8Array {
    const data = this.seal(UTF8_ENCODER.encode(toJson(value)));
    if (!this.#compression) return data;
    const level = this.#level;
    return asBytes(this.#useZlib ? deflateSync(data, { level }) : gzipSync(data, { level }));
  }

  /**
   * Turns bytes back into the value. Compressed input (gzip or zlib) is
   * detected by its first byte and decompressed whatever the options.
   *
   * @param bytes What `serialize` wrote.
   * @returns The value.
   * @throws {HueyError} The bytes cannot be decoded (or, signed, are rejected).
   */
  deserialize(bytes: Uint8Array): unknown {
    if (!(bytes instanceof Uint8Array)) {
      throw new TypeError(`deserialize() expects a Uint8Array, got ${typeof bytes}`);
    }
    let data: Uint8Array;
    try {
      data = decompress(bytes);
    } catch (error) {
      throw undecodable(error);
    }
    const json = this.unseal(data);
    try {
      return fromJson(UTF8_DECODER.decode(json));
    } catch (error) {
      throw undecodable(error);
    }
  }

  /**
   * Hook between the JSON bytes and compression, for subclasses that sign or
   * encrypt. The default returns the bytes unchanged.
   *
   * @param json The UTF-8 JSON of a value.
   * @returns The bytes to compress and store.
   */
  protected seal(json: Uint8Array): Uint8Array {
    return json;
  }

  /**
   * Undoes {@linkcode Serializer.seal} on decompressed bytes.
   *
   * @param data Decompressed bytes.
   * @returns The UTF-8 JSON.
   * @throws {HueyError} The bytes are rejected.
   */
  protected unseal(data: Uint8Array): Uint8Array {
    return data;
  }
}

/** Options of {@linkcode SignedSerializer}. */
export interface SignedSerializerOptions extends SerializerOptions {
  /** The shared secret; producers and consumers must use the same one. */
  secret: string;
  /**
   * Mixed into the key, so that one secret can serve several purposes.
   * @default "huey"
   */
  salt?: string;
}

/**
 * A {@linkcode Serializer} that signs every message with HMAC-SHA256 and
 * rejects, with a `HueyError`, any message that is unsigned, tampered with
 * or signed with another secret. Use it when the storage is reachable by
 * parties that must not run tasks.
 *
 * @example
 * ```ts
 * import { SignedSerializer } from "./serializer.ts";
 * const serializer = new SignedSerializer({ secret: "s3cret" });
 * const bytes = serializer.serialize([1, 2]);
 * console.assert((serializer.deserialize(bytes) as number[])[1] === 2);
 * ```
 */
export class SignedSerializer extends Serializer {
  #key: Buffer;

  /**
   * Builds a signing serializer; the key is derived once, here.
   *
   * @param options The secret, the salt and the compression settings.
   * @throws {ConfigurationError} `secret` or `salt` is missing or empty.
   */
  constructor(options: SignedSerializerOptions) {
    super(options);
    const { secret, salt = "huey" } = options ?? {};
    for (const [option, value] of [["secret", secret], ["salt", salt]]) {
      if (typeof value !== "string" || value === "") {
        throw new ConfigurationError(
          `Option '${option}' of SignedSerializer must be a non-empty string, got ${
            typeof value === "string" ? '""' : String(value)
          }`,
        );
      }
    }
    this.#key = createHash("sha256").update(salt + secret).digest();
  }

  /** Appends `:` and the lowercase hex HMAC-SHA256 of the JSON. */
  protected override seal(json: Uint8Array): Uint8Array {
    const signature = createHmac("sha256", this.#key).update(json).digest("hex");
    const signed = new Uint8Array(json.length + 1 + signature.length);
    signed.set(json);
    signed[json.length] = COLON;
    UTF8_ENCODER.encodeInto(signature, signed.subarray(json.length + 1));
    return signed;
  }

  /** Checks and strips the signature after the last `:`. */
  protected override unseal(data: Uint8Array): Uint8Array {
    const at = data.lastIndexOf(COLON);
    const hex = at < 0 ? "" : String.fromCharCode(...data.subarray(at + 1, at + 66));
    if (!/^[0-9a-f]{64}$/i.test(hex)) {
      throw new HueyError("Message is not signed: rejected");
    }
    const json = data.subarray(0, at);
    const expected = createHmac("sha256", this.#key).update(json).digest();
    if (!timingSafeEqual(expected, Buffer.from(hex, "hex"))) {
      throw new HueyError(
        "Message signature does not match: rejected (tampered, or signed with another secret)",
      );
    }
    return json;
  }
}

function requireBoolean(option: string, value: unknown): void {
  if (typeof value !== "boolean") {
    throw new TypeError(`Option '${option}' must be a boolean, got ${String(value)}`);
  }
}

function undecodable(error: unknown): HueyError {
  const reason = error instanceof Error ? error.message : String(error);
  return new HueyError(`Message could not be decoded: ${reason}`, { cause: error });
}

function asBytes(buffer: Uint8Array): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

function decompress(bytes: Uint8Array): Uint8Array {
  if (bytes[0] === GZIP_MAGIC) return asBytes(gunzipSync(bytes));
  if (bytes[0] === ZLIB_MAGIC) return asBytes(inflateSync(bytes));
  return bytes;
}

// ---- Encoding ----------------------------------------------------------

/** A step of the path to a value: a key, an index, or ready-made text. */
type PathStep = string | number | { text: string };

interface EncodeState {
  /** The objects being encoded, from the top down: meeting one again is a cycle. */
  ancestors: Set<object>;
  path: PathStep[];
}

function toJson(value: unknown): string {
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

function fromJson(text: string): unknown {
  const parsed: unknown = JSON.parse(text);
  // A tag is an object with a "$" key, whose JSON always contains `"$"`.
  return text.includes('"$"') ? revive(parsed) : parsed;
}

/** Revives tags top-down, in place (a tag's payload is never read as a tag itself). */
function revive(node: unknown): unknown {
  if (typeof node !== "object" || node === null) return node;
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) {
      const item = node[i];
      if (typeof item === "object" && item !== null) node[i] = revive(item);
    }
    return node;
  }
  const record = node as Record<string, unknown>;
  return Object.hasOwn(record, "$") ? reviveTag(record) : reviveProps(record);
}

/** Revives the values of a record (not the record itself). */
function reviveProps<T extends object>(record: T): T {
  for (const key of Object.keys(record)) {
    const item = (record as Record<string, unknown>)[key];
    if (typeof item !== "object" || item === null) continue;
    const revived = revive(item);
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
      return BigInt(payload(tag, v, "string"));
    case "date":
      return new Date(v === null ? NaN : payload(tag, v, "string"));
    case "bytes":
      return new Uint8Array(Buffer.from(payload(tag, v, "string"), "base64"));
    case "set":
      return new Set(payload(tag, v, "array").map(revive));
    case "tuple":
      return tuple(...payload(tag, v, "array").map(revive));
    case "map":
      return new Map(
        payload(tag, v, "array").map((entry) => {
          const [key, item] = payload(tag, entry, "array");
          return [revive(key), revive(item)];
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
  const options = Object.hasOwn(v, "cause") ? { cause: revive(v.cause) } : undefined;
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
      const value = revive(props[key]);
      if (Object.hasOwn(error, key)) (error as unknown as Record<string, unknown>)[key] = value;
      else setOwn(error, key, value);
    }
  }
  return error;
}
