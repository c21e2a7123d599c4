import { test } from "node:test";
import assert from "node:assert/strict";
import { MemoryStorage } from "../../storage/memory.ts";
import { HueyError } from "../../errors.ts";
import { storageSuite } from "./_suite.ts";
import { bytes, text, texts } from "./_suite_helpers.ts";

const queues = new Map<string, MemoryStorage>();

storageSuite("memory", (name) => {
  let storage = queues.get(name);
  if (storage === undefined) queues.set(name, storage = new MemoryStorage(name));
  return storage;
});

const decoder = new TextDecoder();

/** A clock the test moves by hand. */
function manualClock(): { now: number; read: () => number } {
  const clock = { now: 1_000_000, read: () => clock.now };
  return clock;
}

test("memory: renew and lease expiry follow the injected clock", async () => {
  const clock = manualClock();
  const storage = new MemoryStorage("clock", { clock: clock.read });
  await storage.enqueue(bytes("job"));
  const delivery = await storage.dequeue({ lease: 30 });
  clock.now += 29_000;
  await storage.renew([delivery!.receipt!], 30);
  clock.now += 29_000;
  assert.equal(await storage.queueSize(), 0);
  clock.now += 1_000;
  assert.equal(await storage.queueSize(), 1);
});

test("memory: a ttl key expires on the injected clock", async () => {
  const clock = manualClock();
  const storage = new MemoryStorage("ttl", { clock: clock.read });
  assert.equal(await storage.putIfEmpty("lock", bytes("held"), { ttl: 60 }), true);
  clock.now += 59_999;
  assert.equal(await storage.putIfEmpty("lock", bytes("again"), { ttl: 60 }), false);
  clock.now += 1;
  assert.equal(await storage.deleteData("lock"), false);
  assert.equal(await storage.putIfEmpty("lock", bytes("again"), { ttl: 60 }), true);
});

test("memory: counters, member sets and markers expire on the injected clock", async () => {
  const clock = manualClock();
  const storage = new MemoryStorage("tallies", { clock: clock.read });
  assert.equal(await storage.incr("hits", 1, { ttl: 10 }), 1);
  assert.equal(await storage.addMember("chord", "a", { ttl: 10 }), 1);
  assert.equal(await storage.enqueueOnce("unique", [{ data: bytes("a") }], { ttl: 10 }), true);
  clock.now += 9_999;
  assert.equal(await storage.incr("hits", 1, { ttl: 10 }), 2);
  assert.equal(await storage.addMember("chord", "b", { ttl: 10 }), 2);
  assert.equal(await storage.enqueueOnce("unique", [{ data: bytes("b") }], { ttl: 10 }), false);
  clock.now += 1;
  assert.equal(await storage.incr("hits", 1, { ttl: 10 }), 1, "the window is fixed");
  assert.equal(await storage.addMember("chord", "b", { ttl: 10 }), 1);
  assert.equal(await storage.deleteMarker("unique"), false, "expired");
  assert.equal(await storage.enqueueOnce("unique", [{ data: bytes("c") }], { ttl: 10 }), true);
});

test("memory: items with the same eta are read in insertion order", async () => {
  const storage = new MemoryStorage("eta");
  for (const item of ["a", "b", "c", "d"]) await storage.addToSchedule(bytes(item), 5000);
  await storage.addToSchedule(bytes("early"), 4000);
  assert.deepEqual(texts(await storage.scheduledItems()), ["early", "a", "b", "c", "d"]);
  assert.deepEqual(texts(await storage.readSchedule(5000)), ["early", "a", "b", "c", "d"]);
});

test("memory: many random priorities come out highest first and FIFO within one", async () => {
  const storage = new MemoryStorage("heap");
  const sent = Array.from({ length: 2000 }, (_, index) => ({
    priority: Math.floor(Math.random() * 7) - 3,
    index,
  }));
  await storage.enqueueMany(sent.map(({ priority, index }) => ({
    data: bytes(`${priority}/${index}`),
    priority,
  })));
  const expected = [...sent].sort((a, b) => b.priority - a.priority || a.index - b.index)
    .map(({ priority, index }) => `${priority}/${index}`);
  assert.deepEqual(texts(await storage.enqueuedItems(10)), expected.slice(0, 10));
  const received: string[] = [];
  for (let delivery; (delivery = await storage.dequeue());) {
    received.push(decoder.decode(delivery.data));
  }
  assert.deepEqual(received, expected);
});

test("memory: two instances with the same name are separate queues", async () => {
  const first = new MemoryStorage("same");
  const second = new MemoryStorage("same");
  await first.enqueue(bytes("job"));
  await first.putData("key", bytes("value"));
  assert.equal(await second.queueSize(), 0);
  assert.equal(await second.peekData("key"), null);
});

test("memory: stored bytes are a copy of the caller's buffer", async () => {
  const storage = new MemoryStorage("copy");
  const buffer = bytes("abc");
  await storage.enqueue(buffer);
  await storage.putData("key", buffer);
  buffer[0] = 0x7a;
  assert.equal(decoder.decode((await storage.dequeue())!.data), "abc");
  assert.equal(text(await storage.peekData("key")), "abc");
});

test("memory: bad options throw ConfigurationError naming the option and the value", () => {
  assert.throws(() => new MemoryStorage(""), {
    name: "ConfigurationError",
    message: `Option 'name' must be a non-empty string, got ""`,
  });
  assert.throws(() => new MemoryStorage("q", { clock: 5 as unknown as () => number }), {
    name: "ConfigurationError",
    message: "Option 'clock' must be a function, got 5",
  });
});

test("memory: an aborted signal makes dequeue resolve to null", async () => {
  const storage = new MemoryStorage("signal");
  await storage.enqueue(bytes("job"));
  assert.equal(await storage.dequeue({ signal: AbortSignal.abort() }), null);
  assert.equal(await storage.queueSize(), 1);
});

test("memory: await using closes the storage", async () => {
  let kept: MemoryStorage;
  {
    await using storage = new MemoryStorage("dispose");
    kept = storage;
    await storage.enqueue(bytes("job"));
  }
  await assert.rejects(kept.queueSize(), HueyError);
});

test("memory: event times and heartbeat expiry follow the injected clock", async () => {
  const clock = manualClock();
  const storage = new MemoryStorage("events-clock", { clock: clock.read });
  await storage.addEvents({ items: ["a"], maxLength: 10 });
  clock.now += 5_000;
  await storage.addEvents({ items: ["b"], maxLength: 10 });
  const events = await storage.readEvents({ limit: 10 });
  assert.deepEqual(events.map((event) => event.at), [1_000_000, 1_005_000]);
  assert.deepEqual(
    (await storage.readEvents({ since: 1_000_001, limit: 10 })).map((e) => e.data),
    ["b"],
  );
  await storage.putHeartbeat("host:1", bytes("beat"), 30);
  clock.now += 29_999;
  assert.equal((await storage.heartbeats()).length, 1);
  clock.now += 1;
  assert.deepEqual(await storage.heartbeats(), []);
});

test("memory: a long capped log keeps the newest events and reads after any kept seq", async () => {
  const storage = new MemoryStorage("events-long");
  for (let index = 0; index < 5_000; index++) {
    await storage.addEvents({ items: [String(index)], maxLength: 100 });
  }
  const events = await storage.readEvents({ limit: 1000 });
  assert.deepEqual(
    events.map((event) => event.data),
    Array.from({ length: 100 }, (_, index) => String(4_900 + index)),
  );
  const after = await storage.readEvents({ after: events[49].seq, limit: 1000 });
  assert.equal(after[0].data, "4950");
  assert.equal(after.length, 50);
  const dropped = await storage.readEvents({ after: "1", limit: 1 });
  assert.equal(dropped[0].data, "4900", "after a dropped seq: the oldest kept");
});

test("memory: close ends a pending waitForEvents with false; a foreign seq is refused", async () => {
  const storage = new MemoryStorage("events-close");
  await assert.rejects(storage.readEvents({ after: "1700000000000-0", limit: 1 }), {
    name: "ConfigurationError",
    message: `Option 'after' must be a seq of this log, got "1700000000000-0"`,
  });
  const waiting = storage.waitForEvents(null, 60_000);
  await storage.close();
  assert.equal(await waiting, false);
});
