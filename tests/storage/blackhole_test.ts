import { test } from "node:test";
import assert from "node:assert/strict";
import { BlackHoleStorage } from "../../storage/blackhole.ts";
import { HueyError } from "../../errors.ts";

const data = new TextEncoder().encode("lost");

test("blackhole: every write is discarded and every read is empty", async () => {
  const storage = new BlackHoleStorage("void");
  assert.equal(storage.name, "void");
  assert.equal(storage.priority, true);
  assert.equal(storage.blocking, false);
  await storage.enqueue(data, 9);
  await storage.enqueueMany([{ data }, { data, priority: -3 }]);
  await storage.addToSchedule(data, 0);
  await storage.putData("key", data, { isResult: true });
  assert.equal(await storage.dequeue({ lease: 30 }), null);
  assert.equal(await storage.queueSize(), 0);
  assert.deepEqual(await storage.enqueuedItems(), []);
  assert.deepEqual(await storage.readSchedule(Date.now()), []);
  assert.equal(await storage.scheduleSize(), 0);
  assert.deepEqual(await storage.scheduledItems(5), []);
  assert.equal(await storage.peekData("key"), null);
  assert.equal(await storage.popData("key"), null);
  assert.equal(await storage.hasDataForKey("key"), false);
  assert.equal(await storage.deleteData("key"), false);
  assert.equal(await storage.resultStoreSize(), 0);
  assert.deepEqual(await storage.resultItems(), new Map());
});

test("blackhole: putIfEmpty always succeeds because nothing is kept", async () => {
  const storage = new BlackHoleStorage();
  assert.equal(storage.name, "huey");
  assert.equal(await storage.putIfEmpty("lock", data, { ttl: 1 }), true);
  assert.equal(await storage.putIfEmpty("lock", data), true);
  assert.equal(await storage.deleteIfEquals("lock", data), false);
});

test("blackhole: moveDue moves nothing and enqueueOnce always enqueues into the void", async () => {
  const storage = new BlackHoleStorage();
  await storage.addToSchedule(data, 0, 5);
  assert.deepEqual(await storage.moveDue(Date.now(), 500), []);
  assert.equal(await storage.enqueueOnce("minute", [{ data }], { ttl: 60 }), true);
  assert.equal(await storage.enqueueOnce("minute", [{ data }], { ttl: 60 }), true);
  assert.equal(await storage.queueSize(), 0);
});

test("blackhole: dead letters get ids but are not kept", async () => {
  const storage = new BlackHoleStorage("void");
  const first = await storage.addDeadLetter(data, "unknown task");
  const second = await storage.addDeadLetter(data, "unknown task");
  assert.equal(typeof first, "string");
  assert.notEqual(first, second);
  assert.deepEqual(await storage.deadLetters(), []);
  assert.equal(await storage.takeDeadLetter(first), null);
  assert.equal(await storage.flushDeadLetters(), 0);
});

test("blackhole: leases, flushes and receipts are harmless no-ops", async () => {
  const storage = new BlackHoleStorage("void");
  await storage.ack("receipt");
  await storage.renew(["receipt"], 30);
  await storage.release("receipt");
  await storage.flushQueue();
  await storage.flushSchedule();
  await storage.flushResults();
  await storage.flushAll();
  assert.equal(await storage.queueSize(), 0);
});

test("blackhole: close is idempotent and later operations reject", async () => {
  const storage = new BlackHoleStorage("void");
  await storage.close();
  await storage.close();
  await assert.rejects(storage.enqueue(data), HueyError);
  await assert.rejects(storage.dequeue(), /BlackHoleStorage 'void' is closed/);
});

test("blackhole: an empty name is rejected", () => {
  assert.throws(() => new BlackHoleStorage(""), {
    name: "ConfigurationError",
    message: `Option 'name' must be a non-empty string, got ""`,
  });
});

test("blackhole: finish keeps nothing and acknowledges nothing", async () => {
  const storage = new BlackHoleStorage("void");
  await storage.finish(null, { result: { key: "key", value: data }, deleteKeys: ["other"] });
  await storage.finish("receipt", {});
  assert.equal(await storage.peekData("key"), null);
  await storage.close();
  await assert.rejects(storage.finish(null, {}), HueyError);
});

test("blackhole: counters and member sets keep nothing", async () => {
  const storage = new BlackHoleStorage("void");
  assert.equal(await storage.incr("hits"), 1);
  assert.equal(await storage.incr("hits", 5, { ttl: 1 }), 5);
  assert.equal(await storage.deleteCounter("hits"), false);
  assert.equal(await storage.addMember("chord", "a"), 1);
  assert.equal(await storage.addMember("chord", "b", { ttl: 1 }), 1);
  assert.equal(await storage.deleteMembers("chord"), false);
  assert.equal(await storage.deleteMarker("minute"), false);
  await storage.close();
  await assert.rejects(storage.incr("hits"));
});

test("blackhole: failure records are not kept", async () => {
  const storage = new BlackHoleStorage("void");
  await storage.addFailure("id", data, 10);
  assert.deepEqual(await storage.failures(), []);
  assert.equal(await storage.failureCount(), 0);
  assert.equal(await storage.takeFailure("id"), null);
  assert.equal(await storage.purgeFailures(), 0);
});

test("blackhole: events and heartbeats are discarded", async () => {
  const storage = new BlackHoleStorage("void");
  await storage.addEvents({ items: ["{}"], maxLength: 10 });
  await storage.finish(null, { events: { items: ["{}"], maxLength: 10 } });
  await storage.putHeartbeat("host:1", data, 30);
  assert.deepEqual(await storage.readEvents({ limit: 10 }), []);
  assert.equal(await storage.lastEventSeq(), null);
  assert.deepEqual(await storage.heartbeats(), []);
  assert.equal(await storage.deleteHeartbeat("host:1"), false);
  await storage.close();
  await assert.rejects(storage.readEvents({ limit: 10 }), HueyError);
});
