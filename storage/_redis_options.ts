/**
 * The options of the Redis storages (`RedisStorageOptions`): where to connect
 * (`url`, `host`/`port`/`db`, `cluster` or `client`), their checks, and the
 * plan `connect` (`_redis_client.ts`) follows; how `dequeue` waits and results
 * are kept.
 *
 * @module
 * @internal
 */
import { ConfigurationError } from "../errors.ts";
import { checkInteger, checkText, optionError } from "../_options.ts";
import {
  type ConnectPlan,
  isNodeRedis,
  type NodeRedisClient,
  type RedisConnection,
} from "./_redis_client.ts";
import {
  addressOfCluster,
  checkCluster,
  ClusterClient,
  isNodeRedisCluster,
  type NodeRedisCluster,
  type RedisClusterOptions,
} from "./_redis_cluster.ts";

/** Where to connect: give `url`, or `host`/`port`/`db`, or `cluster`, or `client`. */
export interface RedisConnectOptions {
  /**
   * Where to connect, as `redis://[[username]:password@]host[:port][/db]`, or
   * `rediss://...` for TLS. Excludes `host`, `port` and `db`.
   */
  url?: string;
  /** The Redis host. @default "127.0.0.1" */
  host?: string;
  /** The Redis port. @default 6379 */
  port?: number;
  /** The ACL user name. */
  username?: string;
  /** The password. */
  password?: string;
  /** The database number. @default 0 */
  db?: number;
  /**
   * A Redis Cluster to connect to (node-redis `createCluster`), e.g.
   * `{ rootNodes: [{ url: "redis://10.0.0.1:7000" }] }`. Excludes `url`,
   * `host`, `port` and `db`; `username` and `password` apply to every node.
   */
  cluster?: RedisClusterOptions;
  /**
   * An existing client instead of connection options: a node-redis v5 client
   * or cluster client (connected or not; the storage never closes it), or any
   * {@linkcode RedisConnection}.
   */
  client?: NodeRedisClient | NodeRedisCluster | RedisConnection;
}

/** Options of the Redis storages: where to connect, and how `dequeue` waits. */
export interface RedisStorageOptions extends RedisConnectOptions {
  /** `dequeue` waits up to `readTimeout` for a message when the queue is empty. @default true */
  blocking?: boolean;
  /** How long a blocking `dequeue` waits, in seconds. @default 1 */
  readTimeout?: number;
  /** Seconds a task result is kept (`RedisExpireStorage` kinds only). @default 86400 */
  expireTime?: number;
  /**
   * Storing a task's result also notifies it (a LIST per result, kept a
   * day), so that a blocking `Result.get()` waits on Redis (`waitForData`)
   * and wakes as the result is stored, instead of polling (huey 3.3's
   * `notify_result`).
   * @default false
   */
  notifyResult?: boolean;
}

/** A string option that is not given, or not empty. */
function optionalText(option: string, value: unknown): string | undefined {
  return value === undefined ? undefined : checkText(option, value);
}

/** An integer option that is not given, or in `min` to `max`. */
function optionalInteger(option: string, value: unknown, min: number, max: number) {
  return value === undefined ? undefined : checkInteger(option, value, min, max);
}

/** Throws ConfigurationError when two options that exclude each other are both set. */
function checkConflicts(first: string, options: Record<string, unknown>, others: string[]): void {
  const given = others.filter((option) => options[option] !== undefined);
  if (options[first] !== undefined && given.length > 0) {
    throw new ConfigurationError(
      `Redis options '${first}' and '${given.join("', '")}' contradict each other: ` +
        `'${first}' already says where to connect`,
    );
  }
}

/**
 * Checks the connection options and builds the node-redis options from them.
 *
 * @throws {ConfigurationError} An option has the wrong type or is out of
 *   range, `url` is not a redis:// or rediss:// URL, or options contradict
 *   each other (`url` with `host`, `port` or `db`; `client` with any other
 *   connection option).
 */
export function planConnection(options: RedisConnectOptions): ConnectPlan {
  const { client } = options;
  const url = optionalText("url", options.url);
  const host = optionalText("host", options.host);
  const username = optionalText("username", options.username);
  const password = optionalText("password", options.password);
  const port = optionalInteger("port", options.port, 1, 65535);
  const db = optionalInteger("db", options.db, 0, 2 ** 31 - 1);
  const given: Record<string, unknown> = { ...options };
  const others = ["url", "host", "port", "username", "password", "db", "cluster"];
  checkConflicts("client", given, others);
  checkConflicts("cluster", given, ["url", "host", "port", "db"]);
  checkConflicts("url", given, ["host", "port", "db"]);
  if (client !== undefined) {
    if (typeof client !== "object" || client === null) {
      throw optionError("client", client, "a node-redis client or a RedisConnection");
    }
    if (isNodeRedisCluster(client)) {
      return { address: addressOfCluster(client), client: new ClusterClient(client), options: {} };
    }
    return { address: addressOfClient(client), client, options: {} };
  }
  const socket = { connectTimeout: 5000 };
  if (options.cluster !== undefined) {
    const { settings, address } = checkCluster(options.cluster, redisUrl);
    return { address, cluster: settings, options: { socket, username, password } };
  }
  if (url === undefined) {
    const target = { host: host ?? "127.0.0.1", port: port ?? 6379 };
    return {
      address: `${target.host}:${target.port}`,
      options: { socket: { ...socket, ...target }, username, password, database: db },
    };
  }
  const parsed = redisUrl("url", url);
  if ((parsed.username || parsed.password) && (username ?? password) !== undefined) {
    throw new ConfigurationError(
      "Redis option 'url' carries credentials, so 'username' and 'password' contradict it",
    );
  }
  return {
    address: `${parsed.hostname}:${parsed.port || 6379}`,
    options: { url, socket, username, password },
  };
}

/** Parses a URL option (`url`, a cluster node's); it must be a redis:// or rediss:// URL. */
function redisUrl(option: string, url: unknown): URL {
  const text = checkText(option, url);
  let parsed: URL | null = null;
  try {
    parsed = new URL(text);
  } catch {
    // not a URL at all: the error below says what is allowed
  }
  if (parsed === null || (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:")) {
    throw optionError(option, url, "a redis:// or rediss:// URL");
  }
  return parsed;
}

function addressOfClient(client: NodeRedisClient | RedisConnection): string {
  const options = isNodeRedis(client) ? client.options : undefined;
  const socket = options?.socket as { host?: string; port?: number } | undefined;
  if (socket?.host) return `${socket.host}:${socket.port ?? 6379}`;
  if (options?.url) return new URL(options.url).host || "the configured server";
  return "the configured server";
}
