// Ported from huey's tests/test_api.py (test_put_get) and the verified key/value behaviours:
// put/get round-trips, destructive reads, putIfEmpty and delete share one namespace with
// results.
import { test } from "node:test";
import assert from "node:assert/strict";
import { tuple } from "../tuple.ts";
import { makeHuey } from "./_helpers.ts";

test("put() then get() round-trips every kind of value", async () => {
  const huey = makeHuey();
  const values: unknown[] = [
    "v1",
    1,
    1.5,
    0,
    null,
    [1, "two", null],
    tuple(1, 2),
    { a: 1, nested: { b: [2] } },
    new Set([1, 2]),
    new Map([["k", 1]]),
    new Date(Date.UTC(2030, 0, 1)),
    12345678901234567890n,
    new Uint8Array([1, 2, 3]),
  ];
  for (const value of values) {
    await huey.put("key", value);
    assert.deepEqual(await huey.get("key"), value);
  }
  await huey.put("key", undefined);
  assert.equal(await huey.get("key"), undefined);
});

test("get() removes the value unless peek is set, and gives null for a missing key", async () => {
  const huey = makeHuey();
  await huey.put("k", "v");
  assert.equal(await huey.get("k", { peek: true }), "v");
  assert.equal(await huey.get("k"), "v");
  assert.equal(await huey.get("k"), null);
  assert.equal(await huey.getRaw("k"), null);
});

test("putIfEmpty() stores only into an empty key; delete() reports whether there was one", async () => {
  const huey = makeHuey();
  assert.equal(await huey.putIfEmpty("k", "first"), true);
  assert.equal(await huey.putIfEmpty("k", "second"), false);
  assert.equal(await huey.get("k", { peek: true }), "first");
  assert.equal(await huey.delete("k"), true);
  assert.equal(await huey.delete("k"), false);
  assert.equal(await huey.delete("missing"), false);
});

test("user keys are counted with results and listed by allResults()", async () => {
  const huey = makeHuey();
  await huey.put("a", 1);
  await huey.put("b", 2);
  assert.equal(await huey.resultCount(), 2);
  const all = await huey.allResults();
  assert.deepEqual([...all.keys()].sort(), ["a", "b"]);
  assert.equal(huey.serializer.deserialize(all.get("a")!), 1);
});
