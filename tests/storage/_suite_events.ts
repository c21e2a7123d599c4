/**
 * The conformance checks of the event log (`addEvents`, `readEvents`,
 * `lastEventSeq`, `waitForEvents`, `FinishOptions.events`) and of the
 * consumer heartbeats (`putHeartbeat`, `heartbeats`, `deleteHeartbeat`):
 * a capped log shared by every client of a queue, read in order after a
 * cursor or since a time, heartbeats that expire, both apart from the
 * key/value store and from other queue names.
 *
 * @module
 */
import assert from "node:assert/strict";
import { setTimeout as delay } from "node:timers/promises";
import { ConfigurationError } from "../../errors.ts";
import { decodeEvent } from "../../event.ts";
import { expandEventLines, pairsLine } from "../../storage/_event_lines.ts";
import type { Storage, StoredEvent } from "../../storage/base.ts";
import { finishOf } from "./_suite_finish.ts";
import { bytes, type Check, leased, text, texts } from "./_suite_helpers.ts";

/** What the event checks need to know of the backend. */
export interface EventFeatures {
  /**
   * How many events beyond `maxLength` the log may keep (Redis trims a
   * stream approximately); 0 checks the cap exactly.
   */
  readonly eventsSlack: number;
}

/** How many concurrent `addEvents` calls the atomicity check makes, spread over several clients. */
const CALLS = 60;
const CLIENTS = 3;
/** A generous deadline for conditions a loaded machine may be slow to reach, in ms. */
const DEADLINE = 20_000;
/** Enough room for any read of these checks. */
const ALL = 10_000;

/** The events' payloads as texts. */
function payloads(events: StoredEvent[]): string[] {
  return events.map((event) => event.data);
}

/** Adds events one by one (each its own call), `maxLength` each. */
async function addEach(storage: Storage, items: string[], maxLength: number): Promise<void> {
  for (const item of items) await storage.addEvents({ items: [item], maxLength });
}

/** Polls `condition` until it holds; fails after {@linkcode DEADLINE}. */
async function eventually(what: string, condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + DEADLINE;
  while (!(await condition())) {
    assert.ok(Date.now() < deadline, `timed out waiting until ${what}`);
    await delay(20);
  }
}

/** Asserts that a call rejects with a `ConfigurationError` naming `option`. */
async function refuses(call: () => Promise<unknown>, option: string): Promise<void> {
  await assert.rejects(
    call(),
    (error: Error) => error instanceof ConfigurationError && error.message.includes(`'${option}'`),
  );
}

/**
 * Registers the checks of the event log and the heartbeats.
 *
 * @param check Registers one check.
 * @param features What the backend under test does.
 */
export function eventChecks(check: Check, features: EventFeatures): void {
  const { eventsSlack } = features;

  check("a new queue has an empty event log and no heartbeats", async ({ open }) => {
    const storage = await open();
    assert.deepEqual(await storage.readEvents({ limit: 10 }), []);
    assert.deepEqual(await storage.readEvents({ since: 0, limit: 10 }), []);
    assert.equal(await storage.lastEventSeq(), null);
    assert.deepEqual(await storage.heartbeats(), []);
    assert.equal(await storage.deleteHeartbeat("missing"), false);
  });

  check("one client's events read back in the order of its addEvents and finish calls", async ({
    open,
  }) => {
    const [storage, reader] = await Promise.all([open(), open()]);
    const before = Date.now();
    await storage.enqueue(bytes("job"));
    const { receipt } = await leased(storage, 30);
    await storage.addEvents({ items: ["a", "b"], maxLength: 100 });
    await finishOf(storage)(receipt, {
      result: { key: "result", value: bytes("done") },
      events: { items: ["c"], maxLength: 100 },
    });
    await storage.addEvents({ items: ["d"], maxLength: 100 });
    await finishOf(storage)(null, { events: { items: ["e", "f"], maxLength: 100 } });
    await Promise.all([
      storage.addEvents({ items: ["g"], maxLength: 100 }),
      finishOf(storage)(null, { events: { items: ["h"], maxLength: 100 } }),
      storage.addEvents({ items: ["i", "j"], maxLength: 100 }),
    ]);
    const events = await reader.readEvents({ limit: ALL });
    assert.deepEqual(payloads(events), ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"]);
    assert.equal(new Set(events.map((event) => event.seq)).size, events.length, "unique seqs");
    for (const event of events) {
      assert.equal(typeof event.seq, "string");
      assert.ok(Math.abs(event.at - before) < 3600_000, `at ${event.at} is a time near now`);
    }
    assert.equal(await reader.lastEventSeq(), events.at(-1)!.seq);
    assert.equal(text(await reader.peekData("result")), "done", "finish stored its result too");
    assert.equal(await reader.queueSize(), 0, "and acked");
  });

  check("events keep any JSON text, and an empty batch adds nothing", async ({
    open,
  }) => {
    const storage = await open();
    // Events are JSON texts: escaped control characters, quotes, any Unicode; no raw ones.
    const odd = ['{"a":"\\n\\u0000\\r"}', 'é 😀 "quoted" \\ and \'', "", " "];
    await storage.addEvents({ items: [], maxLength: 10 });
    await finishOf(storage)(null, { events: { items: [], maxLength: 10 } });
    assert.equal(await storage.lastEventSeq(), null);
    await storage.addEvents({ items: odd, maxLength: 10 });
    await finishOf(storage)(null, { events: { items: [""], maxLength: 10 } });
    const events = await storage.readEvents({ limit: 10 });
    assert.deepEqual(events.map((event) => event.data), [...odd, ""]);
    await refuses(() => storage.addEvents({ items: ["a\nb"], maxLength: 10 }), "items");
  });

  check(`addEvents and finish keep at most maxLength events (+${eventsSlack}), the newest`, async ({
    open,
  }) => {
    const [storage, other] = await Promise.all([open(), open()]);
    /** Checks the log keeps `newest` last, and between its length and the slack more. */
    const kept = async (newest: string[]): Promise<void> => {
      const events = payloads(await other.readEvents({ limit: ALL }));
      assert.ok(events.length <= newest.length + eventsSlack, `${events.length} kept`);
      assert.deepEqual(events.slice(-newest.length), newest);
      if (eventsSlack === 0) assert.deepEqual(events, newest);
    };
    const many = Array.from({ length: 3 + eventsSlack + 5 }, (_, index) => `e${index}`);
    await addEach(storage, many, 3);
    await kept(many.slice(-3));
    const batch = Array.from({ length: eventsSlack + 4 }, (_, index) => `b${index}`);
    await other.addEvents({ items: batch, maxLength: 2 });
    await kept(batch.slice(-2));
    const finished = Array.from({ length: eventsSlack + 3 }, (_, index) => `f${index}`);
    await finishOf(storage)(null, { events: { items: finished, maxLength: 1 } });
    await kept(["f" + (eventsSlack + 2)]);
  });

  check("readEvents reads after a seq or since a time, at most limit, oldest first", async ({
    open,
  }) => {
    const storage = await open();
    await addEach(storage, ["a", "b", "c"], 100);
    const first = await storage.readEvents({ limit: ALL });
    assert.deepEqual(payloads(first), ["a", "b", "c"]);
    assert.deepEqual(payloads(await storage.readEvents({ limit: 2 })), ["a", "b"]);
    const newest = Math.max(...first.map((event) => event.at));
    await eventually(
      "the clock passed the first events",
      () => Promise.resolve(Date.now() > newest + 2),
    );
    await storage.addEvents({ items: ["d", "e"], maxLength: 100 });
    await storage.addEvents({ items: ["f"], maxLength: 100 });
    const all = await storage.readEvents({ limit: ALL });
    assert.deepEqual(payloads(all), ["a", "b", "c", "d", "e", "f"]);
    const [, second, , fourth] = all;
    const read = async (options: { after?: string; since?: number; limit: number }) =>
      payloads(await storage.readEvents(options));
    assert.deepEqual(await read({ after: second.seq, limit: ALL }), ["c", "d", "e", "f"]);
    assert.deepEqual(await read({ after: second.seq, limit: 2 }), ["c", "d"]);
    assert.deepEqual(await read({ after: all.at(-1)!.seq, limit: ALL }), []);
    assert.ok(fourth.at > newest, "added later");
    assert.deepEqual(await read({ since: fourth.at, limit: ALL }), ["d", "e", "f"]);
    assert.deepEqual(await read({ since: fourth.at, limit: 1 }), ["d"]);
    assert.deepEqual(await read({ since: 0, limit: ALL }), ["a", "b", "c", "d", "e", "f"]);
    assert.deepEqual(await read({ since: Date.now() + 3600_000, limit: ALL }), []);
    assert.deepEqual(
      await read({ after: fourth.seq, since: 0, limit: ALL }),
      ["e", "f"],
      "since is ignored when after is given",
    );
  });

  check(
    "a pairs line reads back as its executing and complete events, and counts as two a run",
    async ({
      open,
    }) => {
      const [storage, other] = await Promise.all([open(), open()]);
      const pair = pairsLine("h:1", { at: 1000, runs: ["t1", "add", 2, "3", 0, 250_000, 250] });
      const [executing, complete] = expandEventLines([pair]);
      await storage.addEvents({ items: ["a", pair, "b"], maxLength: 100 });
      await finishOf(storage)(null, { events: { items: [pair], maxLength: 100 } });
      const all = await other.readEvents({ limit: ALL });
      assert.deepEqual(payloads(all), ["a", executing, complete, "b", executing, complete]);
      assert.equal(new Set(all.map((event) => event.seq)).size, 6, "a seq each");
      assert.deepEqual(payloads(await other.readEvents({ after: all[1].seq, limit: 2 })), [
        complete,
        "b",
      ]);
      assert.deepEqual(payloads(await other.readEvents({ after: all[0].seq, limit: 1 })), [
        executing,
      ]);
      assert.equal(await other.lastEventSeq(), all[5].seq);
      const decoded = decodeEvent(all[2].seq, complete);
      assert.deepEqual([decoded.type, decoded.id, decoded.retries, decoded.at.getTime()], [
        "complete",
        "t1",
        2,
        1250,
      ]);
      // The cap counts a pair as two events: one kept of a pair is its complete event.
      await storage.addEvents({ items: ["c", pair], maxLength: 1 + eventsSlack });
      const kept = payloads(await other.readEvents({ limit: ALL }));
      assert.deepEqual(kept.slice(-1), [complete]);
      if (eventsSlack === 0) assert.deepEqual(kept, [complete]);
    },
  );

  check("a pairs line of several runs pages event by event", async ({ open }) => {
    const [storage, other] = await Promise.all([open(), open()]);
    const run = (id: string, index: number) => [id, "add", 0, "1", index, 1000, 1];
    const line = pairsLine("h:1", { at: 1000, runs: ["t1", "t2", "t3"].flatMap(run) });
    const events = expandEventLines([line]);
    assert.equal(events.length, 6);
    await finishOf(storage)(null, { events: { items: ["a", line], maxLength: 100 } });
    const paged: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await other.readEvents({ after, limit: 4 });
      if (page.length === 0) break;
      paged.push(...payloads(page));
      after = page.at(-1)!.seq;
    }
    assert.deepEqual(paged, ["a", ...events]);
    assert.equal(await other.lastEventSeq(), after);
    assert.deepEqual(
      events.map((text) => [JSON.parse(text).type, JSON.parse(text).id]),
      ["t1", "t2", "t3"].flatMap((id) => [["executing", id], ["complete", id]]),
    );
  });

  check("paging with after reads every event once, in order", async ({ open }) => {
    const storage = await open();
    const items = Array.from({ length: 23 }, (_, index) => `p${index}`);
    await storage.addEvents({ items: items, maxLength: 100 });
    const paged: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await storage.readEvents({ after, limit: 5 });
      if (page.length === 0) break;
      assert.ok(page.length <= 5);
      paged.push(...payloads(page));
      after = page.at(-1)!.seq;
    }
    assert.deepEqual(paged, items);
    assert.equal(await storage.lastEventSeq(), after);
  });

  check("seqs keep increasing after the log was emptied", async ({ open }) => {
    const storage = await open();
    await addEach(storage, ["old", "older"], 100);
    const last = await storage.lastEventSeq();
    assert.ok(last !== null);
    await storage.flushAll();
    assert.equal(await storage.lastEventSeq(), null);
    await storage.addEvents({ items: ["new"], maxLength: 100 });
    assert.deepEqual(payloads(await storage.readEvents({ after: last, limit: ALL })), ["new"]);
  });

  check("waitForEvents resolves true once an event follows, false on timeout or abort", async ({
    open,
  }) => {
    const [storage, other] = await Promise.all([open(), open()]);
    if (storage.waitForEvents === undefined) return;
    assert.equal(await storage.waitForEvents(null, 0), false, "an empty log times out");
    await storage.addEvents({ items: ["a"], maxLength: 100 });
    const last = (await storage.lastEventSeq())!;
    assert.equal(await storage.waitForEvents(null, 0), true, "any event");
    assert.equal(await storage.waitForEvents(last, 50), false, "times out");
    assert.equal(await storage.waitForEvents(last, DEADLINE, AbortSignal.abort()), false);
    const aborting = new AbortController();
    const aborted = storage.waitForEvents(last, DEADLINE, aborting.signal);
    await delay(50);
    aborting.abort();
    assert.equal(await aborted, false, "an abort ends the wait");
    const woken = storage.waitForEvents(last, DEADLINE);
    await delay(50);
    await other.addEvents({ items: ["b"], maxLength: 100 });
    assert.equal(await woken, true, "another client's event wakes it");
    const next = (await storage.lastEventSeq())!;
    const byFinish = storage.waitForEvents(next, DEADLINE);
    await delay(50);
    await finishOf(other)(null, { events: { items: ["c"], maxLength: 100 } });
    assert.equal(await byFinish, true, "finish's events wake it");
    assert.equal(await storage.waitForEvents(last, DEADLINE), true, "at once when one follows");
  });

  check("concurrent writers on several clients lose no event and get unique seqs", async ({
    open,
  }) => {
    const clients = await Promise.all(Array.from({ length: CLIENTS }, () => open()));
    await Promise.all(Array.from({ length: CALLS }, (_, index) => {
      const storage = clients[index % CLIENTS];
      const items = [`${index}a`, `${index}b`];
      return index % 2 === 0
        ? storage.addEvents({ items, maxLength: ALL })
        : finishOf(storage)(null, { events: { items, maxLength: ALL } });
    }));
    const events = await clients[0].readEvents({ limit: ALL });
    const seen = payloads(events);
    assert.equal(seen.length, CALLS * 2);
    assert.equal(new Set(events.map((event) => event.seq)).size, CALLS * 2, "unique seqs");
    for (let index = 0; index < CALLS; index++) {
      assert.ok(seen.indexOf(`${index}a`) < seen.indexOf(`${index}b`), `${index}: a then b`);
    }
    for (let client = 0; client < CLIENTS; client++) {
      const own = seen.filter((item) => Number.parseInt(item) % CLIENTS === client);
      const sorted = [...own].sort((x, y) => Number.parseInt(x) - Number.parseInt(y));
      assert.deepEqual(own, sorted, `client ${client}'s events in the order of its calls`);
    }
    assert.equal(await clients[1].lastEventSeq(), events.at(-1)!.seq);
  });

  check("heartbeats are shared by clients, replaced by id and deleted", async ({ open }) => {
    const [storage, other] = await Promise.all([open(), open()]);
    await storage.putHeartbeat("host:1", bytes("one"), 60);
    await other.putHeartbeat("host:2", bytes("two"), 60);
    assert.deepEqual(texts(await storage.heartbeats()).sort(), ["one", "two"]);
    await other.putHeartbeat("host:1", bytes("one again"), 60);
    assert.deepEqual(texts(await storage.heartbeats()).sort(), ["one again", "two"]);
    assert.equal(await storage.deleteHeartbeat("host:1"), true);
    assert.equal(await other.deleteHeartbeat("host:1"), false);
    assert.deepEqual(texts(await other.heartbeats()), ["two"]);
    const binary = new Uint8Array([0, 255, 10, 0]);
    await storage.putHeartbeat("odd id: \u00e9 /../%00", binary, 60);
    assert.deepEqual(
      (await other.heartbeats()).filter((record) => record.length === 4),
      [binary],
    );
    assert.equal(await other.deleteHeartbeat("odd id: \u00e9 /../%00"), true);
  });

  check("a heartbeat expires ttl seconds after it was last put", async ({ open }) => {
    const storage = await open();
    await storage.putHeartbeat("alive", bytes("alive"), 60);
    await storage.putHeartbeat("dying", bytes("dying"), 0.2);
    await eventually("the heartbeat expired", async () => {
      return !texts(await storage.heartbeats()).includes("dying");
    });
    assert.deepEqual(texts(await storage.heartbeats()), ["alive"]);
    assert.equal(await storage.deleteHeartbeat("dying"), false, "an expired one is gone");
    await storage.putHeartbeat("alive", bytes("renewed"), 0.2);
    await eventually("the renewed heartbeat expired", async () => {
      return (await storage.heartbeats()).length === 0;
    });
  });

  check("events and heartbeats are apart from the key/value store; flushAll empties them", async ({
    open,
  }) => {
    const storage = await open();
    await storage.addEvents({ items: ["event"], maxLength: 10 });
    await storage.putHeartbeat("host:1", bytes("beat"), 60);
    assert.equal(await storage.resultStoreSize(), 0);
    assert.equal((await storage.resultItems()).size, 0);
    assert.equal(await storage.peekData("host:1"), null);
    await storage.flushResults();
    await storage.flushQueue();
    await storage.purgeFailures();
    assert.equal((await storage.readEvents({ limit: 10 })).length, 1);
    assert.equal((await storage.heartbeats()).length, 1);
    await storage.flushAll();
    assert.deepEqual(await storage.readEvents({ limit: 10 }), []);
    assert.equal(await storage.lastEventSeq(), null);
    assert.deepEqual(await storage.heartbeats(), []);
  });

  check("separate queue names keep separate events and heartbeats", async ({ open, newName }) => {
    const mine = await open();
    const other = await open(newName());
    await mine.addEvents({ items: ["mine"], maxLength: 10 });
    await mine.putHeartbeat("host:1", bytes("beat"), 60);
    assert.deepEqual(await other.readEvents({ limit: 10 }), []);
    assert.equal(await other.lastEventSeq(), null);
    assert.deepEqual(await other.heartbeats(), []);
    assert.equal(await other.deleteHeartbeat("host:1"), false);
    await other.addEvents({ items: ["other"], maxLength: 1 });
    await other.flushAll();
    assert.deepEqual(payloads(await mine.readEvents({ limit: 10 })), ["mine"]);
    assert.equal((await mine.heartbeats()).length, 1);
  });

  check("a bad maxLength, limit, since, timeout or ttl is refused, naming it", async ({ open }) => {
    const storage = await open();
    await storage.enqueue(bytes("job"));
    const { receipt } = await leased(storage, 30);
    for (const maxLength of [0, -1, 1.5, Number.NaN]) {
      const events = { items: ["x"], maxLength };
      await refuses(() => storage.addEvents(events), "maxLength");
      await refuses(
        () => finishOf(storage)(receipt, { result: { key: "r", value: bytes("v") }, events }),
        "maxLength",
      );
    }
    assert.equal(await storage.lastEventSeq(), null);
    assert.equal(await storage.peekData("r"), null, "a refused finish changes nothing");
    await storage.release(receipt);
    assert.equal(await storage.queueSize(), 1, "a refused finish does not ack");
    for (const limit of [0, -1, 1.5, Number.NaN]) {
      await refuses(() => storage.readEvents({ limit }), "limit");
    }
    await refuses(() => storage.readEvents({ since: Number.NaN, limit: 1 }), "since");
    if (storage.waitForEvents !== undefined) {
      await refuses(() => storage.waitForEvents!(null, -1), "timeout");
    }
    for (const ttl of [0, -1, Number.NaN, Infinity]) {
      await refuses(() => storage.putHeartbeat("host:1", bytes("beat"), ttl), "ttl");
    }
    assert.deepEqual(await storage.heartbeats(), []);
  });
}
