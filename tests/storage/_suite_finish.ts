/**
 * The conformance checks of `finish` (a task's outcome stored and its
 * message acknowledged in one step) and of calls made together, which a
 * backend may answer in one round trip or transaction: each call still gets
 * its own answer.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { Storage } from "../../storage/base.ts";
import {
  bytes,
  type Check,
  type Features,
  leased,
  PAST_SHORT_LEASE,
  text,
  texts,
  wait,
} from "./_suite_helpers.ts";

/** The storage's `finish`; fails when the backend has none (every bundled one must). */
export function finishOf(storage: Storage): NonNullable<Storage["finish"]> {
  assert.equal(typeof storage.finish, "function", "every bundled storage has finish()");
  return storage.finish!.bind(storage);
}

/**
 * Registers the checks of `finish` and of concurrent calls.
 *
 * @param check Registers one check.
 * @param _features What the backend supports.
 */
export function finishChecks(check: Check, _features: Features): void {
  check(
    "finish removes the keys, stores the result and acknowledges the message",
    async ({ open }) => {
      const storage = await open();
      const other = await open();
      await storage.enqueue(bytes("job"));
      await storage.putData("r:job", bytes("revoked"));
      await storage.putData("kept", bytes("value"));
      const { receipt } = await leased(storage, 0.2);
      await finishOf(storage)(receipt, {
        deleteKeys: ["r:job"],
        result: { key: "job", value: bytes("42") },
      });
      assert.equal(await other.peekData("r:job"), null);
      assert.equal(text(await other.peekData("job")), "42");
      assert.equal(text(await other.peekData("kept")), "value");
      await wait(PAST_SHORT_LEASE);
      assert.equal(await other.queueSize(), 0);
      assert.equal(await other.dequeue({ lease: 0.2 }), null);
    },
  );

  check(
    "finish without a receipt only stores, and with nothing to store only acks",
    async ({ open }) => {
      const storage = await open();
      await storage.enqueue(bytes("job"));
      const { receipt } = await leased(storage, 30);
      const finish = finishOf(storage);
      await finish(null, { result: { key: "outcome", value: bytes("stored") } });
      assert.equal(text(await storage.peekData("outcome")), "stored");
      await finish(receipt, {});
      await storage.release(receipt);
      assert.equal(await storage.queueSize(), 0);
      await finish("unknown-receipt", { deleteKeys: ["missing"] });
      assert.equal(text(await storage.peekData("outcome")), "stored");
    },
  );

  check("calls made together each get their own answer", async ({ open }) => {
    const storage = await open();
    const sent = Array.from({ length: 12 }, (_, i) => `m-${i}`);
    await Promise.all(sent.map((item) => storage.enqueue(bytes(item))));
    assert.deepEqual(texts(await storage.enqueuedItems()), sent, "enqueued in call order");
    const deliveries = await Promise.all(sent.map(() => storage.dequeue({ lease: 30 })));
    const received = deliveries.map((delivery) => text(delivery?.data ?? null));
    assert.deepEqual([...received].sort(), [...sent].sort(), "each message delivered once");
    assert.equal(new Set(deliveries.map((delivery) => delivery?.receipt)).size, sent.length);
    await Promise.all(sent.map((item) => storage.putData(`r:${item}`, bytes("revoked"))));
    const finish = finishOf(storage);
    await Promise.all(deliveries.map((delivery, i) => {
      return finish(delivery!.receipt, {
        deleteKeys: [`r:${received[i]}`],
        result: { key: `k-${received[i]}`, value: bytes(`v-${received[i]}`) },
      });
    }));
    const values = await Promise.all(sent.map((item) => storage.peekData(`k-${item}`)));
    assert.deepEqual(values.map(text), sent.map((item) => `v-${item}`));
    const revoked = await Promise.all(sent.map((item) => storage.peekData(`r:${item}`)));
    assert.deepEqual(revoked, sent.map(() => null));
    assert.equal(await storage.queueSize(), 0);
  });

  check("dequeues made together beyond the queue's length get null", async ({ open }) => {
    const storage = await open();
    await storage.enqueueMany([{ data: bytes("a") }, { data: bytes("b") }]);
    const deliveries = await Promise.all([1, 2, 3].map(() => storage.dequeue({ lease: 30 })));
    const received = deliveries.map((delivery) => text(delivery?.data ?? null));
    assert.deepEqual(received.filter((item) => item !== null).sort(), ["a", "b"]);
    assert.equal(received.filter((item) => item === null).length, 1);
    for (const delivery of deliveries) if (delivery?.receipt) await storage.ack(delivery.receipt);
    await wait(PAST_SHORT_LEASE);
    assert.equal(await storage.queueSize(), 0);
  });
}
