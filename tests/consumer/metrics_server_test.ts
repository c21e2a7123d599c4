/**
 * The consumer's `--metrics [host:]port` (issue 13 item 4) in the test's own
 * process: the flag's values and errors, the option's, and the server a
 * consumer runs (GET /metrics, closed when the consumer stops, an address
 * that cannot be bound refused at start). The real CLI serving it is tested
 * in stats_test.ts.
 *
 * @module
 */
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { parseCommandLine, resolveConsumerOptions, UsageError } from "../../consumer/options.ts";
import { parseListenAddress } from "../../consumer/metrics_server.ts";
import { ConfigurationError, HueyError, MemoryHuey, METRICS_CONTENT_TYPE } from "../../mod.ts";
import { quietLogs } from "../_helpers.ts";
import { waitFor, withTimeout } from "./_consumer.ts";

const logs = quietLogs();
const FAST = { initialDelay: 0.01, maxDelay: 0.05 } as const;

test("--metrics takes [host:]port, the host 127.0.0.1 by default", () => {
  const address = (flag: string) =>
    resolveConsumerOptions(parseCommandLine(["app.ts", "--metrics", flag]).options).metrics;
  assert.deepEqual(address("9100"), { host: "127.0.0.1", port: 9100 });
  assert.deepEqual(address("0.0.0.0:9100"), { host: "0.0.0.0", port: 9100 });
  assert.deepEqual(address("localhost:0"), { host: "localhost", port: 0 });
  assert.deepEqual(address("[::1]:9100"), { host: "::1", port: 9100 });
  assert.equal(resolveConsumerOptions(parseCommandLine(["app.ts"]).options).metrics, null);
});

test("a bad --metrics value is an error naming the flag and the value", () => {
  for (const bad of ["abc", "70000", "host:", ":9100", "9100:host", "1.5", "::1:9100"]) {
    assert.equal(parseListenAddress(bad), null, bad);
    assert.throws(
      () => parseCommandLine(["app.ts", "--metrics", bad]),
      (error: Error) =>
        error instanceof UsageError && error.message.includes("--metrics") &&
        error.message.includes(`'${bad}'`) && error.message.includes("[host:]port"),
      bad,
    );
  }
  assert.throws(
    () => resolveConsumerOptions({ metrics: "nope" }),
    (error: Error) =>
      error instanceof ConfigurationError && /metrics/.test(error.message) &&
      error.message.includes("nope"),
  );
});

test("a consumer with metrics serves GET /metrics until it stops", async () => {
  const huey = new MemoryHuey("metrics-served");
  const add = huey.task(function add(a: number, b: number) {
    return a + b;
  });
  const consumer = huey.createConsumer({ ...FAST, workerType: "greenlet", metrics: "0" });
  const running = consumer.run();
  let url!: string;
  try {
    url = await waitFor(
      () => logs.map((line) => /Metrics served at (\S+)/.exec(line)?.[1]).find(Boolean),
      "the consumer to log its metrics URL",
    );
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const result = await add(1, 2);
    assert.equal(await result.get({ blocking: true, timeout: 30 }), 3);
    const response = await fetch(url);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), METRICS_CONTENT_TYPE);
    const page = await response.text();
    assert.match(page, /^huey_consumers 1$/m);
    assert.match(page, /^huey_queue_pending 0$/m);
    const elsewhere = await fetch(new URL("/other", url));
    assert.equal(elsewhere.status, 404);
    await elsewhere.body?.cancel();
    const posted = await fetch(url, { method: "POST" });
    assert.equal(posted.status, 405);
    await posted.body?.cancel();
  } finally {
    await consumer.stop();
    await withTimeout(running, "the consumer to stop");
  }
  await assert.rejects(fetch(url), "the server is closed once the consumer stopped");
});

test("a consumer whose metrics address is taken does not start", async () => {
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
  const { port } = taken.address() as AddressInfo;
  try {
    const huey = new MemoryHuey("metrics-taken");
    const consumer = huey.createConsumer({ workerType: "greenlet", metrics: `${port}` });
    await assert.rejects(
      withTimeout(consumer.run(), "the consumer to refuse to start"),
      (error: Error) =>
        error instanceof HueyError && error.message.includes(`127.0.0.1:${port}`) &&
        /cannot serve metrics/.test(error.message),
    );
  } finally {
    await new Promise((resolve) => taken.close(resolve));
  }
});
