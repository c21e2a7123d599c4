import { test } from "node:test";
import assert from "node:assert/strict";
import { isTuple, tuple } from "../tuple.ts";

test("tuple() marks an array that isTuple() recognises", () => {
  const pair = tuple(1, "two");
  assert.ok(isTuple(pair));
  assert.deepEqual([...pair], [1, "two"]);
  assert.equal(isTuple([1, "two"]), false);
  assert.equal(isTuple("not an array"), false);
});

test("tuple() is frozen", () => {
  const pair = tuple(1, 2);
  assert.throws(() => (pair as unknown as number[]).push(3), TypeError);
});
