import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { spawnSync } from "node:child_process";
import process from "node:process";
import { DatabaseSync } from "node:sqlite";
import { SqliteStorage, type SqliteStorageOptions } from "../../storage/sqlite.ts";
import { migrateSqliteSchema, SQLITE_SCHEMA_VERSION } from "../../storage/_sqlite_schema.ts";
import { ConfigurationError, HueyError } from "../../errors.ts";
import { runtime } from "../../_runtime.ts";
import { storageSuite } from "./_suite.ts";
import { bytes, text, texts } from "./_suite_helpers.ts";
import { waitFor } from "../consumer/_consumer.ts";

const folder = mkdtempSync(join(tmpdir(), "huey-sqlite-test-"));
after(() => rmSync(folder, { recursive: true, force: true }));

/** Every client of the suite opens its own connection to one shared file, as processes would. */
const suiteFile = join(folder, "suite.db");
storageSuite("sqlite", (name) => new SqliteStorage(name, { filename: suiteFile }));
storageSuite(
  "sqlite blocking",
  (name) =>
    new SqliteStorage(name, {
      filename: join(folder, "blocking.db"),
      blocking: true,
      readTimeout: 0.1,
    }),
);

const decoder = new TextDecoder();
let files = 0;

/** A path for a new database file in the test folder. */
function newFile(): string {
  files += 1;
  return join(folder, `test-${files}.db`);
}

/** Opens a storage on a new file (or `filename`), runs `body`, and closes it. */
async function withStorage(
  options: SqliteStorageOptions,
  body: (storage: SqliteStorage) => Promise<void>,
): Promise<void> {
  const storage = new SqliteStorage("queue", { filename: newFile(), ...options });
  try {
    await body(storage);
  } finally {
    await storage.close();
  }
}

/** Runs `body` on a plain connection to `filename`, as another program would. */
function withDatabase<T>(filename: string, body: (db: DatabaseSync) => T): T {
  const db = new DatabaseSync(filename);
  try {
    return body(db);
  } finally {
    db.close();
  }
}

test("sqlite: the event log is trimmed each time a tenth of the cap was added, keeping at least the cap", async () => {
  await withStorage({}, async (storage) => {
    const sizes: number[] = [];
    for (let index = 0; index < 250; index++) {
      await storage.addEvents({ items: [`e${index}`], maxLength: 100 });
      sizes.push((await storage.readEvents({ limit: 1000 })).length);
    }
    assert.ok(
      sizes.every((size, index) => size >= Math.min(index + 1, 100)),
      "never fewer than the cap",
    );
    assert.ok(Math.max(...sizes) <= 110, `at most a tenth more: ${Math.max(...sizes)}`);
    assert.ok(sizes.slice(100).some((size) => size === 100), "trimmed down to the cap at times");
    const kept = await storage.readEvents({ limit: 1000 });
    assert.equal(kept.at(-1)!.data, "e249", "the newest kept");
  });
});

test("sqlite: busy_timeout is timeout * 1000 (huey's test_timeout)", async () => {
  await withStorage({ timeout: 3 }, async (storage) => {
    assert.equal(await storage.pragma("busy_timeout"), 3000);
  });
  await withStorage({}, async (storage) => {
    assert.equal(await storage.pragma("busy_timeout"), 5000);
  });
});

test("sqlite: synchronous is FULL with fsync and NORMAL without", async () => {
  await withStorage({ fsync: true }, async (storage) => {
    assert.equal(await storage.pragma("synchronous"), 2);
  });
  await withStorage({}, async (storage) => {
    assert.equal(await storage.pragma("synchronous"), 1);
  });
});

test("sqlite: the journal mode is wal by default and follows journalMode", async () => {
  await withStorage({}, async (storage) => {
    assert.equal(await storage.pragma("journal_mode"), "wal");
  });
  await withStorage({ journalMode: "DELETE" }, async (storage) => {
    assert.equal(await storage.pragma("journal_mode"), "delete");
  });
});

test("sqlite: the page cache is cacheMb megabytes", async () => {
  await withStorage({}, async (storage) => {
    assert.equal(await storage.pragma("cache_size"), -8000);
  });
  await withStorage({ cacheMb: 2.5 }, async (storage) => {
    assert.equal(await storage.pragma("cache_size"), -2500);
  });
});

test("sqlite: the schema version is recorded and a reopened file keeps its data", async () => {
  const filename = newFile();
  const first = new SqliteStorage("queue", { filename });
  assert.equal(await first.pragma("user_version"), SQLITE_SCHEMA_VERSION);
  await first.enqueue(bytes("kept"), 2);
  await first.addToSchedule(bytes("later"), 1000);
  await first.putData("key", bytes("value"));
  await first.close();
  const second = new SqliteStorage("queue", { filename });
  try {
    assert.equal(await second.pragma("user_version"), SQLITE_SCHEMA_VERSION);
    assert.deepEqual(texts(await second.enqueuedItems()), ["kept"]);
    assert.deepEqual(texts(await second.readSchedule(1000)), ["later"]);
    assert.equal(text(await second.peekData("key")), "value");
  } finally {
    await second.close();
  }
});

test("sqlite: migrateSqliteSchema brings an empty database forward once", () => {
  withDatabase(":memory:", (db) => {
    assert.equal(migrateSqliteSchema(db), 0);
    assert.equal(migrateSqliteSchema(db), SQLITE_SCHEMA_VERSION);
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .all().map((row) => row.name);
    assert.deepEqual(tables, [
      "counter",
      "dead_letter",
      "event_log",
      "failure",
      "heartbeat",
      "kv",
      "marker",
      "member",
      "member_set",
      "schedule",
      "sqlite_sequence",
      "task",
    ]);
  });
});

/** Version 1 as the first release wrote it. */
const SCHEMA_VERSION_1 = `CREATE TABLE task (id INTEGER PRIMARY KEY, queue TEXT NOT NULL,
    data BLOB NOT NULL, priority REAL NOT NULL DEFAULT 0, lease_until REAL NOT NULL DEFAULT 0,
    receipt TEXT);
  CREATE INDEX task_queue_lease ON task (queue, lease_until, priority DESC, id);
  CREATE TABLE schedule (id INTEGER PRIMARY KEY, queue TEXT NOT NULL, data BLOB NOT NULL,
    eta REAL NOT NULL);
  CREATE INDEX schedule_queue_eta ON schedule (queue, eta, id);
  CREATE TABLE kv (queue TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, expires REAL,
    PRIMARY KEY (queue, key)) WITHOUT ROWID;
  CREATE TABLE dead_letter (id INTEGER PRIMARY KEY AUTOINCREMENT, queue TEXT NOT NULL,
    data BLOB NOT NULL, reason TEXT NOT NULL, at REAL NOT NULL);
  CREATE INDEX dead_letter_queue ON dead_letter (queue, id);`;

test("sqlite: a file of schema version 1 is migrated: its scheduled messages move with priority 0", async () => {
  const filename = newFile();
  withDatabase(filename, (db) => {
    db.exec(`${SCHEMA_VERSION_1}
      INSERT INTO schedule (queue, data, eta) VALUES ('queue', X'6f6c64', 1000);
      INSERT INTO kv (queue, key, value) VALUES ('queue', 'key', X'76');
      PRAGMA user_version = 1;`);
  });
  const storage = new SqliteStorage("queue", { filename });
  try {
    assert.equal(await storage.pragma("user_version"), SQLITE_SCHEMA_VERSION);
    await storage.enqueue(bytes("new"), 1);
    assert.deepEqual(texts(await storage.moveDue(2000, 10)), ["old"]);
    assert.deepEqual(texts(await storage.enqueuedItems()), ["new", "old"]);
    assert.equal(text(await storage.peekData("key")), "v");
    assert.equal(await storage.enqueueOnce("minute", [], { ttl: 60 }), true);
  } finally {
    await storage.close();
  }
});

test("sqlite: a file of schema version 2 is migrated: it keeps its markers and gains counters and member sets", async () => {
  const filename = newFile();
  withDatabase(filename, (db) => {
    // Version 2 as the second release wrote it.
    db.exec(`${SCHEMA_VERSION_1}
      ALTER TABLE schedule ADD COLUMN priority REAL NOT NULL DEFAULT 0;
      CREATE TABLE marker (queue TEXT NOT NULL, key TEXT NOT NULL, expires REAL NOT NULL,
        PRIMARY KEY (queue, key)) WITHOUT ROWID;
      INSERT INTO marker (queue, key, expires) VALUES ('queue', 'minute', ${Date.now() + 60_000});
      INSERT INTO schedule (queue, data, eta, priority) VALUES ('queue', X'6f6c64', 1000, 3);
      PRAGMA user_version = 2;`);
  });
  const storage = new SqliteStorage("queue", { filename });
  try {
    assert.equal(await storage.pragma("user_version"), SQLITE_SCHEMA_VERSION);
    assert.equal(await storage.enqueueOnce("minute", [{ data: bytes("x") }], { ttl: 60 }), false);
    assert.equal(await storage.incr("hits", 2, { ttl: 60 }), 2);
    assert.equal(await storage.addMember("chord", "a"), 1);
    assert.deepEqual(texts(await storage.moveDue(2000, 10)), ["old"]);
    assert.equal(await storage.deleteMarker("minute"), true);
  } finally {
    await storage.close();
  }
});

/** Version 3 as the third release wrote it. */
const SCHEMA_VERSION_3 = `${SCHEMA_VERSION_1}
  ALTER TABLE schedule ADD COLUMN priority REAL NOT NULL DEFAULT 0;
  CREATE TABLE marker (queue TEXT NOT NULL, key TEXT NOT NULL, expires REAL NOT NULL,
    PRIMARY KEY (queue, key)) WITHOUT ROWID;
  CREATE TABLE counter (queue TEXT NOT NULL, key TEXT NOT NULL, value INTEGER NOT NULL,
    expires REAL, PRIMARY KEY (queue, key)) WITHOUT ROWID;
  CREATE TABLE member_set (queue TEXT NOT NULL, key TEXT NOT NULL, expires REAL,
    PRIMARY KEY (queue, key)) WITHOUT ROWID;
  CREATE TABLE member (queue TEXT NOT NULL, key TEXT NOT NULL, member TEXT NOT NULL,
    PRIMARY KEY (queue, key, member)) WITHOUT ROWID;`;

test("sqlite: a file of schema version 3 is migrated: it keeps its data and gains failure records", async () => {
  const filename = newFile();
  withDatabase(filename, (db) => {
    db.exec(`${SCHEMA_VERSION_3}
      INSERT INTO counter (queue, key, value) VALUES ('queue', 'hits', 4);
      INSERT INTO task (queue, data) VALUES ('queue', X'6f6c64');
      PRAGMA user_version = 3;`);
  });
  const storage = new SqliteStorage("queue", { filename });
  try {
    assert.equal(await storage.pragma("user_version"), SQLITE_SCHEMA_VERSION);
    assert.equal(await storage.incr("hits"), 5);
    assert.deepEqual(texts(await storage.enqueuedItems()), ["old"]);
    assert.equal(await storage.failureCount(), 0);
    await storage.addFailure("id", bytes("record"), 10);
    assert.deepEqual(texts(await storage.failures()), ["record"]);
  } finally {
    await storage.close();
  }
});

test("sqlite: a file of schema version 4 is migrated: it keeps its data and gains events and heartbeats", async () => {
  const filename = newFile();
  withDatabase(filename, (db) => {
    // Version 4 as the fourth release wrote it.
    db.exec(`${SCHEMA_VERSION_3}
      CREATE TABLE failure (seq INTEGER PRIMARY KEY AUTOINCREMENT, queue TEXT NOT NULL,
        task_id TEXT NOT NULL, data BLOB NOT NULL, UNIQUE (queue, task_id));
      CREATE INDEX failure_queue_seq ON failure (queue, seq);
      INSERT INTO failure (queue, task_id, data) VALUES ('queue', 'id', X'6f6c64');
      INSERT INTO task (queue, data) VALUES ('queue', X'6a6f62');
      INSERT INTO kv (queue, key, value) VALUES ('queue', 'key', X'76');
      PRAGMA user_version = 4;`);
  });
  const storage = new SqliteStorage("queue", { filename });
  try {
    assert.equal(await storage.pragma("user_version"), SQLITE_SCHEMA_VERSION);
    assert.deepEqual(texts(await storage.failures()), ["old"]);
    assert.deepEqual(texts(await storage.enqueuedItems()), ["job"]);
    assert.equal(text(await storage.peekData("key")), "v");
    assert.equal(await storage.lastEventSeq(), null);
    await storage.addEvents({ items: ["event"], maxLength: 10 });
    await storage.putHeartbeat("host:1", bytes("beat"), 60);
    assert.deepEqual((await storage.readEvents({ limit: 10 })).map((event) => event.data), [
      "event",
    ]);
    assert.deepEqual(texts(await storage.heartbeats()), ["beat"]);
  } finally {
    await storage.close();
  }
});

test("sqlite: a file of schema version 5 is migrated: its events keep their seqs, as rows of one", async () => {
  const filename = newFile();
  const storage = new SqliteStorage("queue", { filename });
  await storage.close();
  withDatabase(filename, (db) => {
    // Version 5 as the fifth release wrote it: a row per event, seq the row's.
    db.exec(`DROP TABLE event_log;
      DELETE FROM sqlite_sequence WHERE name = 'event_log';
      CREATE TABLE event (seq INTEGER PRIMARY KEY AUTOINCREMENT, queue TEXT NOT NULL,
        pos INTEGER NOT NULL, at REAL NOT NULL, data BLOB NOT NULL, UNIQUE (queue, pos));
      CREATE INDEX event_queue ON event (queue);
      INSERT INTO event (queue, pos, at, data) VALUES ('queue', 1, 1000, X'6131'),
        ('other', 1, 1000, X'6f31'), ('queue', 2, 2000, X'6132');
      PRAGMA user_version = 5;`);
  });
  const migrated = new SqliteStorage("queue", { filename });
  try {
    assert.equal(await migrated.pragma("user_version"), SQLITE_SCHEMA_VERSION);
    const events = await migrated.readEvents({ limit: 10 });
    assert.deepEqual(events.map((event) => event.data), ["a1", "a2"]);
    assert.deepEqual(events.map((event) => event.at), [1000, 2000]);
    // A cursor of version 5 (a row's seq) still reads what follows it.
    const after = await migrated.readEvents({ after: "1", limit: 10 });
    assert.deepEqual(after.map((event) => event.data), ["a2"]);
    await migrated.addEvents({ items: ["a3", "a4"], maxLength: 3 });
    const kept = await migrated.readEvents({ after: "1", limit: 10 });
    assert.deepEqual(kept.map((event) => event.data), ["a2", "a3", "a4"], "the cap counts on");
    assert.equal(await migrated.lastEventSeq(), kept[2].seq);
  } finally {
    await migrated.close();
  }
});

test("sqlite: a file with a newer schema version is refused", () => {
  const filename = newFile();
  withDatabase(filename, (db) => db.exec(`PRAGMA user_version = ${SQLITE_SCHEMA_VERSION + 1}`));
  assert.throws(
    () => new SqliteStorage("queue", { filename }),
    (error: Error) =>
      error instanceof HueyError &&
      error.message.includes(`schema version ${SQLITE_SCHEMA_VERSION + 1} is newer`),
  );
});

test("sqlite: with strictFifo task ids are never reused after a delete", async () => {
  async function idsAfterDelete(options: SqliteStorageOptions): Promise<number[]> {
    const filename = newFile();
    const storage = new SqliteStorage("queue", { filename, ...options });
    try {
      await storage.enqueue(bytes("first"));
      const first = withDatabase(filename, (db) => db.prepare("SELECT id FROM task").get()!.id);
      await storage.dequeue();
      await storage.enqueue(bytes("second"));
      const second = withDatabase(filename, (db) => db.prepare("SELECT id FROM task").get()!.id);
      return [Number(first), Number(second)];
    } finally {
      await storage.close();
    }
  }
  const [first, second] = await idsAfterDelete({ strictFifo: true });
  assert.ok(second > first, `id ${second} reuses ${first}`);
  // Without it SQLite hands the freed id out again, which strictFifo exists to prevent.
  const [plainFirst, plainSecond] = await idsAfterDelete({});
  assert.equal(plainSecond, plainFirst);
});

test("sqlite: strictFifo on a file made without it keeps the waiting messages", async () => {
  const filename = newFile();
  const plain = new SqliteStorage("queue", { filename });
  await plain.enqueueMany([{ data: bytes("a") }, { data: bytes("b"), priority: 1 }]);
  await plain.close();
  const strict = new SqliteStorage("queue", { filename, strictFifo: true });
  try {
    assert.deepEqual(texts(await strict.enqueuedItems()), ["b", "a"]);
    const sql = withDatabase(filename, (db) => {
      return db.prepare("SELECT sql FROM sqlite_master WHERE name = 'task'").get()!.sql;
    });
    assert.match(String(sql), /AUTOINCREMENT/);
  } finally {
    await strict.close();
  }
});

test("sqlite: two connections racing dequeue with leases never get the same message", async () => {
  const filename = newFile();
  const clients = [
    new SqliteStorage("race", { filename }),
    new SqliteStorage("race", { filename }),
  ];
  try {
    const sent = Array.from({ length: 200 }, (_, index) => `m-${index}`);
    await clients[0].enqueueMany(sent.map((item) => ({ data: bytes(item) })));
    const received: string[] = [];
    const receipts = new Set<string>();
    for (let turn = 0; turn < 200; turn++) {
      const delivery = await clients[turn % 2].dequeue({ lease: 30 });
      assert.ok(delivery?.receipt);
      received.push(decoder.decode(delivery.data));
      receipts.add(delivery.receipt);
    }
    assert.equal(new Set(received).size, 200);
    assert.equal(receipts.size, 200);
    assert.deepEqual(received, sent);
    assert.equal(await clients[0].dequeue({ lease: 30 }), null);
    assert.equal(await clients[1].dequeue({ lease: 30 }), null);
  } finally {
    for (const client of clients) await client.close();
  }
});

test("sqlite: fractional priorities order between whole ones", async () => {
  await withStorage({}, async (storage) => {
    await storage.enqueue(bytes("one"), 1);
    await storage.enqueue(bytes("one-and-a-half"), 1.5);
    await storage.enqueue(bytes("two"), 2);
    assert.deepEqual(texts(await storage.enqueuedItems()), ["two", "one-and-a-half", "one"]);
  });
});

test("sqlite: an expired ttl key can be taken by another connection", async () => {
  const filename = newFile();
  const first = new SqliteStorage("locks", { filename });
  const second = new SqliteStorage("locks", { filename });
  try {
    assert.equal(await first.putIfEmpty("lock", bytes("first"), { ttl: 0.2 }), true);
    assert.equal(await second.putIfEmpty("lock", bytes("second"), { ttl: 0.2 }), false);
    await delay(500);
    assert.equal(await second.putIfEmpty("lock", bytes("second"), { ttl: 0.2 }), true);
    assert.equal(text(await first.peekData("lock")), "second");
  } finally {
    await first.close();
    await second.close();
  }
});

test("sqlite: an aborted signal makes dequeue resolve to null", async () => {
  await withStorage({}, async (storage) => {
    await storage.enqueue(bytes("job"));
    assert.equal(await storage.dequeue({ signal: AbortSignal.abort() }), null);
    assert.equal(await storage.queueSize(), 1);
  });
});

test(
  "sqlite: on a Node without node:sqlite the library imports, and only SqliteStorage throws ConfigurationError naming Node 22.13",
  {
    skip: runtime !== "node" && "node's --no-experimental-sqlite turns node:sqlite off",
  },
  () => {
    const script = `
    const huey = await import(${JSON.stringify(new URL("../../mod.ts", import.meta.url).href)});
    new huey.RedisStorage("q");
    new huey.MemoryHuey("q");
    try {
      new huey.SqliteStorage("q", { filename: ":memory:" });
      console.log("built");
    } catch (error) {
      console.log(error.name + ": " + error.message);
    }`;
    const child = spawnSync(
      process.execPath,
      ["--no-experimental-sqlite", "--input-type=module", "--eval", script],
      { encoding: "utf8" },
    );
    assert.equal(
      child.stderr.replace(/.*ExperimentalWarning.*\n?|\(Use `node --trace.*\n?/g, ""),
      "",
    );
    assert.match(
      child.stdout,
      /^ConfigurationError: SqliteStorage needs the built-in module node:sqlite/,
    );
    assert.match(child.stdout, /use Node 22\.13 or later/);
  },
);

test("sqlite: a filename in a missing folder throws an error naming it", () => {
  const filename = join(folder, "missing", "huey.db");
  assert.throws(
    () => new SqliteStorage("queue", { filename }),
    (error: Error) => error instanceof ConfigurationError && error.message.includes(filename),
  );
});

test("sqlite: bad options throw ConfigurationError naming the option and the value", () => {
  const filename = newFile();
  const cases: [SqliteStorageOptions, string][] = [
    [{ cacheMb: -1 }, "Option 'cacheMb' must be a finite number >= 0, got -1"],
    [{ timeout: Number.NaN }, "Option 'timeout' must be a finite number >= 0, got NaN"],
    [
      { timeout: "5" as unknown as number },
      `Option 'timeout' must be a finite number >= 0, got "5"`,
    ],
    [
      { journalMode: "fast" },
      `Option 'journalMode' must be one of wal, delete, truncate, persist, memory, off, got "fast"`,
    ],
    [{ fsync: "yes" as unknown as boolean }, `Option 'fsync' must be a boolean, got "yes"`],
    [{ strictFifo: 1 as unknown as boolean }, "Option 'strictFifo' must be a boolean, got 1"],
    [{ filename: "" }, `Option 'filename' must be a non-empty string, got ""`],
  ];
  for (const [options, message] of cases) {
    assert.throws(() => new SqliteStorage("queue", { filename, ...options }), {
      name: "ConfigurationError",
      message,
    });
  }
  assert.throws(() => new SqliteStorage("", { filename }), ConfigurationError);
});

test("sqlite: await using closes the storage", async () => {
  let kept: SqliteStorage;
  {
    await using storage = new SqliteStorage("queue", { filename: newFile() });
    kept = storage;
    await storage.enqueue(bytes("job"));
  }
  await assert.rejects(kept.queueSize(), HueyError);
});

test("sqlite blocking: a waiting dequeue gets a message another connection of this process enqueues", async () => {
  const filename = newFile();
  const waiting = new SqliteStorage("queue", { filename, blocking: true, readTimeout: 10 });
  const producer = new SqliteStorage("queue", { filename });
  try {
    const delivery = waiting.dequeue({ lease: 30 });
    await delay(50);
    await producer.enqueue(bytes("job"));
    assert.equal(text((await delivery)?.data ?? null), "job");
  } finally {
    await waiting.close();
    await producer.close();
  }
});

test("sqlite blocking: a waiting dequeue gets a message that another program writes to the file", async () => {
  const filename = newFile();
  const waiting = new SqliteStorage("queue", { filename, blocking: true, readTimeout: 10 });
  try {
    const delivery = waiting.dequeue({ lease: 30 });
    await delay(50);
    // A plain connection: only the watch on the file can tell the storage about this write.
    withDatabase(filename, (db) => {
      db.prepare("INSERT INTO task (queue, data, priority) VALUES (?, ?, 0)").run(
        "queue",
        bytes("job"),
      );
    });
    assert.equal(text((await delivery)?.data ?? null), "job");
  } finally {
    await waiting.close();
  }
});

test("sqlite: waitForEvents wakes on an event that another program writes to the file", async () => {
  const filename = newFile();
  const storage = new SqliteStorage("queue", { filename });
  try {
    await storage.addEvents({ items: ["first"], maxLength: 10 });
    const last = await storage.lastEventSeq();
    const waiting = storage.waitForEvents(last, 20_000);
    await delay(50);
    // A plain connection: only the watch on the file can tell the storage about this write.
    withDatabase(filename, (db) => {
      db.prepare("INSERT INTO event_log (queue, last_pos, count, at, data) VALUES (?, 2, 1, ?, ?)")
        .run("queue", Date.now(), "second");
    });
    assert.equal(await waiting, true);
    const events = await storage.readEvents({ after: last!, limit: 10 });
    assert.deepEqual(events.map((event) => event.data), ["second"]);
  } finally {
    await storage.close();
  }
});

test("sqlite: a pending waitForEvents resolves false when the storage closes", async () => {
  const storage = new SqliteStorage("queue", { filename: newFile() });
  const waiting = storage.waitForEvents(null, 60_000);
  await delay(20);
  await storage.close();
  assert.equal(await waiting, false);
});

test("sqlite blocking: a waiting dequeue gets a message whose lease expires meanwhile", async () => {
  const filename = newFile();
  const first = new SqliteStorage("queue", { filename });
  const waiting = new SqliteStorage("queue", { filename, blocking: true, readTimeout: 10 });
  try {
    await first.enqueue(bytes("job"));
    assert.ok(await first.dequeue({ lease: 0.2 }));
    const delivery = await waiting.dequeue({ lease: 30 });
    assert.equal(text(delivery?.data ?? null), "job");
  } finally {
    await first.close();
    await waiting.close();
  }
});

test("sqlite blocking: dequeue resolves to null after readTimeout, when aborted, and when closed", async () => {
  await withStorage({ blocking: true, readTimeout: 0.1 }, async (storage) => {
    assert.equal(storage.blocking, true);
    assert.equal(await storage.dequeue({ lease: 30 }), null);
  });
  await withStorage({ blocking: true, readTimeout: 10 }, async (storage) => {
    const controller = new AbortController();
    const aborted = storage.dequeue({ lease: 30, signal: controller.signal });
    await delay(50);
    controller.abort();
    assert.equal(await aborted, null);
    const closed = storage.dequeue({ lease: 30 });
    await delay(50);
    await storage.close();
    assert.equal(await closed, null);
  });
});

test("sqlite: blocking is off by default, and bad blocking options are rejected naming them", async () => {
  await withStorage({}, async (storage) => {
    assert.equal(storage.blocking, false);
    assert.equal(await storage.dequeue({ lease: 30 }), null);
  });
  const filename = newFile();
  assert.throws(
    () => new SqliteStorage("queue", { filename, blocking: "yes" as unknown as boolean }),
    (error: Error) =>
      error instanceof ConfigurationError && /Option 'blocking'.*yes/.test(error.message),
  );
  assert.throws(
    () => new SqliteStorage("queue", { filename, readTimeout: 0 }),
    (error: Error) =>
      error instanceof ConfigurationError && /Option 'readTimeout'.*got 0/.test(error.message),
  );
});

test("sqlite: expired ttl keys are deleted, not only hidden, when a connection next writes a ttl key", async () => {
  const filename = newFile();
  const first = new SqliteStorage("queue", { filename });
  await first.putIfEmpty("old-lock", bytes("1"), { ttl: 0.1 });
  await first.putData("kept", bytes("v"));
  await first.close();
  await delay(300);
  const second = new SqliteStorage("queue", { filename });
  try {
    assert.equal(await second.putIfEmpty("new-lock", bytes("1"), { ttl: 60 }), true);
  } finally {
    await second.close();
  }
  const keys = withDatabase(
    filename,
    (db) =>
      (db.prepare("SELECT key FROM kv ORDER BY key").all() as { key: string }[]).map((row) =>
        row.key
      ),
  );
  assert.deepEqual(keys, ["kept", "new-lock"]);
});

test("sqlite: expired counters and member sets are deleted, not only read as absent", async () => {
  const filename = newFile();
  const first = new SqliteStorage("queue", { filename });
  await first.incr("window", 1, { ttl: 0.2 });
  await first.addMember("chord", "a", { ttl: 0.2 });
  await first.addMember("chord", "b", { ttl: 0.2 });
  await first.incr("forever");
  const expiresBy = Date.now() + 200;
  await first.close();
  await waitFor(() => Date.now() > expiresBy, "the windows to end");
  // A new connection sweeps when it first writes something with a ttl.
  const second = new SqliteStorage("queue", { filename });
  try {
    assert.equal(await second.incr("new", 1, { ttl: 60 }), 1);
    withDatabase(filename, (db) => {
      const keys = (table: string) =>
        db.prepare(`SELECT key FROM ${table} ORDER BY key`).all().map((row) => row.key);
      assert.deepEqual(keys("counter"), ["forever", "new"]);
      assert.deepEqual(keys("member"), []);
      assert.deepEqual(keys("member_set"), []);
    });
  } finally {
    await second.close();
  }
});
