/**
 * Redis Cluster for the Redis storages: the checks of option `cluster`, and
 * a node-redis cluster client (`createCluster`) dressed as the single client
 * the connection adapter drives, so that every command of `_redis_client.ts`
 * runs on a cluster unchanged.
 *
 * Every key of a queue carries the hash tag `{name}`, so all of them live in
 * one slot, on one master: each command is routed by its first key (a
 * script's first key, a SCAN's pattern), multi-key commands and scripts
 * never cross slots, and a blocking wait runs on a duplicated cluster client
 * of its own that connects to that master only.
 *
 * @module
 * @internal
 */
import type { Buffer } from "node:buffer";
import { checkInteger, checkOption, optionError } from "../_options.ts";

/** A node of a Redis Cluster to discover the others from. */
export interface RedisClusterNode {
  /** The node's address, `redis://host:port` (or `rediss://` for TLS). */
  url: string;
}

/**
 * Option `cluster` of the Redis storages: connect to a Redis Cluster through
 * node-redis `createCluster`. Options `username` and `password` apply to
 * every node.
 */
export interface RedisClusterOptions {
  /** Some nodes of the cluster (one is enough): the others are discovered. */
  rootNodes: RedisClusterNode[];
  /** How many MOVED/ASK redirections a command follows before it fails. @default 16 */
  maxCommandRedirections?: number;
  /**
   * Maps the addresses the cluster announces (`host:port`) to the ones to
   * connect to, when they differ (NAT, containers).
   */
  nodeAddressMap?: Record<string, { host: string; port: number }>;
}

/** The members of a node-redis v5 cluster client that the storages use. */
export interface NodeRedisCluster {
  /** Whether `connect()` was called and the client was not closed since. */
  readonly isOpen: boolean;
  /** The options the cluster was created with. */
  readonly _options: { rootNodes: object[]; defaults?: { socket?: object } };
  /** Discovers the cluster and connects to its masters. */
  connect(): Promise<unknown>;
  /** Sends one command to the master of `firstKey`'s slot. */
  sendCommand(
    firstKey: string | Buffer | undefined,
    isReadonly: boolean | undefined,
    args: ReadonlyArray<string | Buffer>,
    options?: object,
  ): Promise<unknown>;
  /** The master that serves a slot. */
  getSlotMaster(slot: number): unknown;
  /** A new cluster client with the same options, and these ones changed. */
  duplicate(overrides?: object): NodeRedisCluster;
  /** Listens to errors. */
  on(event: "error", listener: (error: Error) => void): unknown;
  /** Closes after pending replies. */
  close(): Promise<void>;
  /** Closes at once. */
  destroy(): void;
}

/** The node-redis cluster options that option `cluster` checks and sets. */
export interface ClusterSettings {
  rootNodes: { url: string }[];
  maxCommandRedirections?: number;
  nodeAddressMap?: Record<string, { host: string; port: number }>;
}

/** Whether `client` is a node-redis cluster client rather than a single-node one. */
export function isNodeRedisCluster(client: object): client is NodeRedisCluster {
  return typeof (client as NodeRedisCluster).getSlotMaster === "function";
}

/**
 * Checks option `cluster`.
 *
 * @param cluster The option's value.
 * @param checkUrl Checks a node's URL (a redis:// or rediss:// URL) and returns it parsed.
 * @throws {ConfigurationError} A member has the wrong type, `rootNodes` is empty, or
 *   a node's `url` is not a redis:// or rediss:// URL.
 */
export function checkCluster(cluster: unknown, checkUrl: (option: string, url: unknown) => URL) {
  const allowed = "an object { rootNodes: [{ url }, ...] }";
  if (typeof cluster !== "object" || cluster === null) {
    throw optionError("cluster", cluster, allowed);
  }
  const { rootNodes, maxCommandRedirections, nodeAddressMap, ...unknown } =
    cluster as RedisClusterOptions;
  const extra = Object.keys(unknown);
  checkOption(
    extra.length === 0,
    `cluster.${extra[0]}`,
    Object.values(unknown)[0],
    "no such option (allowed: rootNodes, maxCommandRedirections, nodeAddressMap)",
  );
  checkOption(
    Array.isArray(rootNodes) && rootNodes.length > 0,
    "cluster.rootNodes",
    rootNodes,
    "a non-empty array of nodes { url }",
  );
  const urls = rootNodes.map((node, index) => {
    const option = `cluster.rootNodes[${index}]`;
    checkOption(typeof node === "object" && node !== null, option, node, "an object { url }");
    return checkUrl(`${option}.url`, node.url);
  });
  const settings: ClusterSettings = { rootNodes: rootNodes.map(({ url }) => ({ url })) };
  if (maxCommandRedirections !== undefined) {
    settings.maxCommandRedirections = checkInteger(
      "cluster.maxCommandRedirections",
      maxCommandRedirections,
      1,
      1000,
    );
  }
  if (nodeAddressMap !== undefined) {
    checkOption(
      typeof nodeAddressMap === "object" && nodeAddressMap !== null,
      "cluster.nodeAddressMap",
      nodeAddressMap,
      "an object mapping 'host:port' to { host, port }",
    );
    settings.nodeAddressMap = nodeAddressMap;
  }
  return { settings, address: `${urls[0].hostname}:${urls[0].port || 6379}` };
}

/** The address of a cluster client's first root node, for error messages. */
export function addressOfCluster(cluster: NodeRedisCluster): string {
  const [node] = cluster._options?.rootNodes ?? [];
  const { url, socket } = (node ?? {}) as {
    url?: string;
    socket?: { host?: string; port?: number };
  };
  if (socket?.host) return `${socket.host}:${socket.port ?? 6379}`;
  if (url) return new URL(url).host || "the configured cluster";
  return "the configured cluster";
}

/**
 * The key a command is routed by: a script's first key, a SCAN's pattern
 * (its hash tag names the slot), an XREAD's first stream, otherwise the
 * command's first argument.
 */
function routingKey(args: ReadonlyArray<string | Buffer>): string | Buffer | undefined {
  const command = String(args[0]).toUpperCase();
  if (command === "EVAL" || command === "EVALSHA") {
    return Number(String(args[2])) > 0 ? args[3] : undefined;
  }
  if (command === "XREAD") {
    const streams = args.findIndex((arg) => String(arg).toUpperCase() === "STREAMS");
    return streams > 0 ? args[streams + 1] : undefined;
  }
  if (command === "SCAN") {
    const match = args.findIndex((arg) => String(arg).toUpperCase() === "MATCH");
    return match > 0 ? String(args[match + 1]).replace(/\\(.)/g, "$1") : undefined;
  }
  return args[1];
}

/**
 * A node-redis cluster client with the members of a single-node client that
 * the connection adapter uses (`sendCommand(args)`, `duplicate`, `options`).
 * A SCAN runs on the master of its pattern's slot: with the queue's hash tag
 * in the pattern, that master holds every key it can match.
 */
export class ClusterClient {
  #cluster: NodeRedisCluster;

  /** @param cluster A node-redis cluster client, connected or not. */
  constructor(cluster: NodeRedisCluster) {
    this.#cluster = cluster;
  }

  /** Whether the cluster client is open. */
  get isOpen(): boolean {
    return this.#cluster.isOpen;
  }

  /** The options every node's client is created with. */
  get options(): { socket?: object } {
    return this.#cluster._options.defaults ?? {};
  }

  /** Discovers the cluster and connects. */
  connect(): Promise<unknown> {
    return this.#cluster.connect();
  }

  /** Sends a command to the master that owns its key's slot. */
  sendCommand(args: ReadonlyArray<string | Buffer>, options?: object): Promise<unknown> {
    return this.#cluster.sendCommand(routingKey(args), false, args, options);
  }

  /**
   * A new cluster client with the same options and these node options
   * changed, that connects to a node only when it sends it a command: a
   * blocking command on it blocks no other command.
   */
  duplicate(overrides: object = {}): ClusterClient {
    const defaults = { ...this.#cluster._options.defaults, ...overrides };
    return new ClusterClient(this.#cluster.duplicate({ minimizeConnections: true, defaults }));
  }

  /** Listens to errors. */
  on(event: "error", listener: (error: Error) => void): unknown {
    return this.#cluster.on(event, listener);
  }

  /** Closes after pending replies. */
  close(): Promise<void> {
    return this.#cluster.close();
  }

  /** Closes at once. */
  destroy(): void {
    this.#cluster.destroy();
  }
}
