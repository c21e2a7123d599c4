import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { setImmediate } from "node:timers";
import { setTimeout as delay } from "node:timers/promises";
import postgres from "postgres";
import { ConfigurationError, HueyError } from "../../errors.ts";
import type { Delivery } from "../../storage/base.ts";
import {
  POSTGRES_SCHEMA_VERSION,
  postgresSchemaSql,
  type PostgresSql,
  PostgresStorage,
  type PostgresStorageOptions,
} from "../../storage/postgres.ts";
import { freePort } from "../_redis_server.ts";
import { type PostgresServer, postgresSkip, startPostgres } from "../_postgres_server.ts";
import { storageSuite } from "./_suite.ts";
import { bytes, text, texts } from "./_suite_helpers.ts";

let server: PostgresServer | undefined;
let unique = 0;

before(async () => {
  if (!postgresSkip) server = await startPostgres();
});
after(async () => {
  await server?.remove();
});

/** The text of a delivery's message, or `null` for no delivery. */
function dataText(delivery: Delivery | null): string | null {
  return delivery ? text(delivery.data) : null;
}

function name(): string {
  unique += 1;
  return `postgres-test-${unique}-${Math.random().toString(36).slice(2, 8)}`;
}

/** A storage on the test server (close it, or open it with `await using`). */
function open(queue: string, options: PostgresStorageOptions = {}): PostgresStorage {
  return new PostgresStorage(queue, { url: server!.url, ...options });
}

/** Runs `body` with a plain postgres.js pool, to look at the server from outside the storage. */
async function inspecting(body: (sql: postgres.Sql) => Promise<void>): Promise<void> {
  const sql = postgres(server!.url, { onnotice: () => {}, max: 1 });
  try {
    await body(sql);
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/**
 * The payloads notified on a queue's channel while `body` runs, up to a
 * sentinel notified after it (notifications arrive in commit order).
 */
async function notified(queue: string, body: () => Promise<void>): Promise<string[]> {
  const payloads: string[] = [];
  const sql = postgres(server!.url, { onnotice: () => {}, max: 1 });
  try {
    let ended: () => void = () => {};
    const end = new Promise<void>((resolve) => (ended = resolve));
    await sql.listen(queue, (payload) => payload === "end" ? ended() : payloads.push(payload));
    await body();
    await sql`SELECT pg_notify(${queue}, 'end')`;
    await end;
    return payloads;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/** Takes a queue's schema back to `version`: drops what later versions added. */
async function downgrade(sql: postgres.Sql, queue: string, version: number): Promise<void> {
  const s = `"${queue}"`;
  const added: Record<number, string> = {
    2: `DROP TABLE ${s}.failure`,
    3: `DROP TABLE ${s}.event, ${s}.event_counter, ${s}.heartbeat; ` +
      `DROP FUNCTION ${s}.notify_event()`,
    // Back to version 3's log of one row per event (empty: a test fills it).
    4: `DROP TABLE ${s}.event_log; CREATE TABLE ${s}.event (seq bigint PRIMARY KEY, ` +
      "at timestamptz NOT NULL DEFAULT clock_timestamp(), data bytea NOT NULL); " +
      `CREATE TRIGGER event_added AFTER INSERT ON ${s}.event REFERENCING NEW TABLE AS added ` +
      `FOR EACH STATEMENT EXECUTE FUNCTION ${s}.notify_event()`,
    // Back to version 4's notification per stored row.
    5: `DROP TRIGGER kv_inserted ON ${s}.kv; DROP TRIGGER kv_updated ON ${s}.kv; ` +
      `DROP FUNCTION ${s}.notify_keys(); ` +
      `CREATE FUNCTION ${s}.notify_key() RETURNS trigger LANGUAGE plpgsql AS $$ ` +
      "BEGIN PERFORM pg_notify(TG_TABLE_SCHEMA, 'k:' || NEW.key); RETURN NULL; END $$; " +
      `CREATE TRIGGER kv_stored AFTER INSERT OR UPDATE ON ${s}.kv FOR EACH ROW ` +
      `WHEN (octet_length(NEW.key) <= 4000) EXECUTE FUNCTION ${s}.notify_key()`,
  };
  for (let undone = POSTGRES_SCHEMA_VERSION; undone > version; undone--) {
    await sql.unsafe(added[undone]).simple();
  }
  await sql.unsafe(`UPDATE ${s}.meta SET version = ${version}`);
}

/** Runs `attempt` until it resolves, for up to 30 s (reconnection after a restart). */
async function eventually<T>(attempt: () => Promise<T>): Promise<T> {
  for (let tries = 0;; tries++) {
    try {
      return await attempt();
    } catch (error) {
      if (tries >= 300) throw error;
      await delay(100);
    }
  }
}

if (postgresSkip) {
  test("postgres storage (skipped: PostgreSQL is missing)", { skip: postgresSkip }, () => {});
} else {
  storageSuite("postgres", (queue) => open(queue, { readTimeout: 0.1 }));
  storageSuite("postgres non-blocking", (queue) => open(queue, { blocking: false }));
  registerPostgresTests();
}

function registerPostgresTests(): void {
  test("postgres: a queue's tables live in a schema named after it, at the current version", async () => {
    const queue = name();
    await using storage = open(queue);
    await storage.enqueue(bytes("job"));
    await inspecting(async (sql) => {
      const tables = await sql`SELECT table_name FROM information_schema.tables
        WHERE table_schema = ${queue} ORDER BY table_name`;
      assert.deepEqual(tables.map((row) => row.table_name), [
        "counter",
        "dead_letter",
        "event_counter",
        "event_log",
        "failure",
        "heartbeat",
        "kv",
        "marker",
        "member",
        "member_set",
        "meta",
        "schedule",
        "task",
      ]);
      const [meta] = await sql.unsafe(`SELECT version FROM "${queue}".meta`);
      assert.equal(meta.version, POSTGRES_SCHEMA_VERSION);
    });
  });

  test("postgres: many clients starting together create the schema once", async () => {
    const queue = name();
    const clients = Array.from({ length: 6 }, () => open(queue, { blocking: false }));
    try {
      await Promise.all(clients.map((client, i) => client.enqueue(bytes(String(i)))));
      assert.equal(await clients[0].queueSize(), 6);
    } finally {
      await Promise.all(clients.map((client) => client.close()));
    }
  });

  test("postgres: createTables false runs no DDL, and works on the documented schema", async () => {
    const queue = name();
    await using bare = open(queue, { createTables: false, blocking: false });
    await assert.rejects(bare.queueSize(), /does not exist/);
    await inspecting(async (sql) => void await sql.unsafe(postgresSchemaSql(queue)).simple());
    await bare.enqueue(bytes("job"), 2);
    assert.equal(dataText(await bare.dequeue()), "job");
    await using migrating = open(queue, { blocking: false });
    assert.equal(await migrating.queueSize(), 0, "an up-to-date schema is left as it is");
  });

  test("postgres: a schema written by a newer version is refused", async () => {
    const queue = name();
    await using first = open(queue);
    await first.queueSize();
    await inspecting(async (sql) => {
      await sql.unsafe(`UPDATE "${queue}".meta SET version = ${POSTGRES_SCHEMA_VERSION + 1}`);
    });
    await using second = open(queue);
    await assert.rejects(second.queueSize(), (error: Error) => {
      assert.ok(error instanceof HueyError);
      assert.match(error.message, /newer than this version supports/);
      return true;
    });
  });

  test("postgres: a schema of version 1 is migrated: it keeps its data and gains failure records", async () => {
    const queue = name();
    await using first = open(queue, { blocking: false });
    await first.enqueue(bytes("old"));
    await inspecting((sql) => downgrade(sql, queue, 1));
    await using second = open(queue, { blocking: false });
    assert.equal(dataText(await second.dequeue()), "old");
    await second.addFailure("id", bytes("record"), 10);
    assert.deepEqual(texts(await second.failures()), ["record"]);
    await inspecting(async (sql) => {
      const [meta] = await sql.unsafe(`SELECT version FROM "${queue}".meta`);
      assert.equal(meta.version, POSTGRES_SCHEMA_VERSION);
    });
  });

  test("postgres: a schema of version 2 is migrated: it keeps its data and gains the event log and heartbeats", async () => {
    const queue = name();
    await using first = open(queue, { blocking: false });
    await first.enqueue(bytes("old"));
    await first.putData("key", bytes("value"));
    await first.addFailure("id", bytes("record"), 10);
    await inspecting((sql) => downgrade(sql, queue, 2));
    await using second = open(queue, { blocking: false });
    assert.equal(dataText(await second.dequeue()), "old");
    assert.equal(text(await second.peekData("key")), "value");
    assert.deepEqual(texts(await second.failures()), ["record"]);
    await second.addEvents({ items: ["e1", "e2"], maxLength: 10 });
    const events = await second.readEvents({ limit: 10 });
    assert.deepEqual(events.map((event) => [event.seq, event.data]), [["2.0", "e1"], [
      "2.1",
      "e2",
    ]]);
    await second.putHeartbeat("host:1", bytes("alive"), 30);
    assert.deepEqual(texts(await second.heartbeats()), ["alive"]);
    await inspecting(async (sql) => {
      const [meta] = await sql.unsafe(`SELECT version FROM "${queue}".meta`);
      assert.equal(meta.version, POSTGRES_SCHEMA_VERSION);
    });
  });

  test("postgres: a schema of version 3 is migrated: its events keep their seqs, as rows of one", async () => {
    const queue = name();
    const s = `"${queue}"`;
    await using first = open(queue, { blocking: false });
    await first.queueSize();
    await inspecting(async (sql) => {
      await downgrade(sql, queue, 3);
      // Version 3's log: a row per event, seq from the counter; the oldest already trimmed.
      await sql.unsafe(`INSERT INTO ${s}.event (seq, at, data) VALUES
          (2, to_timestamp(1), convert_to('{"a":1}', 'UTF8')),
          (3, to_timestamp(2), convert_to(E'{"a":\n2}', 'UTF8'));
        UPDATE ${s}.event_counter SET last = 3`).simple();
    });
    await using migrated = open(queue, { blocking: false });
    const events = await migrated.readEvents({ limit: 10 });
    // A line break between JSON tokens becomes a space: one line, one event.
    assert.deepEqual(events.map((event) => [event.seq, event.at, event.data]), [
      ["2.0", 1000, '{"a":1}'],
      ["3.0", 2000, '{"a": 2}'],
    ]);
    // A cursor of version 3 (an event's seq, now its row's) still reads what follows it.
    const after = await migrated.readEvents({ after: "2", limit: 10 });
    assert.deepEqual(after.map((event) => event.seq), ["3.0"]);
    assert.equal(await migrated.waitForEvents("3", 10), false, "nothing after the newest");
    await migrated.addEvents({ items: ["a3", "a4"], maxLength: 3 });
    const kept = await migrated.readEvents({ after: "2", limit: 10 });
    assert.deepEqual(kept.map((event) => event.seq), ["3.0", "5.0", "5.1"], "the count goes on");
    assert.deepEqual(kept.map((event) => event.data), ['{"a": 2}', "a3", "a4"]);
    assert.equal(await migrated.lastEventSeq(), "5.1");
    assert.deepEqual(await migrated.readEvents({ after: "1", limit: 10 }), [
      ...kept,
    ], "the trimmed row is gone");
    await inspecting(async (sql) => {
      const [meta] = await sql.unsafe(`SELECT version FROM ${s}.meta`);
      assert.equal(meta.version, POSTGRES_SCHEMA_VERSION);
      const [{ found }] = await sql.unsafe(`SELECT to_regclass('${s}.event') IS NULL AS found`);
      assert.equal(found, true, "version 3's table is dropped");
    });
  });

  test("postgres: a schema of version 4 is migrated: a statement's stored keys are notified together", async () => {
    const queue = name();
    await using first = open(queue, { blocking: false });
    await first.putData("kept", bytes("1"));
    await inspecting((sql) => downgrade(sql, queue, 4));
    await using migrated = open(queue);
    assert.equal(text(await migrated.peekData("kept")), "1");
    const payloads = await notified(queue, async () => {
      await migrated.putData("kept", bytes("2"));
    });
    assert.deepEqual(payloads, ['K["kept"]']);
    await inspecting(async (sql) => {
      const [meta] = await sql.unsafe(`SELECT version FROM "${queue}".meta`);
      assert.equal(meta.version, POSTGRES_SCHEMA_VERSION);
    });
  });

  registerEventTests();

  test("postgres: bad options throw ConfigurationError naming the option and the value", () => {
    const cases: [string, PostgresStorageOptions, string | RegExp][] = [
      ["q", { url: "redis://h" }, `Option 'url' must be a postgres:// or postgresql:// URL`],
      ["q", { url: "" }, `Option 'url' must be a non-empty string, got ""`],
      ["q", { readTimeout: 0 }, "Option 'readTimeout' must be a finite number > 0, got 0"],
      ["q", { blocking: 1 as unknown as boolean }, "Option 'blocking' must be a boolean, got 1"],
      ["q", { createTables: "no" as unknown as boolean }, "Option 'createTables' must be"],
      ["q", { sql: {} as PostgresSql }, "Option 'sql' must be a postgres.js instance"],
      ["q", { url: "postgres://h", sql: {} as PostgresSql }, /'url' and 'sql' contradict/],
      ["", {}, `Option 'name' must be a non-empty string, got ""`],
      ["pg_queue", {}, "Option 'name' must be at most 63 bytes, not starting with 'pg_'"],
      ["x".repeat(64), {}, "Option 'name' must be at most 63 bytes"],
    ];
    for (const [queue, options, message] of cases) {
      assert.throws(() => new PostgresStorage(queue, options), (error: Error) => {
        assert.ok(error instanceof ConfigurationError, String(error));
        if (typeof message === "string") {
          assert.ok(error.message.startsWith(message), error.message);
        } else assert.match(error.message, message);
        return true;
      });
    }
  });

  test("postgres: a blocking dequeue is woken by another client's enqueue", async () => {
    const queue = name();
    await using consumer = open(queue, { readTimeout: 30 });
    await using producer = open(queue);
    await consumer.queueSize();
    const waiting = Promise.all([consumer.dequeue({ lease: 30 }), consumer.dequeue()]);
    await delay(300);
    await producer.enqueueMany([{ data: bytes("a") }, { data: bytes("b") }]);
    const got = (await waiting).map((delivery) => dataText(delivery)).sort();
    assert.deepEqual(got, ["a", "b"]);
  });

  test("postgres: a blocking dequeue is woken by a release and by a lease's expiry", async () => {
    const queue = name();
    await using storage = open(queue, { readTimeout: 30 });
    await using other = open(queue, { readTimeout: 30 });
    await storage.enqueue(bytes("job"));
    const first = await storage.dequeue({ lease: 60 });
    const waiting = other.dequeue({ lease: 0.5 });
    await delay(300);
    await storage.release(first!.receipt!);
    const second = await waiting;
    assert.equal(dataText(second), "job");
    const third = await storage.dequeue({ lease: 30 }); // waits for the 0.5 s lease
    assert.equal(dataText(third), "job");
    assert.notEqual(third?.receipt, second?.receipt);
    await storage.ack(second!.receipt!); // outdated: ignored
    assert.equal(await storage.queueSize(), 0);
    await storage.release(third!.receipt!);
    assert.equal(await storage.queueSize(), 1);
  });

  test("postgres: dequeues made together are served in call order, a waiting one first", async () => {
    // A worker's loop waits for its next message while it leases more ahead without waiting:
    // the message must go to the one that waits, not sit leased ahead while it waits it out.
    await using storage = open(name(), { readTimeout: 5 });
    await storage.enqueueMany([{ data: bytes("first") }, { data: bytes("second") }]);
    const [waiting, ahead, more] = await Promise.all([
      storage.dequeue({ lease: 30 }),
      storage.dequeue({ lease: 30, wait: false }),
      storage.dequeue({ lease: 30, wait: false }),
    ]);
    assert.deepEqual([dataText(waiting), dataText(ahead), dataText(more)], [
      "first",
      "second",
      null,
    ]);
  });

  test("postgres: a dequeue asked for first is served first, even by a later batch", async () => {
    // A worker's wait, then its leases ahead in the next batch: run side by side on two
    // connections, the later statement could lock every message first, and the wait would find
    // them all locked and wait out its readTimeout while they sit leased ahead.
    await using storage = open(name(), { readTimeout: 30 });
    for (let round = 0; round < 20; round++) {
      await storage.enqueueMany(["a", "b", "c"].map((item) => ({ data: bytes(item) })));
      const waiting = storage.dequeue({ lease: 30 });
      await Promise.resolve(); // the wait's batch goes out first
      const ahead = ["1", "2", "3"].map(() => storage.dequeue({ lease: 30, wait: false }));
      let timer: ReturnType<typeof setTimeout> | undefined;
      const stalled = new Promise<null>((resolve) => (timer = setTimeout(resolve, 5000, null)));
      const first = await Promise.race([waiting, stalled]);
      clearTimeout(timer);
      assert.equal(dataText(first), "a", `round ${round}: the wait got its message at once`);
      const rest = (await Promise.all(ahead)).map((delivery) => dataText(delivery));
      assert.deepEqual(rest, ["b", "c", null], `round ${round}`);
      await storage.flushQueue();
    }
  });

  test("postgres: finishes made together share one statement and keep their order", async () => {
    await using storage = open(name(), { blocking: false });
    await storage.enqueueMany([{ data: bytes("a") }, { data: bytes("b") }]);
    const [a, b] = [await storage.dequeue({ lease: 30 }), await storage.dequeue({ lease: 30 })];
    await Promise.all([
      storage.finish(a!.receipt, { result: { key: "stored-then-deleted", value: bytes("1") } }),
      storage.finish(null, { deleteKeys: ["stored-then-deleted", "deleted-then-stored"] }),
      storage.finish(b!.receipt, { result: { key: "deleted-then-stored", value: bytes("2") } }),
      storage.finish(null, { result: { key: "deleted-then-stored", value: bytes("3") } }),
    ]);
    assert.equal(await storage.peekData("stored-then-deleted"), null);
    assert.equal(text(await storage.peekData("deleted-then-stored")), "3");
    assert.equal(await storage.queueSize(), 0);
    await storage.release(a!.receipt!);
    assert.equal(await storage.queueSize(), 0, "both were acknowledged");
  });

  test("postgres: an aborted blocking dequeue resolves to null, and so does one cut by close", async () => {
    const storage = open(name(), { readTimeout: 60 });
    await storage.queueSize();
    const controller = new AbortController();
    const aborted = storage.dequeue({ signal: controller.signal });
    await delay(200);
    controller.abort();
    assert.equal(await aborted, null);
    const cut = storage.dequeue();
    await delay(200);
    await storage.close();
    assert.equal(await cut, null);
  });

  test("postgres: a blocking dequeue resolves to null after readTimeout", async () => {
    await using storage = open(name(), { readTimeout: 0.3 });
    assert.equal(await storage.dequeue({ lease: 5 }), null);
  });

  test("postgres: waitForData is woken by another client's write, and times out", async () => {
    const queue = name();
    await using waiter = open(queue);
    await using writer = open(queue);
    assert.equal(await waiter.waitForData("absent", 200), false);
    const waiting = waiter.waitForData("task-1", 30_000);
    await delay(300);
    await writer.finish(null, { result: { key: "task-1", value: bytes("42") } });
    assert.equal(await waiting, true);
    const forever = waiter.waitForData("task-4", Infinity);
    await delay(100);
    await writer.putData("task-4", bytes("1"));
    assert.equal(await forever, true, "an Infinity timeout waits until the write");
    await writer.putData("task-2", bytes("1"));
    assert.equal(await waiter.waitForData("task-2", 10), true, "already there");
    const controller = new AbortController();
    const aborted = waiter.waitForData("task-3", 30_000, controller.signal);
    controller.abort();
    assert.equal(await aborted, false);
  });

  test("postgres: the keys a statement stores are one notification, not one per key", async () => {
    const queue = name();
    await using storage = open(queue, { blocking: false });
    await storage.enqueueMany(["a", "b", "c"].map((item) => ({ data: bytes(item) })));
    const deliveries = await Promise.all([1, 2, 3].map(() => storage.dequeue({ lease: 30 })));
    const payloads = await notified(queue, async () => {
      // Made together: one statement stores the three results.
      await Promise.all(deliveries.map((delivery, i) => {
        return storage.finish(delivery!.receipt, { result: { key: `r${i}`, value: bytes("v") } });
      }));
      await storage.putData("r0", bytes("again")); // an update notifies too
    });
    assert.deepEqual(payloads.map((payload) => payload[0]), ["K", "K"]);
    assert.deepEqual(JSON.parse(payloads[0].slice(1)).sort(), ["r0", "r1", "r2"]);
    assert.deepEqual(JSON.parse(payloads[1].slice(1)), ["r0"]);
  });

  test("postgres: a statement's long keys are notified in payloads under 8000 bytes", async () => {
    const queue = name();
    await using storage = open(queue, { blocking: false });
    const keys = ["a", "b", "c", "d", "e"].map((letter) => letter.repeat(3000));
    // Its JSON text (escapes) is too long to notify: stored all the same, not notified.
    const escaped = "\u0001".repeat(1000);
    await storage.queueSize(); // creates the tables
    const payloads = await notified(queue, async () => {
      await inspecting(async (sql) => {
        await sql.unsafe(
          `INSERT INTO "${queue}".kv (key, value)
          SELECT key, '\\x00' FROM unnest($1::text[]) AS key`,
          [[...keys, escaped]],
        );
      });
    });
    assert.ok(payloads.length >= 2, `${payloads.length} payload(s)`);
    for (const payload of payloads) assert.ok(new TextEncoder().encode(payload).length < 8000);
    const notifiedKeys = payloads.flatMap((payload) => JSON.parse(payload.slice(1)) as string[]);
    assert.deepEqual(notifiedKeys.sort(), keys);
    assert.equal(await storage.hasDataForKey(escaped), true);
  });

  test("postgres: a key too long for a NOTIFY payload is stored all the same", async () => {
    await using storage = open(name());
    const key = "k".repeat(9000);
    await storage.putData(key, bytes("v"));
    await storage.finish(null, { result: { key, value: bytes("w") } });
    assert.equal(text(await storage.peekData(key)), "w");
    assert.equal(await storage.waitForData(key, 10), true);
    // Not notified: a waiter without a timeout looks again every few seconds.
    const other = "o".repeat(9000);
    const waiting = storage.waitForData(other, Infinity);
    await delay(100);
    await storage.putData(other, bytes("x"));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stuck = new Promise<string>((resolve) => (timer = setTimeout(resolve, 30_000, "stuck")));
    assert.equal(await Promise.race([waiting, stuck]), true);
    clearTimeout(timer);
  });

  test("postgres: counters add atomically across clients and restart after their ttl", async () => {
    const queue = name();
    const clients = [open(queue), open(queue), open(queue)];
    try {
      const adds = clients.flatMap((client) =>
        Array.from({ length: 30 }, () => client.incr("hits"))
      );
      const values = await Promise.all(adds);
      assert.deepEqual(values.sort((a, b) => a - b), Array.from({ length: 90 }, (_, i) => i + 1));
      assert.equal(await clients[0].incr("hits", -10), 80);
      assert.equal(await clients[0].incr("window", 5, { ttl: 0.3 }), 5);
      assert.equal(await clients[1].incr("window", 1, { ttl: 0.3 }), 6);
      await delay(500);
      assert.equal(await clients[2].incr("window", 1, { ttl: 0.3 }), 1, "a new window");
      assert.equal(await clients[0].deleteCounter("hits"), true);
      assert.equal(await clients[0].deleteCounter("hits"), false);
      assert.equal(await clients[0].incr("hits"), 1);
      assert.equal(await clients[0].resultStoreSize(), 0, "counters are not keys");
      await assert.rejects(clients[0].incr("hits", 1.5), ConfigurationError);
    } finally {
      await Promise.all(clients.map((client) => client.close()));
    }
  });

  test("postgres: member sets count each member once across clients, and expire", async () => {
    const queue = name();
    const clients = [open(queue), open(queue), open(queue)];
    try {
      const adds = clients.flatMap((client) =>
        Array.from({ length: 20 }, (_, i) => client.addMember("chord", `task-${i}`))
      );
      const sizes = await Promise.all(adds);
      assert.equal(Math.max(...sizes), 20);
      assert.equal(sizes.filter((size) => size === 20).length >= 1, true);
      assert.equal(await clients[0].addMember("chord", "task-0"), 20);
      assert.equal(await clients[0].addMember("short", "a", { ttl: 0.3 }), 1);
      assert.equal(await clients[1].addMember("short", "b", { ttl: 0.3 }), 2);
      await delay(500);
      assert.equal(await clients[2].addMember("short", "c", { ttl: 0.3 }), 1, "a new set");
      assert.equal(await clients[0].deleteMembers("chord"), true);
      assert.equal(await clients[0].deleteMembers("chord"), false);
      assert.equal(await clients[0].addMember("chord", "task-0"), 1);
      assert.equal(await clients[0].resultStoreSize(), 0, "member sets are not keys");
    } finally {
      await Promise.all(clients.map((client) => client.close()));
    }
  });

  test("postgres: enqueueOnce schedules items with an eta, and deleteMarker lets it enqueue again", async () => {
    const queue = name();
    await using storage = open(queue, { blocking: false });
    const eta = Date.now() + 60_000;
    const items = [{ data: bytes("now"), priority: 1 }, { data: bytes("later"), eta }];
    assert.equal(await storage.enqueueOnce("unique", items, { ttl: 60 }), true);
    assert.equal(await storage.enqueueOnce("unique", items, { ttl: 60 }), false);
    assert.equal(await storage.queueSize(), 1);
    assert.deepEqual((await storage.scheduledItems()).map(text), ["later"]);
    assert.deepEqual((await storage.moveDue(eta, 10)).map(text), ["later"]);
    assert.equal(await storage.deleteMarker("unique"), true);
    assert.equal(await storage.deleteMarker("unique"), false);
    assert.equal(await storage.enqueueOnce("unique", [], { ttl: 0.2 }), true);
    await delay(400);
    assert.equal(await storage.deleteMarker("unique"), false, "an expired marker is not set");
    assert.equal(await storage.enqueueOnce("unique", [{ data: bytes("x") }], { ttl: 60 }), true);
    assert.equal(await storage.queueSize(), 3);
    assert.equal(await storage.resultStoreSize(), 0, "markers are not keys");
  });

  test("postgres: operations reject clearly while PostgreSQL is down and work again after it returns", async () => {
    const queue = name();
    await using storage = open(queue, { readTimeout: 0.2 });
    await storage.enqueue(bytes("before"));
    const unreachable = new RegExp(`PostgreSQL is unreachable at 127\\.0\\.0\\.1:${server!.port}`);
    await server!.stop();
    try {
      await assert.rejects(storage.enqueue(bytes("while down")), (error: Error) => {
        assert.ok(error instanceof HueyError, String(error));
        assert.match(error.message, unreachable);
        return true;
      });
      await assert.rejects(storage.dequeue(), unreachable);
    } finally {
      await server!.start();
    }
    await eventually(() => storage.queueSize());
    await storage.enqueue(bytes("after"));
    assert.equal(dataText(await storage.dequeue()), "before");
    assert.equal(dataText(await storage.dequeue({ lease: 5 })), "after");
    // The listener is back too: a blocked dequeue is woken by an enqueue.
    await using slow = open(queue, { readTimeout: 30 });
    await eventually(async () => {
      const waiting = slow.dequeue();
      await delay(100);
      await storage.enqueue(bytes("woken"));
      assert.equal(dataText(await waiting), "woken");
    });
  });

  test("postgres: the first operation rejects clearly when nothing listens", async () => {
    const port = await freePort();
    await using storage = new PostgresStorage(name(), { url: `postgres://127.0.0.1:${port}/x` });
    await assert.rejects(
      storage.queueSize(),
      new RegExp(`PostgreSQL is unreachable at 127\\.0\\.0\\.1:${port}`),
    );
    await assert.rejects(storage.enqueue(bytes("x")), /PostgreSQL is unreachable/);
  });

  test("postgres: an unknown database is a ConfigurationError", async () => {
    await using storage = new PostgresStorage(name(), {
      url: `postgres://postgres@127.0.0.1:${server!.port}/no_such_database`,
    });
    await assert.rejects(storage.queueSize(), (error: Error) => {
      assert.ok(error instanceof ConfigurationError, String(error));
      assert.match(error.message, /PostgreSQL at 127\.0\.0\.1:\d+ refused the connection/);
      return true;
    });
  });

  test("postgres: a postgres.js instance passed as `sql` is used and left open", async () => {
    const sql = postgres(server!.url, { onnotice: () => {} });
    try {
      const queue = name();
      const storage = new PostgresStorage(queue, { sql, readTimeout: 0.2 });
      assert.equal(storage.location, `127.0.0.1:${server!.port}`);
      await storage.enqueue(bytes("job"));
      assert.equal(dataText(await storage.dequeue()), "job");
      assert.equal(await storage.dequeue(), null);
      await storage.close();
      const [row] = await sql.unsafe(`SELECT count(*)::int AS n FROM "${queue}".task`);
      assert.equal(row.n, 0);
    } finally {
      await sql.end({ timeout: 1 });
    }
  });

  test("postgres: statements first run on a small table read it by its index once it has grown", async () => {
    const queue = name();
    const table = `"${queue}".kv`;
    const storage = open(queue, { blocking: false });
    let statements = 0;
    /** A finish that deletes a key (a list of keys: `key = ANY($1)`) and a read of two keys. */
    const round = async (n: number): Promise<void> => {
      const result = { key: `kept-${n}`, value: bytes("v") };
      await storage.finish(null, { deleteKeys: [`gone-${n}`], result });
      assert.deepEqual((await storage.peekMany([`kept-${n}`, `missing-${n}`])).map(text), [
        "v",
        null,
      ]);
      statements += 2;
    };
    try {
      await storage.queueSize(); // creates the schema
      await inspecting(async (sql) => {
        // Empty and analyzed so, never analyzed again: a plan cached now reads it whole.
        await sql.unsafe(`ALTER TABLE ${table} SET (autovacuum_enabled = off)`);
        await sql.unsafe(`VACUUM ANALYZE ${table}`);
      });
      for (let n = 0; n < 8; n++) await round(n);
      await inspecting(async (sql) => {
        await sql.unsafe(
          `INSERT INTO ${table} (key, value) ` +
            "SELECT 'filler-' || n, '\\x00'::bytea FROM generate_series(1, 20000) AS n",
        );
      });
      for (let n = 8; n < 28; n++) await round(n);
    } finally {
      await storage.close(); // its connections end, and report their scans
    }
    await inspecting(async (sql) => {
      const scans = await until(async () => {
        const [row] = await sql`SELECT seq_scan::int AS seq, idx_scan::int AS idx,
            seq_tup_read::int AS read FROM pg_stat_user_tables
          WHERE schemaname = ${queue} AND relname = 'kv'`;
        return row && row.seq + row.idx >= statements ? row : null;
      });
      // A sequential scan of the grown table reads its 20,000 rows; before it grew, it held 8.
      assert.ok(scans.read < 20_000, `sequential scans read ${scans.read} rows`);
    });
  });
}

/** Runs `attempt` until it gives a truthy value, for up to 30 s. */
async function until<T>(attempt: () => Promise<T | null | undefined | false>): Promise<T> {
  for (let tries = 0;; tries++) {
    const value = await attempt();
    if (value) return value;
    assert.ok(tries < 300, "the condition never came true");
    await delay(100);
  }
}

function registerEventTests(): void {
  test("postgres: finish appends its events in its one statement, also with a stale receipt", async () => {
    const queue = name();
    const statements: string[] = [];
    const sql = postgres(server!.url, {
      onnotice: () => {},
      debug: (_connection: number, query: string) => statements.push(query),
    });
    try {
      await using storage = new PostgresStorage(queue, {
        sql: sql as PostgresSql,
        blocking: false,
      });
      await storage.enqueue(bytes("job"));
      const stale = (await storage.dequeue({ lease: 0.2 }))!;
      // The lease expires and the message is delivered again: the first receipt is stale.
      const current = await until(() => storage.dequeue({ lease: 30 }));
      statements.length = 0;
      const events = { items: ["e1", "e2"], maxLength: 100 };
      const result = { key: "outcome", value: bytes("done") };
      await storage.finish(stale.receipt, { result, events });
      assert.equal(statements.length, 1, statements.join("\n"));
      assert.match(statements[0], /INSERT INTO "[^"]+"\.event_log /);
      // As a finish without events: the outcome is stored, the stale receipt acks nothing.
      assert.equal(text(await storage.peekData("outcome")), "done");
      assert.deepEqual((await storage.readEvents({ limit: 10 })).map((e) => e.data), [
        "e1",
        "e2",
      ]);
      await storage.release(current.receipt!);
      assert.equal(await storage.queueSize(), 1, "the current delivery was still leased");
    } finally {
      await sql.end({ timeout: 1 });
    }
  });

  test("postgres: one client's events read back in call order, whatever connections its statements take", async () => {
    await using storage = open(name(), { blocking: false });
    const calls: Promise<void>[] = [];
    for (let index = 0; index < 300; index++) {
      const events = { items: [String(index)], maxLength: 1000 };
      calls.push(index % 3 === 0 ? storage.finish(null, { events }) : storage.addEvents(events));
      // Spread the calls over turns of the event loop: each turn's calls are one statement.
      if (index % 2 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(calls);
    const read = await storage.readEvents({ limit: 1000 });
    assert.deepEqual(
      read.map((event) => event.data),
      calls.map((_, index) => String(index)),
    );
  });

  test("postgres: events commit in seq order: a writer waits for the one that took the counter first", async () => {
    const queue = name();
    await using storage = open(queue, { blocking: false });
    await storage.addEvents({ items: ["first"], maxLength: 100 });
    const s = `"${queue}"`;
    const sql = postgres(server!.url, { onnotice: () => {}, max: 2 });
    try {
      let later: Promise<void> | undefined;
      await sql.begin(async (tx) => {
        // Another writer takes the counter and adds an event, and commits late.
        await tx.unsafe(`WITH c AS (UPDATE ${s}.event_counter SET last = last + 1 RETURNING last)
          INSERT INTO ${s}.event_log (seq, count, data) SELECT last, 1, 'late' FROM c`);
        later = storage.addEvents({ items: ["after"], maxLength: 100 });
        await until(async () => {
          const waiting = await sql`SELECT 1 FROM pg_stat_activity
            WHERE wait_event_type = 'Lock' AND query LIKE ${`%${queue}%event_counter%`}`;
          return waiting.length > 0;
        });
        const seen = await storage.readEvents({ after: "1", limit: 10 });
        assert.deepEqual(seen, [], "neither is visible while the first writer has not committed");
      });
      await later;
    } finally {
      await sql.end({ timeout: 1 });
    }
    const read = await storage.readEvents({ after: "1", limit: 10 });
    assert.deepEqual(read.map((event) => [event.seq, event.data]), [["2.0", "late"], [
      "3.0",
      "after",
    ]]);
  });

  test("postgres: a statement takes the event counter after its other writes: a writer blocked on them holds up no other's events", async () => {
    const queue = name();
    await using blocked = open(queue, { blocking: false });
    await using other = open(queue, { blocking: false });
    await blocked.putData("outcome", bytes("old"));
    const sql = postgres(server!.url, { onnotice: () => {}, max: 2 });
    try {
      let finishing: Promise<void> | undefined;
      await sql.begin(async (tx) => {
        // Another transaction holds the row of the key the finish stores its result under.
        await tx.unsafe(`SELECT 1 FROM "${queue}".kv WHERE key = 'outcome' FOR UPDATE`);
        const result = { key: "outcome", value: bytes("new") };
        finishing = blocked.finish(null, { result, events: { items: ["late"], maxLength: 100 } });
        await until(async () => {
          const waiting = await sql`SELECT 1 FROM pg_stat_activity
            WHERE wait_event_type = 'Lock' AND query LIKE ${`%${queue}%event_counter%`}`;
          return waiting.length > 0;
        });
        // The blocked statement has not taken the counter yet: another client's events go in.
        const events = { items: ["early"], maxLength: 100 };
        let added = false;
        const adding = other.addEvents(events).then(() => void (added = true));
        await until(() => Promise.resolve(added));
        await adding;
        assert.deepEqual((await other.readEvents({ limit: 10 })).map((e) => e.data), ["early"]);
      });
      await finishing;
    } finally {
      await sql.end({ timeout: 1 });
    }
    assert.equal(text(await other.peekData("outcome")), "new");
    const read = await other.readEvents({ limit: 10 });
    assert.deepEqual(read.map((event) => [event.seq, event.data]), [["1.0", "early"], [
      "2.0",
      "late",
    ]]);
  });

  test("postgres: waitForEvents wakes on the NOTIFY of another client's events", async () => {
    const queue = name();
    await using waiter = open(queue);
    await using writer = open(queue, { blocking: false });
    const events = { items: ["e"], maxLength: 100 };
    assert.equal(await waiter.waitForEvents(null, 50), false, "an empty log");
    const first = waiter.waitForEvents(null, 60_000);
    await writer.addEvents(events);
    assert.equal(await first, true);
    const last = (await waiter.lastEventSeq())!;
    assert.equal(await waiter.waitForEvents(last, 50), false, "nothing after the newest");
    const second = waiter.waitForEvents(last, 60_000);
    await writer.finish(null, { events });
    assert.equal(await second, true);
    const controller = new AbortController();
    const aborted = waiter.waitForEvents((await waiter.lastEventSeq())!, 60_000, controller.signal);
    controller.abort();
    assert.equal(await aborted, false);
    await assert.rejects(waiter.waitForEvents("1-0", 10), ConfigurationError);
  });

  test("postgres: the event log keeps the newest maxLength events, by whole rows; at is the server's clock", async () => {
    const queue = name();
    await using storage = open(queue, { blocking: false });
    const before = Date.now();
    await storage.addEvents({ items: ["a", "b", "c", "d", "e"], maxLength: 3 });
    await storage.finish(null, { events: { items: ["f"], maxLength: 3 } });
    const read = await storage.readEvents({ limit: 10 });
    // A statement's events are one row, `seq` the event count after them; a row goes once its
    // events are all older than the newest maxLength.
    assert.deepEqual(read.map((event) => event.data), ["c", "d", "e", "f"]);
    assert.deepEqual(read.map((event) => event.seq), ["3.0", "3.1", "3.2", "4.0"]);
    for (const { at } of read) assert.ok(Math.abs(at - before) < 60_000, String(at));
    assert.equal((await storage.readEvents({ since: read[0].at, limit: 10 })).length, 4);
    assert.equal(await storage.lastEventSeq(), "4.0");
    await storage.addEvents({ items: ["g", "h"], maxLength: 3 });
    assert.deepEqual((await storage.readEvents({ limit: 10 })).map((event) => event.data), [
      "f",
      "g",
      "h",
    ]);
    await inspecting(async (sql) => {
      const rows = await sql.unsafe(`SELECT seq::int, count, data FROM "${queue}".event_log`);
      assert.deepEqual(rows.map((row) => [row.seq, row.count, row.data]), [[4, 1, "f"], [
        6,
        2,
        "g\nh",
      ]]);
    });
  });

  test("postgres: heartbeats expire on the server's clock, and expired rows are deleted", async () => {
    const queue = name();
    await using storage = open(queue, { blocking: false });
    await storage.putHeartbeat("gone", bytes("old"), 0.2);
    await storage.putHeartbeat("alive", bytes("new"), 60);
    await until(async () => (await storage.heartbeats()).length === 1);
    assert.deepEqual(texts(await storage.heartbeats()), ["new"]);
    await inspecting(async (sql) => {
      const rows = await sql.unsafe(`SELECT id FROM "${queue}".heartbeat`);
      assert.deepEqual(rows.map((row) => row.id), ["alive"]);
    });
    assert.equal(await storage.deleteHeartbeat("gone"), false);
    assert.equal(await storage.deleteHeartbeat("alive"), true);
    assert.deepEqual(await storage.heartbeats(), []);
  });
}
