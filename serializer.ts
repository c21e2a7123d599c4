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
import { fromJson, toJson } from "./_tagged_json.ts";
import { HueyError } from "./errors.ts";
import { checkBoolean, checkInteger, checkText } from "./_options.ts";

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
  /**
   * The most bytes a message (or any stored value) may take once
   * decompressed. Inflating stops there, so a small message cannot blow up
   * into gigabytes: it is rejected (the consumer moves it to the dead
   * letters). Uncompressed data larger than this is rejected too.
   * @default 67108864 (64 MiB)
   */
  maxMessageBytes?: number;
}

/** The default of {@linkcode SerializerOptions.maxMessageBytes}: 64 MiB. */
const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

const GZIP_MAGIC = 0x1f;
const ZLIB_MAGIC = 0x78;
const COLON = 0x3a;
const UTF8_ENCODER = new TextEncoder();
const UTF8_DECODER = new TextDecoder("utf-8", { fatal: true });

/**
 * The default serializer: JSON with type tags, so that `undefined`, `NaN`,
 * `Infinity`, `BigInt`, `Date`, `Map`, `Set`, `Uint8Array`, `Error` and
 * tuples (`tuple()` of tuple.ts) round-trip; gzip or zlib compression on request.
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
  #maxBytes: number;

  /**
   * Builds a serializer; the options are checked at once.
   *
   * @param options Compression settings and the size limit; see {@linkcode SerializerOptions}.
   * @throws {ConfigurationError} An option has a bad value: `compression` or
   *   `useZlib` not a boolean, `compressionLevel` not an integer from 0 to 9,
   *   `maxMessageBytes` not an integer >= 1.
   */
  constructor(options: SerializerOptions = {}) {
    const {
      compression = false,
      compressionLevel = 6,
      useZlib = false,
      maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES,
    } = options;
    this.#compression = checkBoolean("compression", compression);
    this.#useZlib = checkBoolean("useZlib", useZlib);
    this.#level = checkInteger("compressionLevel", compressionLevel, 0, 9);
    this.#maxBytes = checkInteger("maxMessageBytes", maxMessageBytes, 1);
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
      data = decompress(bytes, this.#maxBytes);
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
    checkText("secret", secret);
    checkText("salt", salt);
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

function undecodable(error: unknown): HueyError {
  const reason = error instanceof Error ? error.message : String(error);
  return new HueyError(`Message could not be decoded: ${reason}`, { cause: error });
}

function asBytes(buffer: Uint8Array): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/**
 * Decompresses gzip or zlib data (by its first byte), stopping at
 * `maxBytes`; leaves other data as it is, unless it is larger than that.
 */
function decompress(bytes: Uint8Array, maxBytes: number): Uint8Array {
  const inflate = bytes[0] === GZIP_MAGIC
    ? gunzipSync
    : bytes[0] === ZLIB_MAGIC
    ? inflateSync
    : null;
  const tooLarge = (what: string): HueyError =>
    new HueyError(`${what} more than ${maxBytes} bytes (maxMessageBytes)`);
  if (inflate === null) {
    if (bytes.length > maxBytes) throw tooLarge(`${bytes.length} bytes,`);
    return bytes;
  }
  try {
    return asBytes(inflate(bytes, { maxOutputLength: maxBytes }));
  } catch (error) {
    if ((error as { code?: unknown }).code === "ERR_BUFFER_TOO_LARGE") {
      throw tooLarge(`it decompresses to`);
    }
    throw error;
  }
}
