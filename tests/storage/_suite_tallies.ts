/**
 * The conformance checks of the counters (`incr`: rate limits), the member
 * sets (`addMember`: the members of a chord that have finished) and the
 * `enqueueOnce` extras of unique tasks (`deleteMarker`, items with an eta):
 * atomic among clients, expiring after a fixed window, apart from the
 * key/value store.
 *
 * @module
 */
import assert from "node:assert/strict";
import { waitFor } from "../consumer/_consumer.ts";
import { bytes, type Check, drain, entries, type Features, texts } from "./_suite_helpers.ts";

/** How many concurrent calls the atomicity checks make, spread over several clients. */
const CALLS = 200;
const CLIENTS = 4;

/**
 * Registers the checks of counters, member sets, `deleteMarker` and
 * `enqueueOnce` with an eta.
 *
 * @param check Registers one check.
 * @param features What the backend supports.
 */
export function tallyChecks(check: Check, features: Features): void {
  const { priority } = features;

  check("incr counts atomically: 200 concurrent calls get 1..200, each once", async ({ open }) => {
    const clients = await Promise.all(Array.from({ length: CLIENTS }, () => open()));
    const values = await Promise.all(
      Array.from({ length: CALLS }, (_, index) => clients[index % CLIENTS].incr("hits")),
    );
    assert.deepEqual(
      values.toSorted((a, b) => a - b),
      Array.from({ length: CALLS }, (_, index) => index + 1),
    );
    assert.equal(await clients[0].incr("hits", 0), CALLS);
  });

  check("incr adds `by`, which may be more than 1 or negative", async ({ open }) => {
    const storage = await open();
    assert.equal(await storage.incr("n", 5), 5);
    assert.equal(await storage.incr("n", 3), 8);
    assert.equal(await storage.incr("n", -10), -2);
    assert.equal(await storage.incr("n"), -1);
    assert.equal(await storage.incr("other"), 1, "each counter counts apart");
  });

  check("deleteCounter removes a counter, which then starts again from 0", async ({ open }) => {
    const [storage, other] = await Promise.all([open(), open()]);
    await storage.incr("n", 7);
    assert.equal(await other.deleteCounter("n"), true);
    assert.equal(await other.deleteCounter("n"), false);
    assert.equal(await storage.deleteCounter("missing"), false);
    assert.equal(await storage.incr("n", 2), 2);
  });

  check("a counter with a ttl restarts after its window, which later calls never extend", async ({
    open,
  }) => {
    const storage = await open();
    assert.equal(await storage.incr("window", 1, { ttl: 1 }), 1);
    assert.equal(await storage.incr("window", 1, { ttl: 1 }), 2);
    const forever = await storage.incr("forever", 1);
    // Counting on every poll: a window that each call extended would never end.
    await waitFor(async () => (await storage.incr("window", 1, { ttl: 1 })) === 1, "a new window");
    assert.equal(await storage.incr("forever", 1), forever + 1, "no ttl: kept");
  });

  check("addMember counts each member once and resolves to the set's size", async ({ open }) => {
    const [storage, other] = await Promise.all([open(), open()]);
    assert.equal(await storage.addMember("chord", "a"), 1);
    assert.equal(await storage.addMember("chord", "a"), 1, "the same member again");
    assert.equal(await other.addMember("chord", "b"), 2);
    assert.equal(await other.addMember("chord", "a"), 2);
    assert.equal(await storage.addMember("other", "a"), 1, "each set apart");
  });

  check(
    "addMember is atomic: 200 members added at once, each twice, count 200",
    async ({ open }) => {
      const clients = await Promise.all(Array.from({ length: CLIENTS }, () => open()));
      const members = Array.from({ length: CALLS }, (_, index) => `task-${index}`);
      const sizes = await Promise.all(
        members.map((member, index) => clients[index % CLIENTS].addMember("chord", member)),
      );
      assert.deepEqual(
        sizes.toSorted((a, b) => a - b),
        Array.from({ length: CALLS }, (_, index) => index + 1),
        "each size reported once",
      );
      const again = await Promise.all(
        members.map((member, index) => clients[(index + 1) % CLIENTS].addMember("chord", member)),
      );
      assert.deepEqual(new Set(again), new Set([CALLS]), "a member delivered twice counts once");
    },
  );

  check("deleteMembers removes a set, which then starts again empty", async ({ open }) => {
    const [storage, other] = await Promise.all([open(), open()]);
    await storage.addMember("chord", "a");
    await storage.addMember("chord", "b");
    assert.equal(await other.deleteMembers("chord"), true);
    assert.equal(await other.deleteMembers("chord"), false);
    assert.equal(await storage.addMember("chord", "b"), 1);
  });

  check("a member set with a ttl is gone after its window", async ({ open }) => {
    const storage = await open();
    assert.equal(await storage.addMember("chord", "a", { ttl: 1 }), 1);
    let added = 0;
    await waitFor(
      async () => (await storage.addMember("chord", `m-${++added}`, { ttl: 1 })) === 1,
      "a new set",
    );
  });

  check("counters and member sets are not keys, and flushAll clears them", async ({ open }) => {
    const storage = await open();
    await storage.incr("shared-name", 3);
    await storage.addMember("shared-name", "a");
    await storage.addMember("set", "a");
    assert.equal(await storage.resultStoreSize(), 0);
    assert.deepEqual(entries(await storage.resultItems()), {});
    assert.equal(await storage.peekData("shared-name"), null);
    assert.equal(await storage.hasDataForKey("set"), false);
    await storage.putData("shared-name", bytes("value"));
    assert.equal(await storage.incr("shared-name"), 4, "a key of that name leaves it alone");
    assert.equal(await storage.addMember("shared-name", "b"), 2);
    assert.deepEqual(entries(await storage.resultItems()), { "shared-name": "value" });
    await storage.flushResults();
    assert.equal(await storage.incr("shared-name"), 5, "flushResults keeps counters");
    await storage.flushAll();
    assert.equal(await storage.incr("shared-name"), 1);
    assert.equal(await storage.addMember("shared-name", "a"), 1);
    assert.equal(await storage.addMember("set", "b"), 1);
  });

  check(
    "separate queue names have separate counters and member sets",
    async ({ open, newName }) => {
      const mine = await open();
      const other = await open(newName());
      await mine.incr("n", 5);
      await mine.addMember("chord", "a");
      assert.equal(await other.incr("n"), 1);
      assert.equal(await other.addMember("chord", "b"), 1);
      await other.flushAll();
      assert.equal(await mine.incr("n"), 6);
      assert.equal(await mine.addMember("chord", "c"), 2);
    },
  );

  check("bad counter and member arguments reject with ConfigurationError", async ({ open }) => {
    const storage = await open();
    const bad = (message: string) => ({ name: "ConfigurationError", message });
    await assert.rejects(
      storage.incr("n", 1.5),
      bad(`Option 'by' must be an integer >= ${Number.MIN_SAFE_INTEGER}, got 1.5`),
    );
    await assert.rejects(
      storage.incr("n", 1, { ttl: 0 }),
      bad("Option 'ttl' must be a finite number > 0, got 0"),
    );
    await assert.rejects(
      storage.addMember("s", "a", { ttl: Number.NaN }),
      bad("Option 'ttl' must be a finite number > 0, got NaN"),
    );
    await assert.rejects(storage.addMember("s", ""), { name: "ConfigurationError" });
    await assert.rejects(
      storage.enqueueOnce("m", [{ data: bytes("x") }, { data: bytes("y"), eta: Infinity }], {
        ttl: 60,
      }),
      bad("Option 'eta' must be a finite number, got Infinity"),
    );
    assert.equal(await storage.queueSize(), 0, "a bad item enqueues none");
    assert.equal(await storage.incr("n"), 1, "nothing counted");
    assert.equal(await storage.addMember("s", "a"), 1);
  });

  check("deleteMarker lets enqueueOnce enqueue again under that marker", async ({ open }) => {
    const [storage, other] = await Promise.all([open(), open()]);
    assert.equal(await storage.enqueueOnce("unique", [{ data: bytes("a") }], { ttl: 60 }), true);
    assert.equal(await storage.enqueueOnce("unique", [{ data: bytes("b") }], { ttl: 60 }), false);
    assert.equal(await other.deleteMarker("unique"), true);
    assert.equal(await other.deleteMarker("unique"), false);
    assert.equal(await storage.deleteMarker("never-set"), false);
    assert.equal(await storage.enqueueOnce("unique", [{ data: bytes("c") }], { ttl: 60 }), true);
    assert.deepEqual(await drain(storage), ["a", "c"]);
  });

  check(
    "enqueueOnce puts items with an eta on the schedule; moveDue queues them with their priority",
    async ({ open }) => {
      const storage = await open();
      const eta = Date.now() + 60_000;
      const level = (value: number) => (priority ? value : 0);
      const items = [
        { data: bytes("now") },
        { data: bytes("later-low"), eta, priority: level(-1) },
        { data: bytes("later-high"), eta: eta + 1, priority: level(5) },
      ];
      assert.equal(await storage.enqueueOnce("unique", items, { ttl: 60 }), true);
      assert.equal(
        await storage.enqueueOnce("unique", [{ data: bytes("again"), eta }], { ttl: 60 }),
        false,
      );
      assert.deepEqual(texts(await storage.enqueuedItems()), ["now"]);
      assert.equal(await storage.scheduleSize(), 2);
      assert.deepEqual(texts(await storage.scheduledItems()), ["later-low", "later-high"]);
      assert.deepEqual(texts(await storage.moveDue(eta - 1, 10)), []);
      assert.equal(await storage.enqueue(bytes("plain")), undefined);
      assert.deepEqual(texts(await storage.moveDue(eta + 1, 10)), ["later-low", "later-high"]);
      assert.deepEqual(
        await drain(storage),
        priority
          ? ["later-high", "now", "plain", "later-low"]
          : ["now", "plain", "later-low", "later-high"],
      );
    },
  );
}
