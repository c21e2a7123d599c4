/**
 * The conformance suite every storage backend runs: huey's `StorageTests`
 * (test_storage.py) ported, plus our contract (leases, expiring keys, dead
 * letters, separate queue names). A backend's test file calls
 * `storageSuite("sqlite", factory)` and adds its own tests. The checks live
 * in `_suite_queue.ts` (the queue and its leases), `_suite_data.ts` (the
 * schedule, keys and dead letters), `_suite_finish.ts` (`finish`, calls
 * made together), `_suite_moves.ts` (`moveDue`, `enqueueOnce`,
 * `deleteIfEquals`) and `_suite_tallies.ts` (counters, member sets,
 * `deleteMarker`, `enqueueOnce` with an eta), `_suite_failures.ts`
 * (the failure records) and `_suite_events.ts` (the event log and the
 * heartbeats); the life of a storage is checked here.
 *
 * @module
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Storage } from "../../storage/base.ts";
import { dataChecks } from "./_suite_data.ts";
import { eventChecks } from "./_suite_events.ts";
import { failureChecks } from "./_suite_failures.ts";
import { finishChecks } from "./_suite_finish.ts";
import { moveChecks } from "./_suite_moves.ts";
import { queueChecks } from "./_suite_queue.ts";
import { tallyChecks } from "./_suite_tallies.ts";
import { bytes, type Check, type Context, entries, leased, take, text } from "./_suite_helpers.ts";

/** What a backend supports, for {@linkcode storageSuite}. */
export interface SuiteOptions {
  /** The backend honours priorities. @default true */
  priority?: boolean;
  /** popData only reads, it never deletes (RedisExpire kinds). @default false */
  expiring?: boolean;
  /**
   * A message back from an expired lease or a release takes its old FIFO
   * place (storage/base.ts: "where the backend can"); `false` checks only
   * that it waits again, in any place.
   * @default true
   */
  keepsPlace?: boolean;
  /**
   * How many events beyond `maxLength` the event log may keep (a Redis
   * stream is trimmed approximately); 0 checks the cap exactly.
   * @default 0
   */
  eventsSlack?: number;
}

let counter = 0;

function uniqueName(label: string): string {
  const slug = label.toLowerCase().replace(/[^a-z0-9]+/g, "-");
  counter += 1;
  return `${slug}-${counter}-${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * Registers the conformance tests as top-level test() calls named `${label}: <sentence>`.
 * `factory(name)` returns a client of the queue `name`; called twice with the same name it returns two
 * clients of the same queue (the memory factory returns the same instance). The suite picks unique
 * names, and closes every client it made (close() is idempotent).
 *
 * @param label Prefix of every test name, e.g. `"sqlite"`.
 * @param factory Makes a client of a queue.
 * @param options What the backend supports.
 *
 * @example
 * ```ts ignore
 * import { storageSuite } from "./_suite.ts";
 * import { MemoryStorage } from "../../storage/memory.ts";
 * const queues = new Map<string, MemoryStorage>();
 * storageSuite("memory", (name) => {
 *   if (!queues.has(name)) queues.set(name, new MemoryStorage(name));
 *   return queues.get(name)!;
 * });
 * ```
 */
export function storageSuite(
  label: string,
  factory: (name: string) => Storage | Promise<Storage>,
  options: SuiteOptions = {},
): void {
  const { priority = true, expiring = false, keepsPlace = true, eventsSlack = 0 } = options;

  const check: Check = (sentence, body) => {
    test(`${label}: ${sentence}`, async () => {
      const clients: Storage[] = [];
      const context: Context = {
        name: uniqueName(label),
        async open(name = context.name): Promise<Storage> {
          const storage = await factory(name);
          clients.push(storage);
          return storage;
        },
        newName: () => uniqueName(label),
      };
      try {
        await body(context);
      } finally {
        for (const client of clients) await client.close();
      }
    });
  };

  const features = { priority, expiring, keepsPlace };
  queueChecks(check, features);
  dataChecks(check, features);
  finishChecks(check, features);
  moveChecks(check, features);
  tallyChecks(check, features);
  failureChecks(check);
  eventChecks(check, { eventsSlack });

  check("a new queue is empty everywhere", async ({ name, open }) => {
    const storage = await open();
    assert.equal(storage.name, name);
    assert.equal(storage.priority, priority);
    assert.equal(typeof storage.blocking, "boolean");
    assert.equal(await storage.queueSize(), 0);
    assert.deepEqual(await storage.enqueuedItems(), []);
    assert.equal(await storage.dequeue(), null);
    assert.equal(await storage.scheduleSize(), 0);
    assert.deepEqual(await storage.scheduledItems(), []);
    assert.deepEqual(await storage.readSchedule(Date.now() + 3600_000), []);
    assert.equal(await storage.resultStoreSize(), 0);
    assert.deepEqual(entries(await storage.resultItems()), {});
    assert.deepEqual(await storage.deadLetters(), []);
    assert.equal(await storage.flushDeadLetters(), 0);
  });

  check(
    "flushAll empties the queue, schedule, key/value store and dead letters",
    async ({ open }) => {
      const storage = await open();
      await storage.enqueue(bytes("queued"));
      await storage.enqueue(bytes("leased"));
      await storage.addToSchedule(bytes("scheduled"), Date.now() + 60_000);
      await storage.putData("key", bytes("value"));
      await storage.addDeadLetter(bytes("dead"), "reason");
      const { receipt } = await leased(storage, 30);
      await storage.flushAll();
      await storage.release(receipt);
      assert.equal(await storage.queueSize(), 0);
      assert.equal(await storage.scheduleSize(), 0);
      assert.equal(await storage.resultStoreSize(), 0);
      assert.deepEqual(await storage.deadLetters(), []);
      assert.equal(await take(storage), null);
    },
  );

  check("separate queue names never see each other's data", async ({ open, newName }) => {
    const mine = await open();
    const other = await open(newName());
    await mine.enqueue(bytes("job"));
    await mine.addToSchedule(bytes("scheduled"), 1000);
    await mine.putData("key", bytes("value"));
    const id = await mine.addDeadLetter(bytes("dead"), "reason");
    assert.equal(await other.queueSize(), 0);
    assert.equal(await other.dequeue(), null);
    assert.equal(await other.scheduleSize(), 0);
    assert.deepEqual(await other.readSchedule(2000), []);
    assert.equal(await other.peekData("key"), null);
    assert.equal(await other.putIfEmpty("key", bytes("other")), true);
    assert.equal(await other.resultStoreSize(), 1);
    assert.deepEqual(await other.deadLetters(), []);
    assert.equal(await other.takeDeadLetter(id), null);
    await other.flushAll();
    assert.equal(await mine.queueSize(), 1);
    assert.equal(await mine.scheduleSize(), 1);
    assert.equal(text(await mine.peekData("key")), "value");
    assert.equal((await mine.deadLetters()).length, 1);
  });

  check("close is idempotent and later operations reject", async ({ open }) => {
    const storage = await open();
    await storage.close();
    await storage.close();
    await assert.rejects(storage.queueSize());
    await assert.rejects(storage.enqueue(bytes("late")));
    await assert.rejects(storage.peekData("key"));
  });
}
