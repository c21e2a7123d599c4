import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileSignal, fileSignal } from "../../storage/_sqlite_wait.ts";
import { waitForEvent } from "../../storage/_event_wait.ts";

/** A watched file in a fresh folder, removed after `body`. */
async function withFile(body: (file: string) => Promise<void>): Promise<void> {
  const folder = mkdtempSync(join(tmpdir(), "huey-signal-"));
  const file = join(folder, "queue.db");
  writeFileSync(file, "");
  try {
    await body(file);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

// Deno ignores `persistent: false`: a watch left open keeps a process alive after the storage
// closed (a listener process once did not exit).
test("a wait that starts the file watch and then finds its event without sleeping ends the watch", async () => {
  await withFile(async (file) => {
    const wake = new FileSignal(file);
    let looks = 0;
    const found = await waitForEvent(
      { wake, hasEvent: () => ++looks === 2, closed: () => false },
      60_000,
    );
    assert.equal(found, true);
    assert.equal(looks, 2, "it looked again after the watch started");
    assert.equal(wake.watching, false, "no watch is left open");
  });
});

test("a wait that slept ends the watch when it wakes, and one left open ends with the last release", async () => {
  await withFile(async (file) => {
    const wake = new FileSignal(file);
    let added = false;
    const waiting = waitForEvent({ wake, hasEvent: () => added, closed: () => false }, 60_000);
    await new Promise((resolve) => setImmediate(resolve));
    added = true;
    wake.notify();
    assert.equal(await waiting, true);
    assert.equal(wake.watching, false);

    const first = fileSignal(file, file);
    const second = fileSignal(file, file);
    assert.equal(first.signal, second.signal, "one signal per file");
    assert.ok(first.signal.watch());
    first.release();
    assert.equal(second.signal.watching, true, "still used by the other storage");
    second.release();
    assert.equal(second.signal.watching, false, "the last release ends the watch");
  });
});
