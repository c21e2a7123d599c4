import { test } from "node:test";
import assert from "node:assert/strict";
import { setImmediate } from "node:timers";
import { Batcher } from "../../storage/_batch.ts";

/** A run whose batches settle only when the test says so. */
function gated() {
  const batches: number[][] = [];
  const gates: (() => void)[] = [];
  const run = (inputs: number[]): Promise<number[]> => {
    batches.push(inputs);
    return new Promise((resolve) => gates.push(() => resolve(inputs.map((n) => n * 10))));
  };
  return { batches, gates, run };
}

/** Lets the turn end: the batcher's flush (queued earlier with setImmediate) runs first. */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test("a batcher sends the calls of one turn as one batch, in call order", async () => {
  const { batches, gates, run } = gated();
  const batcher = new Batcher(run);
  const answers = Promise.all([1, 2, 3].map((n) => batcher.call(n)));
  await turn();
  assert.deepEqual(batches, [[1, 2, 3]]);
  gates[0]();
  assert.deepEqual(await answers, [10, 20, 30]);
});

test("a serial batcher keeps one batch in flight; the calls made meanwhile go out together next", async () => {
  const { batches, gates, run } = gated();
  const batcher = new Batcher(run, { serial: true });
  const first = batcher.call(1);
  await turn();
  const later = [batcher.call(2)];
  await turn();
  later.push(batcher.call(3), batcher.call(4));
  await turn();
  assert.deepEqual(batches, [[1]], "nothing else goes out while the first batch is out");
  gates[0]();
  assert.equal(await first, 10);
  await turn();
  assert.deepEqual(batches, [[1], [2, 3, 4]], "one batch of every call made meanwhile");
  gates[1]();
  assert.deepEqual(await Promise.all(later), [20, 30, 40]);
});

test("a serial batcher goes on after a batch fails: its callers get the error, the next batch runs", async () => {
  const batches: number[][] = [];
  const batcher = new Batcher<number, number>((inputs) => {
    batches.push(inputs);
    return inputs.includes(1) ? Promise.reject(new Error("down")) : Promise.resolve(inputs);
  }, { serial: true });
  const failing = assert.rejects(batcher.call(1), /down/);
  await turn();
  const next = batcher.call(2);
  await failing;
  assert.equal(await next, 2);
  assert.deepEqual(batches, [[1], [2]]);
});
