/**
 * The narrow postgres.js client the Postgres storage talks to
 * ({@linkcode PostgresSql}: only the calls it makes), the checks of the
 * connection options, the lazy load of the `postgres` npm package, and the
 * translation of its errors: an unreachable server is a `HueyError` that
 * says so, refused credentials or a missing database a `ConfigurationError`.
 *
 * postgres.js is imported on the first connection, never at module load, so
 * that users of the other storages never load it. It is an optional peer
 * dependency of the npm package: users of the other storages never install it.
 *
 * @module
 * @internal
 */
import { ConfigurationError, HueyError } from "../errors.ts";
import { checkText, optionError } from "../_options.ts";

/** A row of a query's result, by column name. */
export type PostgresRow = Record<string, unknown>;

/** A query of postgres.js: a promise of its rows, sent when awaited. */
export interface PostgresQuery extends PromiseLike<PostgresRow[]> {
  /** Sends it with the simple protocol instead: several statements, no parameters. */
  simple(): PromiseLike<PostgresRow[]>;
}

/** The calls the storage makes inside a transaction of postgres.js. */
export interface PostgresTransaction {
  /** Runs one statement with `$1`-style parameters (prepared with `prepare: true`). */
  unsafe(
    query: string,
    parameters?: unknown[],
    options?: { prepare?: boolean },
  ): PostgresQuery;
}

/**
 * The calls of a postgres.js instance (`postgres()`, v3 or v4) the storage
 * makes, and nothing more: a postgres.js `sql` fits it.
 */
export interface PostgresSql extends PostgresTransaction {
  /** Runs `fn` in a transaction (`BEGIN` ... `COMMIT`, `ROLLBACK` when it rejects). */
  begin<T>(fn: (sql: PostgresTransaction) => Promise<T>): Promise<unknown>;
  /**
   * `LISTEN`s on a channel on a connection of its own, which reconnects by
   * itself; `onlisten` runs each time the `LISTEN` is (again) in place.
   */
  listen(
    channel: string,
    onnotify: (payload: string) => void,
    onlisten?: () => void,
  ): Promise<{ unlisten(): Promise<void> }>;
  /** Closes every connection, after `timeout` seconds at the latest. */
  end(options?: { timeout?: number }): Promise<void>;
  /** The connection options (`host` and `port` are lists in postgres.js). */
  readonly options?: { host?: unknown; port?: unknown };
}

/** Where to connect: `url`, or an existing postgres.js instance `sql`. */
export interface PostgresConnectOptions {
  /**
   * Where to connect, as `postgres://[user[:password]@]host[:port]/database`
   * (or `postgresql://`). Without `url` and `sql`, postgres.js reads the
   * `PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD` and `PGDATABASE` environment
   * variables (default `localhost:5432`).
   */
  url?: string;
  /**
   * An existing postgres.js instance (`postgres(...)`) instead of `url`: its
   * pool is used as is, and never ended by the storage.
   */
  sql?: PostgresSql;
}

/** The checked connection options, ready for {@linkcode openPostgres}. */
export interface PostgresPlan {
  /** `host:port`, for error messages and logs. */
  readonly address: string;
  /** The URL to connect to, when the storage creates the pool (`undefined`: the environment). */
  readonly url?: string;
  /** The instance given by the user, if any. */
  readonly sql?: PostgresSql;
}

/** The first element of a postgres.js option that may be a list. */
function first(value: unknown): unknown {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Checks the connection options.
 *
 * @throws {ConfigurationError} `url` is not a postgres:// or postgresql://
 *   URL, `sql` is not a postgres.js instance, or both are given.
 */
export function planPostgres(options: PostgresConnectOptions): PostgresPlan {
  const { url, sql } = options;
  if (url !== undefined && sql !== undefined) {
    throw new ConfigurationError(
      "Postgres options 'url' and 'sql' contradict each other: 'sql' already says where to connect",
    );
  }
  if (sql !== undefined) {
    if (typeof (sql as PostgresSql | null)?.unsafe !== "function") {
      throw optionError("sql", sql, "a postgres.js instance (postgres(...))");
    }
    const host = first(sql.options?.host);
    const port = first(sql.options?.port);
    return { address: host ? `${host}:${port ?? 5432}` : "the configured server", sql };
  }
  if (url === undefined) return { address: "the server of the PG* environment variables" };
  checkText("url", url);
  let parsed: URL | null = null;
  try {
    parsed = new URL(url);
  } catch {
    // not a URL at all: the error below says what is allowed
  }
  if (parsed === null || !/^postgres(ql)?:$/.test(parsed.protocol)) {
    throw optionError("url", url, "a postgres:// or postgresql:// URL");
  }
  return { address: `${parsed.hostname || "localhost"}:${parsed.port || 5432}`, url };
}

type PostgresModule = { default: (url?: string, options?: object) => PostgresSql };

/**
 * Imports postgres.js. It is an optional peer dependency of the npm package,
 * so a missing one is a set-up mistake: the error names the package to install.
 *
 * @throws {ConfigurationError} `postgres` cannot be loaded.
 */
async function loadPostgres(): Promise<PostgresModule> {
  try {
    return await import("postgres") as unknown as PostgresModule;
  } catch (error) {
    throw new ConfigurationError(
      "The Postgres storage needs the npm package 'postgres' (postgres.js), which cannot be " +
        "loaded: install it with 'npm install postgres' (or 'bun add postgres'). " +
        `Cause: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/**
 * The settings the storage's own connections start with. `plan_cache_mode`
 * `force_custom_plan`: a prepared statement is planned at every execution,
 * for its parameters and the tables' current size, instead of once for all
 * with a generic plan. A queue's tables go from empty to many thousand rows
 * within seconds, and a generic plan made while one was small stays in a
 * connection's cache until the table is next analyzed: one made while the
 * result table was empty read it by a sequential scan in every `finish`
 * (its keys to delete are a list, `key = ANY($1)`), 0.1 to 0.6 s each once
 * it held tens of thousands of results, and its snapshot held up the
 * clean-up of every other statement's dead index entries meanwhile.
 * Planning every execution costs far less than that.
 */
export const POSTGRES_SESSION_SETTINGS: Readonly<Record<string, string>> = {
  plan_cache_mode: "force_custom_plan",
};

/**
 * The instance a plan describes: the user's, or a new pool (loading
 * postgres.js) that connects on its first query, gives up on a connection
 * attempt after 5 s, stays quiet about server notices, and starts its
 * connections with {@linkcode POSTGRES_SESSION_SETTINGS}.
 *
 * @throws {ConfigurationError} postgres.js cannot be loaded.
 */
export async function openPostgres(plan: PostgresPlan): Promise<PostgresSql> {
  if (plan.sql !== undefined) return plan.sql;
  const { default: postgres } = await loadPostgres();
  const options = {
    onnotice: () => {},
    connect_timeout: 5,
    max: 10,
    connection: { ...POSTGRES_SESSION_SETTINGS },
  };
  return plan.url === undefined ? postgres(undefined, options) : postgres(plan.url, options);
}

/** Error codes of postgres.js and of Node's sockets that mean the server cannot be reached. */
const UNREACHABLE = new Set([
  "CONNECTION_CLOSED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

/**
 * SQLSTATEs that mean the server cannot serve now: connection exceptions
 * (class 08), and an administrator's or a crash's shutdown (57P01-57P03).
 */
const UNAVAILABLE = /^(08...|57P0[123])$/;

/** SQLSTATEs that mean a bad setting: refused credentials (class 28), an unknown database. */
const REFUSED = /^(28...|3D000)$/;

/**
 * Runs a query or a transaction and translates its failure: an unreachable
 * server is a `HueyError` "PostgreSQL is unreachable at host:port: ...",
 * refused credentials or an unknown database a `ConfigurationError`; the
 * server's other errors pass through.
 *
 * @param address `host:port`, for the message.
 * @param run The call.
 */
export async function guard<T>(address: string, run: () => PromiseLike<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    const code = String((error as { code?: unknown } | null)?.code ?? "");
    const reason = error instanceof Error ? error.message : String(error);
    if (REFUSED.test(code)) {
      throw new ConfigurationError(
        `PostgreSQL at ${address} refused the connection: ${reason} ` +
          "(check the user, password and database in the Postgres URL)",
        { cause: error },
      );
    }
    if (UNREACHABLE.has(code) || UNAVAILABLE.test(code)) {
      throw new HueyError(`PostgreSQL is unreachable at ${address}: ${reason}`, { cause: error });
    }
    throw error;
  }
}
