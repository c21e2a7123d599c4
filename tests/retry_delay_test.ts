// Issue 12 item 2 (SPEC §9): the delay before each retry — retryDelay grown by retryBackoff,
// spread by retryJitter, capped by retryDelayMax — and the checks of those settings wherever
// they are given. The random source is injected: no test depends on chance or on the clock.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ConfigurationError } from "../errors.ts";
import { checkRetryPolicy, retryDelayFor, type RetryPolicy } from "../retry_delay.ts";
import { Task } from "../task.ts";
import { MAX_SECONDS } from "../time.ts";
import { makeHuey } from "./_helpers.ts";

const POLICY: RetryPolicy = {
  retryDelay: 10,
  retryBackoff: 2,
  retryJitter: 0,
  retryDelayMax: null,
};

test("retry k waits retryDelay * retryBackoff ** (k - 1)", () => {
  assert.deepEqual([1, 2, 3, 4].map((k) => retryDelayFor(POLICY, k)), [10, 20, 40, 80]);
  const flat = { ...POLICY, retryBackoff: 1 };
  assert.deepEqual([1, 2, 3].map((k) => retryDelayFor(flat, k)), [10, 10, 10]);
  assert.equal(retryDelayFor({ ...POLICY, retryBackoff: 1.5 }, 3), 22.5);
});

test("retryJitter multiplies the delay by a factor from 1 - j to 1 + j", () => {
  const jittered = { ...POLICY, retryJitter: 0.5 };
  assert.equal(retryDelayFor(jittered, 1, () => 0), 5);
  assert.equal(retryDelayFor(jittered, 1, () => 0.5), 10);
  assert.equal(retryDelayFor(jittered, 2, () => 0.75), 25);
  const highest = retryDelayFor(jittered, 1, () => 1 - Number.EPSILON);
  assert.ok(highest < 15 && highest > 14.99, `got ${highest}`);
  let calls = 0;
  retryDelayFor(POLICY, 1, () => (calls++, 0));
  assert.equal(calls, 0, "no jitter, no random number drawn");
});

test("retryDelayMax caps the delay after the backoff and the jitter", () => {
  const capped = { ...POLICY, retryDelayMax: 30 };
  assert.deepEqual([1, 2, 3, 4].map((k) => retryDelayFor(capped, k)), [10, 20, 30, 30]);
  const jittered = { ...capped, retryJitter: 1 };
  assert.equal(retryDelayFor(jittered, 2, () => 0.99), 30, "39.6 before the cap");
  assert.equal(retryDelayFor(jittered, 3, () => 0.25), 20, "jitter first: 40 * 0.5");
});

test("a delay grown past 100 years stops there (a message could not hold a later time)", () => {
  assert.equal(retryDelayFor({ ...POLICY, retryBackoff: 10 }, 40), MAX_SECONDS);
  assert.equal(retryDelayFor({ ...POLICY, retryBackoff: 10 }, 5000), MAX_SECONDS);
  assert.equal(retryDelayFor({ ...POLICY, retryDelay: 0, retryBackoff: 3 }, 9), 0);
});

const BAD: [option: string, value: unknown, allowed: RegExp][] = [
  ["retryBackoff", 0.5, /a finite number >= 1/],
  ["retryBackoff", 0, /a finite number >= 1/],
  ["retryBackoff", Infinity, /a finite number >= 1/],
  ["retryBackoff", "2", /a finite number >= 1/],
  ["retryJitter", -0.1, /a number from 0 to 1/],
  ["retryJitter", 1.5, /a number from 0 to 1/],
  ["retryJitter", NaN, /a number from 0 to 1/],
  ["retryDelayMax", 0, /a number of seconds > 0/],
  ["retryDelayMax", -5, /a number of seconds > 0/],
  ["retryDelayMax", MAX_SECONDS * 2, /at most/],
  ["retryDelayMax", "60", /a number of seconds > 0/],
];

/** The ConfigurationError of a bad setting names the option, the value and what is allowed. */
function assertRejected(fn: () => unknown, option: string, value: unknown, allowed: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof ConfigurationError, String(error));
    assert.match(error.message, new RegExp(`'${option}'`));
    assert.match(error.message, allowed);
    assert.ok(error.message.includes(`got ${typeof value === "string" ? `"${value}"` : value}`));
    return true;
  });
}

test("a bad retryBackoff, retryJitter or retryDelayMax throws ConfigurationError in task(), withOptions() and schedule()", async () => {
  const huey = makeHuey();
  const ok = huey.task(function ok() {});
  for (const [option, value, allowed] of BAD) {
    assertRejected(() => checkRetryPolicy({ [option]: value }), option, value, allowed);
    assertRejected(
      () => huey.task(function bad() {}, { name: `bad-${option}`, [option]: value }),
      option,
      value,
      allowed,
    );
    assertRejected(() => ok.s().withOptions({ [option]: value }), option, value, allowed);
    assertRejected(
      () => ok.schedule({ delay: 1, [option]: value } as never),
      option,
      value,
      allowed,
    );
  }
  assert.equal(await huey.pendingCount(), 0);
  assert.equal(await huey.scheduledCount(), 0);
});

test("the backoff settings go from task() to each task, withOptions() and schedule() replace them", async () => {
  const huey = makeHuey();
  const flaky = huey.task(function flaky() {}, {
    retries: 3,
    retryDelay: 5,
    retryBackoff: 2,
    retryJitter: 0.1,
    retryDelayMax: 60,
  });
  const task = flaky.s();
  assert.deepEqual(
    [task.retryDelay, task.retryBackoff, task.retryJitter, task.retryDelayMax, task.retried],
    [5, 2, 0.1, 60, 0],
  );
  task.withOptions({ retryBackoff: 3, retryJitter: 0, retryDelayMax: null });
  assert.deepEqual([task.retryBackoff, task.retryJitter, task.retryDelayMax], [3, 0, null]);
  const result = await flaky.schedule({ delay: 60, retryBackoff: 1.5, retryDelayMax: 10 });
  const scheduled = await huey.dequeue(); // read back from its message
  assert.ok(scheduled);
  assert.equal(scheduled.id, result.id);
  assert.deepEqual([scheduled.retryBackoff, scheduled.retryJitter, scheduled.retryDelayMax], [
    1.5,
    0.1,
    10,
  ]);
  const plain = new Task({ name: "plain" });
  assert.deepEqual(
    [plain.retryBackoff, plain.retryJitter, plain.retryDelayMax, plain.retried],
    [1, 0, null, 0],
  );
});
