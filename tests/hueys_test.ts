// Ported from huey's tests/test_wrappers.py: each Huey kind builds its own storage under the
// Huey's name; plus one full enqueue -> dequeue -> execute -> result trip on the real SQLite
// and file storages, and the black hole that discards everything.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Huey } from "../huey.ts";
import { BlackHoleHuey, FileHuey, MemoryHuey, SqliteHuey } from "../mod.ts";
import { BlackHoleStorage } from "../storage/blackhole.ts";
import { FileStorage } from "../storage/file.ts";
import { MemoryStorage } from "../storage/memory.ts";
import { SqliteStorage } from "../storage/sqlite.ts";
import { executeNext } from "./_helpers.ts";

const dir = mkdtempSync(join(tmpdir(), "huey-hueys-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function kinds(): [Huey, new (...args: never[]) => unknown][] {
  return [
    [new MemoryHuey("testhuey"), MemoryStorage],
    [new BlackHoleHuey("testhuey"), BlackHoleStorage],
    [new SqliteHuey("testhuey", { filename: join(dir, "kinds.db") }), SqliteStorage],
    [new FileHuey("testhuey", { path: join(dir, "kinds") }), FileStorage],
  ];
}

test("each Huey kind builds its storage under the Huey's name", async () => {
  for (const [huey, Storage] of kinds()) {
    assert.equal(huey.name, "testhuey");
    assert.equal(huey.storage.name, "testhuey");
    assert.ok(huey.storage instanceof Storage, Storage.name);
    await huey.close();
  }
});

test("a storage passed as an option wins over the kind's own", async () => {
  const storage = new MemoryStorage("given");
  const huey = new SqliteHuey("ignored", { storage });
  assert.equal(huey.storage, storage);
  await huey.close();
});

for (
  const [kind, make] of [
    ["SqliteHuey", () => new SqliteHuey("trip", { filename: join(dir, "trip.db") })],
    ["FileHuey", () => new FileHuey("trip", { path: join(dir, "trip") })],
  ] as const
) {
  test(`a task makes the full trip on ${kind}'s real storage`, async () => {
    await using huey = make();
    await huey.flush();
    const add = huey.task(function add(a: number, b: number) {
      return a + b;
    });
    const result = await add(1, 2);
    const scheduled = await add.schedule({ args: [2, 2], delay: 60 });
    assert.equal(await huey.pendingCount(), 2);
    assert.equal(await executeNext(huey), 3);
    assert.equal(await executeNext(huey), undefined);
    assert.equal(await result.get(), 3);
    assert.deepEqual((await huey.scheduled()).map((task) => task.id), [scheduled.id]);
    const [due] = await huey.readSchedule(new Date(Date.now() + 61_000));
    assert.equal(due.id, scheduled.id);
    await huey.enqueue(due);
    assert.equal(await executeNext(huey, new Date(Date.now() + 61_000)), 4);
    assert.equal(await scheduled.get(), 4);
    assert.equal(await huey.pendingCount(), 0);
    assert.equal(await huey.resultCount(), 0);
  });
}

test("a BlackHoleHuey accepts calls and keeps nothing", async () => {
  const huey = new BlackHoleHuey("void");
  const add = huey.task(function add(a: number, b: number) {
    return a + b;
  });
  const result = await add(1, 2);
  assert.equal(await huey.pendingCount(), 0);
  assert.equal(await huey.dequeue(), null);
  assert.equal(await result.get(), null);
  await huey.put("k", 1);
  assert.equal(await huey.get("k"), null);
  await huey.close();
});
