import { after, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { FileStorage } from "../../storage/file.ts";
import { storageSuite } from "./_suite.ts";
import { bytes, text, texts } from "./_suite_helpers.ts";

const root = mkdtempSync(join(tmpdir(), "huey-file-"));
after(() => rmSync(root, { recursive: true, force: true }));

/** A fresh folder for one test, removed with the others after the run. */
function folder(): string {
  return mkdtempSync(join(root, "test-"));
}

const suitePath = folder();
storageSuite("file", (name) => new FileStorage(name, { path: suitePath }));

const decoder = new TextDecoder();

function md5(key: string): string {
  return createHash("md5").update(key).digest("hex");
}

test("file: a result lands at results/<md5[0]>/<md5[1]>/<md5> and pop keeps the parent folders (huey's test_filesystem_result_store)", async () => {
  const path = folder();
  const storage = new FileStorage("results", { path });
  const digest = md5("key");
  const parent = join(path, "results", "results", digest[0], digest[1]);
  await storage.putData("key", bytes("value"));
  assert.deepEqual(readdirSync(parent), [digest]);
  const [file] = readdirSync(join(parent, digest));
  assert.ok(decoder.decode(readFileSync(join(parent, digest, file))).endsWith("keyvalue"));

  assert.equal(text(await storage.popData("key")), "value");
  assert.ok(existsSync(parent));
  assert.deepEqual(readdirSync(parent), []);

  await storage.putData("k1", bytes("v1"));
  await storage.putData("k2", bytes("v2"));
  await storage.flushResults();
  assert.deepEqual(readdirSync(join(path, "results", "results")), []);
  assert.equal(await storage.resultStoreSize(), 0);
});

test("file: levels sets how many md5 folders spread the results", async () => {
  const path = folder();
  const digest = md5("key");
  for (const levels of [0, 4]) {
    const storage = new FileStorage(`levels-${levels}`, { path, levels });
    await storage.putData("key", bytes("value"));
    const parent = join(path, `levels-${levels}`, "results", ...digest.slice(0, levels));
    assert.deepEqual(readdirSync(parent), [digest]);
    assert.deepEqual([...(await storage.resultItems()).keys()], ["key"]);
  }
});

test("file: 10 producers and 10 consumers on separate instances lose and repeat nothing (huey's test_fs_multithreaded)", async () => {
  const path = folder();
  const open = (): FileStorage => new FileStorage("threads", { path });
  await Promise.all(Array.from({ length: 10 }, async (_, producer) => {
    const storage = open();
    for (let index = 0; index < 50; index++) await storage.enqueue(bytes(`${producer}/${index}`));
  }));
  const queued = texts(await open().enqueuedItems());
  assert.equal(queued.length, 500);
  const inOrder = (items: string[]): boolean => {
    const last = new Map<string, number>();
    return items.every((item) => {
      const [producer, index] = item.split("/");
      const ok = Number(index) > (last.get(producer) ?? -1);
      last.set(producer, Number(index));
      return ok;
    });
  };
  assert.ok(inOrder(queued), "the queue keeps each producer's order");

  const taken = await Promise.all(Array.from({ length: 10 }, async (_, consumer) => {
    const storage = open();
    const lease = consumer % 2 === 0 ? 0 : 30;
    const items: string[] = [];
    for (let delivery; (delivery = await storage.dequeue({ lease }));) {
      items.push(decoder.decode(delivery.data));
      if (delivery.receipt !== null) await storage.ack(delivery.receipt);
    }
    return items;
  }));
  for (const items of taken) assert.ok(inOrder(items), "each consumer sees each producer in order");
  const all = taken.flat();
  assert.equal(all.length, 500);
  assert.deepEqual(new Set(all), new Set(queued));
  assert.equal(await open().queueSize(), 0);
  assert.deepEqual(readdirSync(join(path, "threads", "leases")), []);
});

test("file: readSchedule on racing instances hands each due item to one of them, in eta order", async () => {
  const path = folder();
  const writer = new FileStorage("schedule", { path });
  for (let index = 0; index < 100; index++) {
    await writer.addToSchedule(bytes(String(index)), 1_000 + (index % 10));
  }
  const reads = await Promise.all(
    Array.from({ length: 5 }, () => new FileStorage("schedule", { path }).readSchedule(2_000)),
  );
  const all = reads.flatMap(texts);
  assert.equal(all.length, 100);
  assert.equal(new Set(all).size, 100);
  for (const items of reads) {
    const etas = texts(items).map((item) => Number(item) % 10);
    assert.deepEqual(etas, [...etas].sort((a, b) => a - b));
  }
});

test("file: racing instances replace an expired key exactly once", async () => {
  const path = folder();
  const clients = Array.from({ length: 10 }, () => new FileStorage("locks", { path }));
  assert.equal(await clients[0].putIfEmpty("lock", bytes("old"), { ttl: 0.2 }), true);
  await delay(500);
  const won = await Promise.all(
    clients.map((client, index) => client.putIfEmpty("lock", bytes(`client-${index}`))),
  );
  assert.equal(won.filter(Boolean).length, 1);
  const winner = won.indexOf(true);
  assert.equal(text(await clients[1].peekData("lock")), `client-${winner}`);
  assert.equal(await clients[2].resultStoreSize(), 1);
});

test("file: a message leased by an instance that closed comes back after its lease", async () => {
  const path = folder();
  const crashed = new FileStorage("crash", { path });
  await crashed.enqueue(bytes("job"));
  const lost = await crashed.dequeue({ lease: 0.2 });
  await crashed.close();
  const survivor = new FileStorage("crash", { path });
  assert.equal(await survivor.dequeue({ lease: 30 }), null);
  assert.equal(readdirSync(join(path, "crash", "leases")).length, 1);
  await delay(500);
  const again = await survivor.dequeue({ lease: 30 });
  assert.equal(decoder.decode(again!.data), "job");
  assert.notEqual(again!.receipt, lost!.receipt);
  const other = new FileStorage("crash", { path });
  await other.ack(lost!.receipt!);
  assert.equal(readdirSync(join(path, "crash", "leases")).length, 1);
  await other.ack(again!.receipt!);
  assert.deepEqual(readdirSync(join(path, "crash", "leases")), []);
  assert.equal(await survivor.queueSize(), 0);
});

test("file: a message back from an expired lease or a release gets its old queue file name", async () => {
  const path = folder();
  const storage = new FileStorage("fifo", { path });
  const queue = join(path, "fifo", "queue");
  await storage.enqueueMany(["a", "b", "c"].map((item) => ({ data: bytes(item) })));
  const names = readdirSync(queue).sort();
  await storage.dequeue({ lease: 0.2 });
  const b = await storage.dequeue({ lease: 30 });
  assert.deepEqual(readdirSync(queue), names.slice(2));
  await delay(500);
  await storage.release(b!.receipt!);
  assert.equal(await storage.queueSize(), 3);
  assert.deepEqual(readdirSync(queue).sort(), names);
  assert.deepEqual(texts(await storage.enqueuedItems()), ["a", "b", "c"]);
});

test("file: priorities span the 32-bit integers, higher first", async () => {
  const storage = new FileStorage("priorities", { path: folder() });
  for (const priority of [0, -(2 ** 31), 2 ** 31 - 1, -1, 1]) {
    await storage.enqueue(bytes(String(priority)), priority);
  }
  assert.deepEqual(texts(await storage.enqueuedItems()), [
    String(2 ** 31 - 1),
    "1",
    "0",
    "-1",
    String(-(2 ** 31)),
  ]);
});

test("file: any finite priority is accepted: truncated to a whole number (as huey 3.3), beyond 32 bits clamped", async () => {
  const storage = new FileStorage("fractions", { path: folder() });
  const priorities = [0.5, 2.9, -0.5, -1.5, 2, 1e12, -1e12];
  for (const priority of priorities) await storage.enqueue(bytes(String(priority)), priority);
  assert.deepEqual(texts(await storage.enqueuedItems()), [
    "1000000000000",
    "2.9",
    "2",
    "0.5",
    "-0.5",
    "-1.5",
    "-1000000000000",
  ]);
  await storage.addToSchedule(bytes("scheduled"), 0, 7.5);
  await storage.moveDue(1, 10);
  assert.equal(text((await storage.dequeue())!.data), "1000000000000");
  assert.equal(text((await storage.dequeue())!.data), "scheduled");
});

test("file: two names under one path are separate folders and queues", async () => {
  const path = folder();
  const first = new FileStorage("first", { path });
  const second = new FileStorage("second", { path });
  await first.enqueue(bytes("job"));
  await first.putData("key", bytes("value"));
  assert.deepEqual(readdirSync(path).sort(), ["first", "second"]);
  assert.equal(await second.queueSize(), 0);
  assert.equal(await second.peekData("key"), null);
  assert.equal(await first.queueSize(), 1);
});

test("file: bad options throw ConfigurationError naming the option and the value", async () => {
  const path = folder();
  const construct = (name: unknown, options: unknown) => () =>
    new FileStorage(name as string, options as { path: string });
  const bad = (message: string) => ({ name: "ConfigurationError", message });
  const notEmpty = "a non-empty string";
  assert.throws(construct("q", undefined), bad(`Option 'path' must be ${notEmpty}, got undefined`));
  assert.throws(construct("q", {}), bad(`Option 'path' must be ${notEmpty}, got undefined`));
  assert.throws(construct("q", { path: 5 }), bad(`Option 'path' must be ${notEmpty}, got 5`));
  for (const levels of [5, -1, 1.5, "2"]) {
    assert.throws(
      construct("q", { path, levels }),
      bad(`Option 'levels' must be an integer from 0 to 4, got ${JSON.stringify(levels)}`),
    );
  }
  for (const name of ["", ".", "..", "a/b", "a\\b", 5]) {
    assert.throws(construct(name, { path }), (error: Error) => {
      assert.equal(error.name, "ConfigurationError");
      assert.ok(error.message.startsWith("Option 'name' must be a folder name"), error.message);
      assert.ok(error.message.endsWith(`, got ${JSON.stringify(name)}`), error.message);
      return true;
    });
  }

  const storage = new FileStorage("q", { path });
  for (const priority of [Number.NaN, Infinity, "1"]) {
    await assert.rejects(
      storage.enqueue(bytes("x"), priority as number),
      bad(
        `Option 'priority' must be a finite number, got ${
          typeof priority === "string" ? `"${priority}"` : priority
        }`,
      ),
    );
  }
  await assert.rejects(storage.dequeue({ lease: -1 }), /Option 'lease'.*got -1/);
  await assert.rejects(storage.putIfEmpty("k", bytes("x"), { ttl: 0 }), /Option 'ttl'.*got 0/);
  await assert.rejects(storage.addToSchedule(bytes("x"), Number.NaN), /Option 'eta'/);
  await assert.rejects(storage.enqueuedItems(-1), /Option 'limit'.*got -1/);
  assert.equal(await storage.queueSize(), 0);
});

test("file: expired ttl keys and markers are deleted from disk when a client next writes a ttl key", async () => {
  const path = folder();
  const first = new FileStorage("sweep", { path, levels: 0 });
  assert.equal(await first.putIfEmpty("old-lock", bytes("1"), { ttl: 0.1 }), true);
  assert.equal(await first.enqueueOnce("old-minute", [], { ttl: 0.1 }), true);
  await first.putData("kept", bytes("v"));
  const results = join(path, "sweep", "results");
  const markers = join(path, "sweep", "markers");
  assert.equal(readdirSync(results).length, 2);
  assert.equal(readdirSync(markers).length, 1);
  await delay(300);
  // A consumer's next periodic minute: a new client writes a ttl key.
  const second = new FileStorage("sweep", { path, levels: 0 });
  assert.equal(await second.putIfEmpty("new-lock", bytes("1"), { ttl: 60 }), true);
  assert.deepEqual(readdirSync(results).sort(), [md5("kept"), md5("new-lock")].sort());
  assert.equal(await second.enqueueOnce("new-minute", [], { ttl: 60 }), true);
  assert.deepEqual(readdirSync(markers), [md5("new-minute")]);
  assert.deepEqual([...(await second.resultItems()).keys()].sort(), ["kept", "new-lock"]);
});

test("file: messages a crash left in a marker's folder are delivered to the queue, once", async () => {
  const path = folder();
  const storage = new FileStorage("crashed", { path });
  assert.equal(await storage.enqueueOnce("minute", [{ data: bytes("a") }], { ttl: 60 }), true);
  assert.equal(await storage.dequeue().then((d) => text(d!.data)), "a");
  // As if a client was killed after the marker's rename and before the messages' renames.
  const [marked] = readdirSync(join(path, "crashed", "markers"));
  const stranded = join(path, "crashed", "markers", marked);
  const queued = new FileStorage("crashed", { path });
  await queued.enqueue(bytes("b"), 3);
  const [name] = readdirSync(join(path, "crashed", "queue"));
  renameSync(join(path, "crashed", "queue", name), join(stranded, name));
  assert.equal(await queued.queueSize(), 0);
  const restarted = new FileStorage("crashed", { path });
  assert.deepEqual(await restarted.moveDue(Date.now(), 10), []);
  assert.deepEqual(texts(await restarted.enqueuedItems()), ["b"]);
  assert.equal(await restarted.enqueueOnce("minute", [{ data: bytes("c") }], { ttl: 60 }), false);
  assert.deepEqual(texts(await restarted.enqueuedItems()), ["b"]);
});

test("file: events are files of events/ named by their seq, the cap removes the oldest, heartbeats are files of heartbeats/", async () => {
  const path = folder();
  const storage = new FileStorage("events", { path });
  const events = join(path, "events", "events");
  for (const item of ["a", "b", "c"]) {
    await storage.addEvents({ items: [item], maxLength: 2 });
  }
  const kept = await storage.readEvents({ limit: 10 });
  assert.deepEqual(readdirSync(events).sort(), kept.map((event) => event.seq));
  assert.deepEqual(kept.map((event) => decoder.decode(readFileSync(join(events, event.seq)))), [
    "b",
    "c",
  ]);
  assert.ok(Math.abs(kept[0].at - Date.now()) < 3600_000, "at is the time in the name");
  await assert.rejects(storage.readEvents({ after: "../x", limit: 1 }), {
    name: "ConfigurationError",
    message: `Option 'after' must be a seq of this log, got "../x"`,
  });
  await storage.putHeartbeat("host:1", bytes("beat"), 60);
  assert.deepEqual(readdirSync(join(path, "events", "heartbeats")), [md5("host:1")]);
  assert.deepEqual(readdirSync(join(path, "events", "tmp")), [], "written through tmp/, renamed");
});

test("file: the event names of two clients never collide and keep the order of the calls", async () => {
  const path = folder();
  const [first, second] = [new FileStorage("q", { path }), new FileStorage("q", { path })];
  await Promise.all(
    Array.from(
      { length: 40 },
      (_, index) =>
        (index % 2 ? first : second).addEvents({ items: [String(index)], maxLength: 1000 }),
    ),
  );
  const read = await first.readEvents({ limit: 1000 });
  assert.deepEqual(
    read.map((event) => event.data),
    Array.from({ length: 40 }, (_, index) => String(index)),
  );
});

test("file: a long log is trimmed every tenth of maxLength events a client writes, never below maxLength", async () => {
  const path = folder();
  const storage = new FileStorage("trim", { path });
  const events = join(path, "trim", "events");
  const sizes: number[] = [];
  for (let index = 0; index < 300; index += 1) {
    await storage.addEvents({ items: [String(index)], maxLength: 100 });
    sizes.push(readdirSync(events).length);
  }
  assert.ok(sizes.every((size, index) => size <= Math.min(index + 1, 109)), `sizes ${sizes}`);
  assert.equal(Math.min(...sizes.slice(99)), 100, "never fewer than maxLength once it has them");
  assert.equal(Math.max(...sizes), 109, "the folder is not listed and trimmed on every write");
  const kept = (await storage.readEvents({ limit: 1000 })).map((event) => event.data);
  assert.deepEqual(
    kept.slice(-100),
    Array.from({ length: 100 }, (_, index) => String(200 + index)),
  );
});
