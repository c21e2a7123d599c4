/**
 * Huey with a storage chosen for you: `SqliteHuey` (the embedded default),
 * `RedisHuey` and its kinds, `PostgresHuey`, `FileHuey`, `MemoryHuey`, `BlackHoleHuey`.
 * Each takes the Huey options plus its storage's options.
 *
 * @module
 */
import { Huey, type HueyOptions } from "./huey.ts";
import type { Storage } from "./storage/base.ts";
import { BlackHoleStorage } from "./storage/blackhole.ts";
import { FileStorage, type FileStorageOptions } from "./storage/file.ts";
import { MemoryStorage } from "./storage/memory.ts";
import { SqliteStorage, type SqliteStorageOptions } from "./storage/sqlite.ts";
import { PostgresStorage, type PostgresStorageOptions } from "./storage/postgres.ts";
import {
  PriorityRedisExpireStorage,
  PriorityRedisStorage,
  RedisExpireStorage,
  RedisStorage,
  type RedisStorageOptions,
} from "./storage/redis.ts";

/**
 * A Huey whose queue lives in a SQLite file: the embedded default, safe with
 * many producer and consumer processes on one machine.
 *
 * @example
 * ```ts
 * import { SqliteHuey } from "./mod.ts";
 * const huey = new SqliteHuey("my-app", { filename: ":memory:" });
 * const add = huey.task(function add(a: number, b: number) { return a + b; });
 * await add(1, 2);
 * console.assert((await huey.pendingCount()) === 1);
 * await huey.close();
 * ```
 */
export class SqliteHuey extends Huey {
  /**
   * @param name The queue's name.
   * @param options Huey options and SQLite options (`filename`, `cacheMb`, `fsync`, `journalMode`, `timeout`, `strictFifo`).
   */
  constructor(name = "huey", options: HueyOptions & SqliteStorageOptions = {}) {
    super(name, options);
  }

  protected override createStorage(
    name: string,
    options: HueyOptions & SqliteStorageOptions,
  ): Storage {
    return options.storage ?? new SqliteStorage(name, options);
  }
}

/** A Huey whose queue lives in this process's memory: for tests and demos. */
export class MemoryHuey extends Huey {
  protected override createStorage(name: string, options: HueyOptions): Storage {
    return options.storage ?? new MemoryStorage(name);
  }
}

/** A Huey whose queue lives in files under a folder (`path`). Not for heavy production use. */
export class FileHuey extends Huey {
  /**
   * @param name The queue's name.
   * @param options Huey options and file options (`path`, `levels`).
   */
  constructor(name: string, options: HueyOptions & FileStorageOptions) {
    super(name, options);
  }

  protected override createStorage(
    name: string,
    options: HueyOptions & FileStorageOptions,
  ): Storage {
    return options.storage ?? new FileStorage(name, options);
  }
}

/** A Huey that discards everything it is given. */
export class BlackHoleHuey extends Huey {
  protected override createStorage(name: string, options: HueyOptions): Storage {
    return options.storage ?? new BlackHoleStorage(name);
  }
}

/**
 * A Huey whose queue lives in Redis (a list: FIFO, no priorities), for many
 * consumers on many machines. node-redis is loaded on first use.
 *
 * @example
 * ```ts
 * import { RedisHuey } from "./mod.ts";
 * const huey = new RedisHuey("my-app", { url: "redis://127.0.0.1:6379/0" });
 * console.assert(huey.storage.blocking);
 * await huey.close();
 * ```
 */
export class RedisHuey extends Huey {
  /** The storage class this kind of RedisHuey builds. */
  static readonly storageClass: typeof RedisStorage = RedisStorage;

  /**
   * @param name The queue's name.
   * @param options Huey options and Redis options (`url`, `host`, `port`, `username`, `password`, `db`, `cluster`, `client`, `blocking`, `readTimeout`, `expireTime`).
   */
  constructor(name = "huey", options: HueyOptions & RedisStorageOptions = {}) {
    super(name, options);
  }

  protected override createStorage(
    name: string,
    options: HueyOptions & RedisStorageOptions,
  ): Storage {
    const { storageClass } = this.constructor as typeof RedisHuey;
    return options.storage ?? new storageClass(name, redisOptions(options));
  }
}

/** A `RedisHuey` whose queue honours priorities (a sorted set). */
export class PriorityRedisHuey extends RedisHuey {
  static override readonly storageClass: typeof RedisStorage = PriorityRedisStorage;
}

/** A `RedisHuey` whose results expire after `expireTime` seconds (and are not removed by reads). */
export class RedisExpireHuey extends RedisHuey {
  static override readonly storageClass: typeof RedisStorage = RedisExpireStorage;
}

/** A `PriorityRedisHuey` whose results expire after `expireTime` seconds. */
export class PriorityRedisExpireHuey extends PriorityRedisHuey {
  static override readonly storageClass: typeof RedisStorage = PriorityRedisExpireStorage;
}

/** The Redis options among a RedisHuey's options. */
function redisOptions(options: RedisStorageOptions): RedisStorageOptions {
  const { url, host, port, username, password, db, client, blocking, readTimeout, expireTime } =
    options;
  const redis = { url, host, port, username, password, db, client, blocking, readTimeout };
  return { ...redis, expireTime, notifyResult: options.notifyResult, cluster: options.cluster };
}

/**
 * A Huey whose queue lives in PostgreSQL, for many consumers on many
 * machines on a database you already run: `SKIP LOCKED` leases,
 * `LISTEN`/`NOTIFY` wake-ups, tables in a schema named after the Huey.
 * postgres.js is loaded on first use.
 *
 * @example
 * ```ts
 * import { PostgresHuey } from "./mod.ts";
 * const huey = new PostgresHuey("my-app", { url: "postgres://localhost:5432/app" });
 * console.assert(huey.storage.blocking && huey.storage.priority);
 * await huey.close();
 * ```
 */
export class PostgresHuey extends Huey {
  /**
   * @param name The queue's name, and the schema of its tables.
   * @param options Huey options and Postgres options (`url` or `sql`, `blocking`, `readTimeout`, `createTables`).
   */
  constructor(name = "huey", options: HueyOptions & PostgresStorageOptions = {}) {
    super(name, options);
  }

  protected override createStorage(
    name: string,
    options: HueyOptions & PostgresStorageOptions,
  ): Storage {
    const { url, sql, blocking, readTimeout, createTables } = options;
    return options.storage ??
      new PostgresStorage(name, { url, sql, blocking, readTimeout, createTables });
  }
}
