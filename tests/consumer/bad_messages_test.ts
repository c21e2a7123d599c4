/**
 * The real consumer CLI over poison messages (issue 10 items 2 and 3): wrongly typed
 * fields, bad tags, a pipeline whose next stage is unknown. Each goes to the dead letters
 * once, the good messages around them all run, and the consumer keeps going.
 *
 * @module
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { FAST, inScenario, killAll, waitFor } from "./_consumer.ts";
import { rawMessage as message } from "../_raw_messages.ts";

after(killAll);

test("the consumer CLI moves poison messages to the dead letters once each and keeps running the good ones", async () => {
  await inScenario({ kind: "sqlite" }, async ({ app, start }) => {
    const bad: [Uint8Array, RegExp][] = [
      [message("b1", { eta: '"2030-01-01"' }), /field 'eta'/],
      [message("b2", { eta: '{"$":"date","v":"tomorrow"}' }), /at eta$/],
      [message("b3", { retries: '"x"' }), /field 'retries'/],
      [message("b4", { priority: '"high"' }), /field 'priority'/],
      [message("b5", { timeout: "-1" }), /field 'timeout'/],
      [message("b6", { expiresResolved: '"soon"' }), /field 'expiresResolved'/],
      [message("b7", { args: '[{"$":"bytes","v":"!!!!"}]' }), /at args\[0\]$/],
      [
        message("b8", {
          onComplete: new TextDecoder().decode(message("b8-next")).replace("add", "gone"),
        }),
        /Unknown task "gone" \(next stage of "add"\)/,
      ],
    ];
    const good: string[] = [];
    for (const [i, [data]] of bad.entries()) {
      await app.huey.storage.enqueue(data);
      good.push((await app.add(i, 100)).id);
    }
    const consumer = start(["-w", "2", ...FAST]);
    for (const [i, id] of good.entries()) {
      assert.equal(await app.huey.result(id, { blocking: true, timeout: 30 }), i + 100);
    }
    const letters = await waitFor(async () => {
      const found = await app.huey.deadLetters();
      return found.length >= bad.length && found;
    }, `${bad.length} dead letters`);
    assert.equal(letters.length, bad.length, "each bad message once");
    for (const [data, reason] of bad) {
      const text = new TextDecoder().decode(data);
      const letter = letters.find((each) => new TextDecoder().decode(each.data) === text);
      assert.ok(letter, `dead-lettered: ${text}`);
      assert.match(letter.reason, reason);
    }
    // Still running: a message enqueued now runs too.
    const late = await app.add(7, 8);
    assert.equal(await late.get({ blocking: true, timeout: 30 }), 15);
    assert.equal(consumer.child.exitCode, null, "the consumer is still running");
    assert.equal(
      (await app.huey.deadLetters()).length,
      bad.length,
      "nothing was dead-lettered twice",
    );
    assert.equal((await consumer.stop("SIGINT")).code, 0);
  });
});

test("a pipeline whose next stage is unknown never runs, not even after the consumer is killed with SIGKILL and restarted", async () => {
  await inScenario({ kind: "sqlite" }, async ({ app, start, markers }) => {
    // The producer knew a task "gone" that the consumer's module does not register.
    const next = new TextDecoder().decode(message("p-next")).replace('"add"', '"gone"');
    await app.huey.storage.enqueue(
      message("p", { name: '"block"', args: '["p",0]', onComplete: next }),
    );
    const first = start(["-w", "2", ...FAST]);
    const letters = await waitFor(async () => {
      const found = await app.huey.deadLetters();
      return found.length >= 1 && found;
    }, "the pipeline's dead letter");
    assert.match(letters[0].reason, /Unknown task "gone" \(next stage of "block"\)/);
    await first.kill();

    const second = start(["-w", "2", ...FAST]);
    // A task due three lease timeouts (1 s each) from now: once it has run, any message left
    // unacknowledged by the first consumer would have come back and run meanwhile.
    const sentinel = await app.add.schedule({ args: [1, 1], delay: 3 });
    assert.equal(await sentinel.get({ blocking: true, timeout: 60 }), 2);
    assert.equal(
      markers().filter((line) => line === "block p").length,
      0,
      "the first stage never ran",
    );
    assert.equal((await app.huey.deadLetters()).length, 1, "dead-lettered once");
    assert.equal(await app.huey.pendingCount(), 0);
    assert.equal((await second.stop("SIGINT")).code, 0);
  }, { HUEY_TEST_LEASE: "1" });
});
