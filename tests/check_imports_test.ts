/**
 * The dependency rules of scripts/check_imports.ts (R1-R5, docs/architecture.md)
 * name the imports that break them, and let the allowed ones through.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { circles, type ImportEdge, importsOf, ruleBroken } from "../scripts/check_imports.ts";

const edge = (from: string, to: string): ImportEdge => ({ from, to, line: 1 });

test("only mod.ts and huey_kinds.ts may import huey.ts; consumer/ never does (R1, R3)", () => {
  assert.equal(ruleBroken(edge("mod.ts", "huey.ts")), null);
  assert.equal(ruleBroken(edge("huey_kinds.ts", "huey.ts")), null);
  assert.match(ruleBroken(edge("result.ts", "huey.ts"))!, /^R1:/);
  assert.match(ruleBroken(edge("consumer/worker_loop.ts", "huey.ts"))!, /^R3:/);
});

test("the core imports consumer/ only where huey.ts builds a Consumer (R2)", () => {
  assert.equal(ruleBroken(edge("huey.ts", "consumer/supervisor.ts")), null);
  assert.equal(ruleBroken(edge("consumer/supervisor.ts", "consumer/scheduler.ts")), null);
  assert.match(ruleBroken(edge("executor.ts", "consumer/host.ts"))!, /^R2:/);
});

test("storage/ imports only base.ts, its private modules, errors.ts and _options.ts (R4)", () => {
  for (const to of ["storage/base.ts", "storage/_redis_layout.ts", "errors.ts", "_options.ts"]) {
    assert.equal(ruleBroken(edge("storage/redis.ts", to)), null, to);
  }
  assert.match(ruleBroken(edge("storage/redis.ts", "storage/sqlite.ts"))!, /^R4:/);
  assert.match(ruleBroken(edge("storage/_redis_client.ts", "huey.ts"))!, /^R1:/);
  assert.match(ruleBroken(edge("storage/file.ts", "task.ts"))!, /^R4:/);
});

test("every import circle is found, type-only imports and self-imports included (R5)", () => {
  const source = [
    'import type { Huey } from "./huey.ts";',
    'export { x } from "./b.ts";',
    "/** @example",
    ' * import { Huey } from "./mod.ts";',
    " */",
    'const lazy = await import("./c.ts");',
  ].join("\n");
  assert.deepEqual(importsOf("a.ts", source).map((each) => [each.to, each.line]), [
    ["huey.ts", 1],
    ["b.ts", 2],
    ["c.ts", 6],
  ]);
  const found = circles([edge("a.ts", "b.ts"), edge("b.ts", "c.ts"), edge("c.ts", "a.ts")]);
  assert.deepEqual(found, [["a.ts", "b.ts", "c.ts"]]);
  assert.deepEqual(circles([edge("a.ts", "b.ts"), edge("b.ts", "c.ts")]), []);
  assert.deepEqual(circles([edge("a.ts", "a.ts")]), [["a.ts"]]);
});
