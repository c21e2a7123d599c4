// PostgresHuey on a real PostgreSQL (SPEC §11): the storage it builds from its options, a full
// task trip with priorities, results removed when read, and a blocking Result.get() woken by the
// NOTIFY of the result's write instead of polling.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { PostgresHuey, type Result } from "../mod.ts";
import { PostgresStorage } from "../storage/postgres.ts";
import type { Storage } from "../storage/base.ts";
import { type PostgresServer, postgresSkip, startPostgres } from "./_postgres_server.ts";
import { executeNext } from "./_helpers.ts";
import { waitFor } from "./consumer/_consumer.ts";

let server: PostgresServer | undefined;
let unique = 0;
before(async () => {
  if (!postgresSkip) server = await startPostgres();
});
after(() => server?.remove());

/** Counts the reads of a storage's key/value store (the calls a polling `get()` makes). */
function countReads(storage: Storage): { count: number } {
  const reads = { count: 0 };
  for (const method of ["peekData", "popData", "hasDataForKey"] as const) {
    const original = storage[method].bind(storage) as (key: string) => Promise<never>;
    storage[method] = (key: string) => {
      reads.count += 1;
      return original(key);
    };
  }
  return reads;
}

test("PostgresHuey builds a PostgresStorage from its options and runs tasks by priority", {
  skip: postgresSkip,
}, async () => {
  const name = `huey-${++unique}`;
  await using huey = new PostgresHuey(name, { url: server!.url, readTimeout: 0.2 });
  assert.equal(huey.storage.constructor, PostgresStorage);
  assert.equal(huey.storage.name, name);
  assert.ok(huey.storage.blocking && huey.storage.priority);
  assert.equal(huey.storage.location, `127.0.0.1:${server!.port}`);
  const add = huey.task(function add(a: number, b: number) {
    return a + b;
  });
  const low = await add(1, 1);
  const high = await add.schedule({ args: [2, 2], delay: 0, priority: 5 });
  assert.equal(await executeNext(huey), 4, "the higher priority first");
  assert.equal(await executeNext(huey), 2);
  assert.equal(await high.get(), 4);
  assert.equal(await low.get(), 2);
  assert.equal(await huey.resultCount(), 0, "results are removed when read");
  await using polling = new PostgresHuey(`huey-${++unique}`, {
    url: server!.url,
    blocking: false,
    createTables: true,
  });
  assert.equal(polling.storage.blocking, false);
  assert.equal(await polling.storage.dequeue(), null);
});

test("PostgresHuey: a blocking get wakes when another Huey stores the result, without polling", {
  skip: postgresSkip,
}, async () => {
  const name = `huey-${++unique}`;
  await using waiter = new PostgresHuey(name, { url: server!.url });
  await using worker = new PostgresHuey(name, { url: server!.url });
  const reads = countReads(waiter.storage);
  worker.task(function add(a: number, b: number) {
    return a + b;
  });
  const add = waiter.task(function add(a: number, b: number) {
    return a + b;
  });
  const result = await add(2, 3) as Result<number>;
  const started = Date.now();
  const value = result.get({ blocking: true, timeout: 120 });
  // Polling would read about nine times in 1.5 s.
  await waitFor(() => reads.count >= 1 && Date.now() - started > 1500, "the waiter to wait");
  assert.equal(await executeNext(worker), 5);
  assert.equal(await value, 5);
  assert.equal(reads.count, 2, "one read before the wait and one after the wake: no polling");
});
