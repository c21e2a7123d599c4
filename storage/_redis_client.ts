/**
 * The narrow Redis client the Redis storages talk to ({@linkcode RedisConnection}:
 * only the commands they send), its adapter for node-redis (its core package
 * `@redis/client`, v5, or a cluster client), and `connect`, which follows the
 * plan of the checked connection options (`_redis_options.ts`).
 *
 * node-redis is imported on the first connection, never at module load, so
 * that users of the other storages never load it. It is an optional peer
 * dependency of the npm package: users of the other storages never install it.
 *
 * @module
 * @internal
 */
import { Buffer } from "node:buffer";
import { ConfigurationError, HueyError } from "../errors.ts";
import { ClusterClient, type ClusterSettings, type NodeRedisCluster } from "./_redis_cluster.ts";

/** The node-redis client options the storages read and set: a part of node-redis's own. */
export interface RedisClientOptions {
  url?: string;
  socket?: object;
  username?: string;
  password?: string;
  database?: number;
}

/** An argument of a Redis command. */
export type RedisArgument = string | Uint8Array;

/** A Redis reply: bulk strings are bytes, integers numbers, nil `null`. */
export type RedisReply = string | number | null | Uint8Array | RedisReply[];

/** An entry of a Redis stream: its id, and its field names and values, alternating. */
export type RedisStreamEntry = [id: string, fields: Uint8Array[]];

/**
 * The Redis commands the Redis storages send, and nothing more. The storages
 * build one on node-redis; implement it to run them on another client
 * (ioredis, Bun's `RedisClient`). Every method rejects while Redis is down.
 */
export interface RedisConnection {
  /** `EVALSHA`: runs a cached script; rejects with a `NOSCRIPT` error when the server lacks it. */
  evalsha(
    sha: string,
    keys: readonly string[],
    args: readonly RedisArgument[],
  ): Promise<RedisReply>;
  /** `EVAL`: runs a script (and caches it on the server). */
  eval(
    script: string,
    keys: readonly string[],
    args: readonly RedisArgument[],
  ): Promise<RedisReply>;
  /** `RPUSH`: appends values to a list; resolves to its new length. */
  rpush(key: string, values: readonly RedisArgument[]): Promise<number>;
  /**
   * `BLMOVE source destination LEFT LEFT timeout`: waits up to `timeout`
   * seconds for a list to have an element; resolves to `null` on timeout.
   */
  blmove(source: string, destination: string, timeout: number): Promise<Uint8Array | null>;
  /** `GET`. */
  get(key: string): Promise<Uint8Array | null>;
  /** `SET key value [NX] [PX ms]`; resolves to `false` when `nx` kept an existing value. */
  set(key: string, value: RedisArgument, options?: { nx?: boolean; px?: number }): Promise<boolean>;
  /** `DEL`: resolves to how many keys existed. */
  del(keys: readonly string[]): Promise<number>;
  /** `EXISTS` of one key: `1` or `0`. */
  exists(key: string): Promise<number>;
  /** `MGET`. */
  mget(keys: readonly string[]): Promise<(Uint8Array | null)[]>;
  /** `SCAN cursor MATCH pattern COUNT count`: the next cursor and a page of key names. */
  scan(cursor: string, pattern: string, count: number): Promise<[string, string[]]>;
  /** `ZCARD`. */
  zcard(key: string): Promise<number>;
  /** `ZRANGE key start stop` (by rank). */
  zrange(key: string, start: number, stop: number): Promise<Uint8Array[]>;
  /** `XRANGE key start end COUNT count`: a stream's entries from `start` to `end`, oldest first. */
  xrange(key: string, start: string, end: string, count: number): Promise<RedisStreamEntry[]>;
  /** `XREVRANGE key end start COUNT count`: a stream's entries from `end` down to `start`. */
  xrevrange(key: string, end: string, start: string, count: number): Promise<RedisStreamEntry[]>;
  /**
   * `XREAD COUNT 1 BLOCK ms STREAMS key id`: waits up to `timeout` seconds
   * for the stream to have an entry after `id`; resolves to whether it has.
   */
  xread(key: string, id: string, timeout: number): Promise<boolean>;
  /** A second connection to the same server and database, for blocking commands. */
  duplicate(): Promise<RedisConnection>;
  /** Closes the connection once pending replies have arrived. */
  close(): Promise<void>;
  /** Closes the connection at once; pending commands reject. */
  destroy(): void;
}

/** The members of a node-redis v5 client the adapter uses. */
export interface NodeRedisClient {
  /** Whether `connect()` was called and the client was not closed since. */
  readonly isOpen: boolean;
  /** The client options (`url`, `socket.host`, `socket.port`). */
  readonly options?: RedisClientOptions;
  /** Opens the connection. */
  connect(): Promise<unknown>;
  /** Sends one command. */
  sendCommand(args: ReadonlyArray<string | Buffer>, options?: object): Promise<unknown>;
  /** A new client with the same options, and these ones changed. */
  duplicate(overrides?: object): NodeRedisClient;
  /** Listens to connection errors. */
  on(event: "error", listener: (error: Error) => void): unknown;
  /** Closes after pending replies. */
  close(): Promise<void>;
  /** Closes at once. */
  destroy(): void;
}

/** The checked connection options, ready for {@linkcode connect}. */
export interface ConnectPlan {
  /** `host:port`, for error messages. */
  readonly address: string;
  /** A client given by the user, or `undefined` to create one. */
  readonly client?: NodeRedisClient | RedisConnection;
  /** node-redis options, when the storage creates the client (of each node, with `cluster`). */
  readonly options: RedisClientOptions;
  /** node-redis cluster options, when the storage creates a cluster client. */
  readonly cluster?: ClusterSettings;
}

/** Whether `client` is a node-redis client (not a `RedisConnection`). */
export function isNodeRedis(client: NodeRedisClient | RedisConnection): client is NodeRedisClient {
  return typeof (client as NodeRedisClient).sendCommand === "function";
}

type RedisModule = typeof import("@redis/client");

/** Max delay between reconnection attempts, in ms. */
const MAX_RECONNECT_DELAY = 1000;

/**
 * Opens the connection a plan describes: loads node-redis, creates the
 * client (offline queue disabled, so commands fail fast while Redis is down;
 * reconnection with backoff once it was up) and connects it. A client given
 * as a {@linkcode RedisConnection} is returned as is.
 *
 * @throws {HueyError} Redis is unreachable.
 * @throws {ConfigurationError} Redis refused the credentials (`NOAUTH`, `WRONGPASS`).
 */
export async function connect(plan: ConnectPlan): Promise<RedisConnection> {
  if (plan.client !== undefined && !isNodeRedis(plan.client)) return plan.client;
  const redis = await loadNodeRedis();
  const { cluster } = plan;
  if (cluster !== undefined) {
    return await open(redis, plan.address, (strategy) => {
      const defaults = {
        ...plan.options,
        socket: { ...plan.options.socket, reconnectStrategy: strategy },
        disableOfflineQueue: true,
        disableClientInfo: true,
      };
      return new ClusterClient(redis.createCluster({ ...cluster, defaults }) as NodeRedisCluster);
    });
  }
  if (plan.client !== undefined) {
    const client = plan.client;
    if (!client.isOpen) {
      client.on("error", () => {}); // connected by us: a drop must not crash the process
      await guard(plan.address, redis, () => client.connect());
    }
    return new NodeRedisConnection(redis, client, plan.address);
  }
  return await open(redis, plan.address, (strategy) =>
    redis.createClient({
      ...plan.options,
      socket: { ...plan.options.socket, reconnectStrategy: strategy },
      disableOfflineQueue: true,
      disableClientInfo: true,
    }) as unknown as NodeRedisClient);
}

/**
 * Imports node-redis. It is an optional peer dependency of the npm package,
 * so a missing one is a set-up mistake: the error names the package to install.
 *
 * @throws {ConfigurationError} `@redis/client` cannot be loaded.
 */
async function loadNodeRedis(): Promise<RedisModule> {
  try {
    return await import("@redis/client");
  } catch (error) {
    throw new ConfigurationError(
      "The Redis storages need the npm package '@redis/client' (node-redis 5), which cannot be " +
        "loaded: install it with 'npm install @redis/client' (or 'bun add @redis/client'). " +
        `Cause: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

type Strategy = (retries: number, cause: Error) => number | Error;

/** Creates and connects a client that gives up at once if the first attempt fails. */
async function open(
  redis: RedisModule,
  address: string,
  create: (strategy: Strategy) => NodeRedisClient,
): Promise<NodeRedisConnection> {
  let connected = false;
  const client = create((retries, cause) => {
    return connected ? Math.min(50 * 2 ** retries, MAX_RECONNECT_DELAY) : cause;
  });
  // Errors surface on the commands; without a listener node-redis would crash the process.
  client.on("error", () => {});
  await guard(address, redis, () => client.connect());
  connected = true;
  return new NodeRedisConnection(redis, client, address);
}

/** Replies that say the credentials are missing or wrong: a bad setting, not an outage. */
const CREDENTIALS_REFUSED = /^(NOAUTH|WRONGPASS)\b/;

/**
 * Runs a command or a connection attempt. Redis's own error replies pass
 * through, but a refusal of the credentials (`NOAUTH` when a password is
 * missing, `WRONGPASS` when it is wrong, at connection or at the first
 * command) is a `ConfigurationError`, and another refusal of the connection
 * says so; every other error means Redis cannot be reached.
 */
async function guard<T>(address: string, redis: RedisModule, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    const original = error instanceof redis.ReconnectStrategyError ? error.originalError : error;
    const reason = original instanceof Error ? original.message : String(original);
    if (!(original instanceof redis.ErrorReply)) {
      throw new HueyError(`Redis is unreachable at ${address}: ${reason}`, { cause: error });
    }
    if (CREDENTIALS_REFUSED.test(reason)) {
      throw new ConfigurationError(
        `Redis at ${address} refused the connection: ${reason} ` +
          "(check the password and username in the Redis options or URL)",
        { cause: error },
      );
    }
    if (error === original) throw error;
    throw new HueyError(`Redis at ${address} refused the connection: ${reason}`, { cause: error });
  }
}

function toArgument(value: RedisArgument): string | Buffer {
  return typeof value === "string"
    ? value
    : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

/** Copies node-redis Buffers into plain Uint8Arrays, recursively. */
function toReply(value: unknown): RedisReply {
  if (value instanceof Uint8Array) return new Uint8Array(value);
  if (Array.isArray(value)) return value.map(toReply);
  if (value === undefined) return null;
  return value as RedisReply;
}

/** The entries of an `XRANGE` reply, their ids as text. */
function toEntries(reply: RedisReply): RedisStreamEntry[] {
  const decoder = new TextDecoder();
  return (reply as [Uint8Array, Uint8Array[]][]).map(([id, fields]) => {
    return [decoder.decode(id), fields];
  });
}

/** {@linkcode RedisConnection} on a node-redis v5 client. */
class NodeRedisConnection implements RedisConnection {
  #redis: RedisModule;
  #client: NodeRedisClient;
  #address: string;
  #commandOptions: object;

  constructor(redis: RedisModule, client: NodeRedisClient, address: string) {
    this.#redis = redis;
    this.#client = client;
    this.#address = address;
    this.#commandOptions = { typeMapping: { [redis.RESP_TYPES.BLOB_STRING]: Buffer } };
  }

  #send(args: RedisArgument[]): Promise<RedisReply> {
    return guard(this.#address, this.#redis, async () => {
      return toReply(await this.#client.sendCommand(args.map(toArgument), this.#commandOptions));
    });
  }

  evalsha(sha: string, keys: readonly string[], args: readonly RedisArgument[]) {
    return this.#send(["EVALSHA", sha, String(keys.length), ...keys, ...args]);
  }

  eval(script: string, keys: readonly string[], args: readonly RedisArgument[]) {
    return this.#send(["EVAL", script, String(keys.length), ...keys, ...args]);
  }

  async rpush(key: string, values: readonly RedisArgument[]): Promise<number> {
    return await this.#send(["RPUSH", key, ...values]) as number;
  }

  async blmove(source: string, destination: string, timeout: number): Promise<Uint8Array | null> {
    const args = ["BLMOVE", source, destination, "LEFT", "LEFT", String(timeout)];
    return await this.#send(args) as Uint8Array | null;
  }

  async get(key: string): Promise<Uint8Array | null> {
    return await this.#send(["GET", key]) as Uint8Array | null;
  }

  async set(key: string, value: RedisArgument, options: { nx?: boolean; px?: number } = {}) {
    const args = ["SET", key, value];
    if (options.nx) args.push("NX");
    if (options.px !== undefined) args.push("PX", String(options.px));
    return await this.#send(args) !== null;
  }

  async del(keys: readonly string[]): Promise<number> {
    return await this.#send(["DEL", ...keys]) as number;
  }

  async exists(key: string): Promise<number> {
    return await this.#send(["EXISTS", key]) as number;
  }

  async mget(keys: readonly string[]): Promise<(Uint8Array | null)[]> {
    return await this.#send(["MGET", ...keys]) as (Uint8Array | null)[];
  }

  async scan(cursor: string, pattern: string, count: number): Promise<[string, string[]]> {
    const args = ["SCAN", cursor, "MATCH", pattern, "COUNT", String(count)];
    const [next, keys] = await this.#send(args) as [Uint8Array, Uint8Array[]];
    const decoder = new TextDecoder();
    return [decoder.decode(next), keys.map((key) => decoder.decode(key))];
  }

  async zcard(key: string): Promise<number> {
    return await this.#send(["ZCARD", key]) as number;
  }

  async zrange(key: string, start: number, stop: number): Promise<Uint8Array[]> {
    return await this.#send(["ZRANGE", key, String(start), String(stop)]) as Uint8Array[];
  }

  async xrange(key: string, start: string, end: string, count: number) {
    return toEntries(await this.#send(["XRANGE", key, start, end, "COUNT", String(count)]));
  }

  async xrevrange(key: string, end: string, start: string, count: number) {
    return toEntries(await this.#send(["XREVRANGE", key, end, start, "COUNT", String(count)]));
  }

  async xread(key: string, id: string, timeout: number): Promise<boolean> {
    const block = String(Math.max(1, Math.round(timeout * 1000))); // 0 would block for ever
    return await this.#send(["XREAD", "COUNT", "1", "BLOCK", block, "STREAMS", key, id]) !== null;
  }

  duplicate(): Promise<RedisConnection> {
    const socket = this.#client.options?.socket;
    return open(this.#redis, this.#address, (reconnectStrategy) => {
      return this.#client.duplicate({
        socket: { ...socket, reconnectStrategy },
        disableOfflineQueue: true,
      });
    });
  }

  async close(): Promise<void> {
    try {
      await this.#client.close();
    } catch {
      this.#client.destroy(); // Redis is down: nothing to wait for
    }
  }

  destroy(): void {
    this.#client.destroy();
  }
}
