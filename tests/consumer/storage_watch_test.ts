import { test } from "node:test";
import assert from "node:assert/strict";
import { HueyError } from "../../errors.ts";
import { isUnreachable } from "../../consumer/storage_watch.ts";

test("a storage that cannot be reached is told apart from other errors of a task's run", () => {
  assert.ok(isUnreachable(new HueyError("PostgreSQL is unreachable at 127.0.0.1:5432: gone")));
  assert.ok(isUnreachable(new HueyError("Redis is unreachable at 127.0.0.1:6379: ECONNREFUSED")));
  assert.equal(isUnreachable(new HueyError('unknown task "add"')), false);
  assert.equal(isUnreachable(new Error("boom")), false);
  assert.equal(isUnreachable("PostgreSQL is unreachable at x"), false, "only errors");
});
