/**
 * Hueys that share one store, as producers and consumers in several
 * processes would: on one SQLite file, one real redis-server that the test
 * file starts (`sharedStores()` registers the start and the stop), or one
 * folder of the file storage.
 *
 * @module
 */
import { after, before } from "node:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Huey } from "../huey.ts";
import { FileHuey, RedisHuey, SqliteHuey } from "../mod.ts";
import { type RedisServer, redisSkip, startRedis } from "./_redis_server.ts";

/** A kind of shared store: `make(name)` opens one more Huey of queue `name` on it. */
export interface SharedStore {
  /** `sqlite`, `redis` or `file`. */
  kind: string;
  /** Why the tests of this store are skipped (no redis-server), if they are. */
  skip?: string;
  /** Opens a Huey of the queue `name` on the shared store. */
  make(name: string): Huey;
}

/**
 * The shared stores of a test file: a temporary SQLite file, a
 * redis-server started before the file's tests and stopped after them, and
 * a temporary folder of the file storage.
 */
export function sharedStores(prefix: string): SharedStore[] {
  const dir = mkdtempSync(join(tmpdir(), `huey-${prefix}-`));
  let server: RedisServer | undefined;
  before(async () => {
    if (!redisSkip) server = await startRedis();
  });
  after(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return [
    { kind: "sqlite", make: (name) => new SqliteHuey(name, { filename: join(dir, "shared.db") }) },
    { kind: "redis", skip: redisSkip, make: (name) => new RedisHuey(name, { url: server!.url }) },
    { kind: "file", make: (name) => new FileHuey(name, { path: join(dir, "files") }) },
  ];
}
