/**
 * The conformance checks of the failure records (`addFailure`, `failures`,
 * `takeFailure`, `purgeFailures`, `failureCount`): a capped list, newest
 * first, one record per task id, shared by every client of a queue, apart
 * from the key/value store and from other queue names.
 *
 * @module
 */
import assert from "node:assert/strict";
import { ConfigurationError } from "../../errors.ts";
import { bytes, type Check, texts } from "./_suite_helpers.ts";

/** How many concurrent adds the atomicity check makes, spread over several clients. */
const CALLS = 60;
const CLIENTS = 3;

/**
 * Registers the checks of the failure records.
 *
 * @param check Registers one check.
 */
export function failureChecks(check: Check): void {
  check("a new queue has no failure records", async ({ open }) => {
    const storage = await open();
    assert.deepEqual(await storage.failures(), []);
    assert.equal(await storage.failureCount(), 0);
    assert.equal(await storage.takeFailure("missing"), null);
    assert.equal(await storage.purgeFailures(), 0);
  });

  check("failure records come newest first; a record of the same id replaces the older", async ({
    open,
  }) => {
    const [storage, other] = await Promise.all([open(), open()]);
    await storage.addFailure("a", bytes("a1"), 10);
    await other.addFailure("b", bytes("b1"), 10);
    await storage.addFailure("c", bytes("c1"), 10);
    assert.deepEqual(texts(await other.failures()), ["c1", "b1", "a1"]);
    await other.addFailure("a", bytes("a2"), 10);
    assert.deepEqual(texts(await storage.failures()), ["a2", "c1", "b1"]);
    assert.deepEqual(texts(await storage.failures(2)), ["a2", "c1"]);
    assert.deepEqual(await storage.failures(0), []);
    assert.equal(await storage.failureCount(), 3);
  });

  check("addFailure keeps at most maxLength records, dropping the oldest", async ({ open }) => {
    const storage = await open();
    for (let index = 1; index <= 5; index++) {
      await storage.addFailure(`id-${index}`, bytes(`r${index}`), 3);
    }
    assert.deepEqual(texts(await storage.failures()), ["r5", "r4", "r3"]);
    assert.equal(await storage.takeFailure("id-1"), null, "a dropped record is gone");
    await storage.addFailure("id-6", bytes("r6"), 1);
    assert.deepEqual(texts(await storage.failures()), ["r6"]);
    assert.equal(await storage.failureCount(), 1);
  });

  check("takeFailure removes one record and returns it, once, to any client", async ({ open }) => {
    const [storage, other] = await Promise.all([open(), open()]);
    await storage.addFailure("x", bytes("rx"), 10);
    await storage.addFailure("y", bytes("ry"), 10);
    const taken = await Promise.all([other.takeFailure("x"), storage.takeFailure("x")]);
    assert.deepEqual(texts(taken.filter((each) => each !== null)), ["rx"], "taken once");
    assert.deepEqual(texts(await storage.failures()), ["ry"]);
    assert.equal(await storage.failureCount(), 1);
  });

  check("failure records keep any bytes and any id", async ({ open }) => {
    const storage = await open();
    const record = new Uint8Array([0, 58, 255, 10, 13, 0, 1, 58, 58]);
    const id = "task:1/2 \u00e9\u00f8 %00 ../x";
    await storage.addFailure(id, record, 5);
    await storage.addFailure("", bytes("empty id"), 5);
    assert.deepEqual(await storage.failures(1), [bytes("empty id")]);
    assert.deepEqual(await storage.takeFailure(id), record);
    assert.deepEqual(await storage.takeFailure(""), bytes("empty id"));
    assert.equal(await storage.failureCount(), 0);
  });

  check(
    "concurrent addFailure calls from several clients keep the cap and one record per id",
    async ({
      open,
    }) => {
      const clients = await Promise.all(Array.from({ length: CLIENTS }, () => open()));
      await Promise.all(
        Array.from(
          { length: CALLS },
          (_, index) =>
            clients[index % CLIENTS].addFailure(`id-${index % 20}`, bytes(`r${index}`), 15),
        ),
      );
      const records = texts(await clients[0].failures());
      assert.equal(records.length, 15);
      assert.equal(await clients[1].failureCount(), 15);
      const ids = new Set(records.map((record) => Number(record.slice(1)) % 20));
      assert.equal(ids.size, 15, "one record per id");
    },
  );

  check("purgeFailures and flushAll remove every record; records are apart from keys", async ({
    open,
  }) => {
    const storage = await open();
    await storage.addFailure("a", bytes("ra"), 10);
    await storage.addFailure("b", bytes("rb"), 10);
    assert.equal(await storage.resultStoreSize(), 0);
    assert.equal((await storage.resultItems()).size, 0);
    assert.equal(await storage.peekData("a"), null);
    await storage.flushResults();
    assert.equal(await storage.failureCount(), 2);
    assert.equal(await storage.purgeFailures(), 2);
    assert.equal(await storage.purgeFailures(), 0);
    await storage.addFailure("c", bytes("rc"), 10);
    await storage.flushAll();
    assert.deepEqual(await storage.failures(), []);
    assert.equal(await storage.failureCount(), 0);
  });

  check("separate queue names keep separate failure records", async ({ open, newName }) => {
    const mine = await open();
    const other = await open(newName());
    await mine.addFailure("a", bytes("ra"), 10);
    assert.deepEqual(await other.failures(), []);
    assert.equal(await other.takeFailure("a"), null);
    assert.equal(await other.purgeFailures(), 0);
    await other.flushAll();
    assert.equal(await mine.failureCount(), 1);
  });

  check("addFailure rejects a maxLength that is not a whole number > 0", async ({ open }) => {
    const storage = await open();
    for (const maxLength of [0, -1, 1.5, Number.NaN]) {
      await assert.rejects(
        storage.addFailure("a", bytes("ra"), maxLength),
        (error: Error) => error instanceof ConfigurationError && /maxLength/.test(error.message),
      );
    }
    assert.equal(await storage.failureCount(), 0);
  });
}
