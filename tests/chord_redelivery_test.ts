// Beyond huey (issue 12 item 1): a chord member's end is recorded before its message is
// acknowledged, so a worker that dies at any step of it leaves the message leased; the message
// comes back when the lease runs out, and the chord's callback is still enqueued exactly once,
// with every member's value, and nothing the chord stored is left behind. Here the "death" is a
// storage step that fails once (the subprocess test in tests/consumer/chord_crash_test.ts kills a
// real consumer with SIGKILL).
import { test } from "node:test";
import assert from "node:assert/strict";
import { type EnqueueOnceOptions, Huey, MemoryStorage } from "../mod.ts";
import type { OnceItem } from "../storage/base.ts";
import { quietLogs } from "./_helpers.ts";

quietLogs();

/** The storage steps of a member's end, in order, that can fail. */
type Step = "putData" | "addMember" | "enqueueOnce" | "incr" | "deleteMembers" | "ack";

/** A memory storage with a clock the test moves, whose `step` fails the first time it is called for a chord. */
class FailingOnce extends MemoryStorage {
  failed = false;
  /** Set while the last member runs: its ack is the one that fails. */
  ackFails = false;
  readonly step: Step;
  readonly clock: { now: number };

  constructor(step: Step, clock = { now: Date.now() }) {
    super(`redelivery-${step}-${crypto.randomUUID()}`, { clock: () => clock.now });
    this.step = step;
    this.clock = clock;
  }

  #failOnce(step: Step, chordKey: boolean): void {
    if (step !== this.step || !chordKey || this.failed) return;
    this.failed = true;
    throw new Error(`the worker died at ${step}`);
  }

  override putData(key: string, value: Uint8Array): Promise<void> {
    this.#failOnce("putData", key.startsWith("chord:") && key.endsWith(":2"));
    return super.putData(key, value);
  }
  override addMember(key: string, member: string): Promise<number> {
    this.#failOnce("addMember", member === "2");
    return super.addMember(key, member);
  }
  override enqueueOnce(marker: string, items: readonly OnceItem[], options: EnqueueOnceOptions) {
    this.#failOnce("enqueueOnce", true);
    return super.enqueueOnce(marker, items, options);
  }
  override incr(key: string, by?: number, options?: { ttl?: number }): Promise<number> {
    this.#failOnce("incr", by === 1);
    return super.incr(key, by, options);
  }
  override deleteMembers(key: string): Promise<boolean> {
    this.#failOnce("deleteMembers", true);
    return super.deleteMembers(key);
  }
  override ack(receipt: string): Promise<void> {
    this.#failOnce("ack", this.ackFails);
    return super.ack(receipt);
  }
}

for (
  const step of ["putData", "addMember", "enqueueOnce", "incr", "deleteMembers", "ack"] as const
) {
  test(`a worker that dies at ${step} of the last member's end: the callback still runs exactly once`, async () => {
    const storage = new FailingOnce(step);
    const huey = new Huey(storage.name, { storage, leaseTimeout: 30 });
    const runs: number[][] = [];
    const incr = huey.task(function incr(n: number) {
      return n + 1;
    });
    const collect = huey.task(function collect(values: number[]) {
      runs.push(values);
      return values.length;
    });
    const result = await huey.enqueue(huey.chord([incr.s(1), incr.s(2), incr.s(3)], collect));
    const errors: unknown[] = [];
    // Two members end; the third's end fails at `step`; its lease runs out and it comes back.
    for (let round = 0; round < 3; round++) {
      while (true) {
        const task = await huey.dequeue();
        if (!task) break;
        storage.ackFails = task.name === "incr" && task.args[0] === 3;
        await huey.execute(task).catch((error) => errors.push(error));
      }
      storage.clock.now += 31_000;
    }
    assert.ok(storage.failed, `the step ${step} failed once`);
    assert.equal(errors.length, 1);
    assert.deepEqual(runs, [[2, 3, 4]], "the callback ran once, with every member's value");
    assert.equal(await result.get(), 3);
    assert.equal(await storage.queueSize(), 0);
    const left = [...(await storage.resultItems()).keys()].filter((key) =>
      key.startsWith("chord:")
    );
    assert.deepEqual(left, [], "no member outcome is left");
    const id = result.results.results[0].task.chord!.id;
    assert.equal(await storage.addMember(`chord:${id}`, "probe"), 1, "the member set is gone");
  });
}
