// Our addition: the consumer turns Node's module compile cache on, for itself and the workers it
// starts (they inherit NODE_COMPILE_CACHE), unless Node's own switches say otherwise; Deno and Bun
// keep caches of their own and are left alone. The tests run in this order: Node's cache can be
// turned on once per process.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import module from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { pathToFileURL } from "node:url";
import { useCompileCache } from "../../consumer/compile_cache.ts";
import { runtime } from "../../_runtime.ts";

const folder = realpathSync(mkdtempSync(join(tmpdir(), "huey-compile-cache-")));
after(() => rmSync(folder, { recursive: true, force: true }));

const saved = {
  cache: process.env.NODE_COMPILE_CACHE,
  disable: process.env.NODE_DISABLE_COMPILE_CACHE,
};
after(() => {
  for (
    const [name, value] of [
      ["NODE_COMPILE_CACHE", saved.cache],
      ["NODE_DISABLE_COMPILE_CACHE", saved.disable],
    ] as const
  ) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

test("NODE_DISABLE_COMPILE_CACHE leaves the cache off", () => {
  process.env.NODE_DISABLE_COMPILE_CACHE = "1";
  process.env.NODE_COMPILE_CACHE = join(folder, "unused");
  assert.equal(useCompileCache(), undefined);
  assert.equal(existsSync(join(folder, "unused")), false);
  delete process.env.NODE_DISABLE_COMPILE_CACHE;
});

test(
  "on Node the cache is on in the folder NODE_COMPILE_CACHE names, and modules loaded next are kept there",
  { skip: runtime !== "node" && "Node only" },
  async () => {
    const cache = join(folder, "cache");
    process.env.NODE_COMPILE_CACHE = cache;
    const directory = useCompileCache();
    assert.ok(directory, "the cache is on");
    assert.equal(realpathSync(directory), realpathSync(cache));
    assert.equal(process.env.NODE_COMPILE_CACHE, directory, "workers started next inherit it");
    const source = join(folder, "loaded_next.mjs");
    writeFileSync(source, "export const answer = [1, 2, 3].map((n) => n * 14).at(-1);\n");
    const loaded = await import(pathToFileURL(source).href);
    assert.equal(loaded.answer, 42);
    (module as { flushCompileCache?: () => void }).flushCompileCache?.();
    const entries = readdirSync(directory, { recursive: true });
    assert.ok(entries.length > 0, "the compiled module is written to the cache");
  },
);

test("on Deno and Bun nothing is turned on and NODE_COMPILE_CACHE is left as it was", {
  skip: runtime === "node" && "Deno and Bun only",
}, () => {
  process.env.NODE_COMPILE_CACHE = join(folder, "elsewhere");
  assert.equal(useCompileCache(), undefined);
  assert.equal(process.env.NODE_COMPILE_CACHE, join(folder, "elsewhere"));
  assert.equal(existsSync(join(folder, "elsewhere")), false);
});
