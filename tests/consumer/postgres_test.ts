/**
 * The real CLI on PostgreSQL, with thread, process and greenlet workers.
 *
 * @module
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type PostgresServer, postgresSkip, startPostgres } from "../_postgres_server.ts";
import { FAST, inScenario, killAll, waitFor } from "./_consumer.ts";
import { consumerMatrix } from "./_matrix.ts";

let server: PostgresServer | undefined;

before(async () => {
  if (!postgresSkip) server = await startPostgres();
});
after(async () => {
  await killAll();
  await server?.remove();
});

for (const workerType of ["thread", "process", "greenlet"] as const) {
  consumerMatrix("PostgreSQL", workerType, {
    storage: () => ({ kind: "postgres", url: server!.url }),
    skip: postgresSkip,
  });
}

test("a consumer keeps going while PostgreSQL restarts, and runs the tasks enqueued after", {
  skip: postgresSkip,
}, () =>
  inScenario({ kind: "postgres", url: server!.url }, async ({ app, start, waitMarkers }) => {
    const consumer = start([...FAST, "-n", "-k", "thread", "-w", "2"]);
    await waitMarkers("startup", 2);
    const before = await app.add(1, 1);
    assert.equal(await before.get({ blocking: true, timeout: 60 }), 2);
    await server!.stop();
    await server!.start();
    // The producer's own pool rejects until it reconnects (as it should).
    const after = await waitFor(() => app.add(2, 2).catch(() => null), "the producer to reconnect");
    assert.equal(await after.get({ blocking: true, timeout: 60 }), 4);
    assert.deepEqual(await consumer.stop("SIGINT"), { code: 0, signal: null });
  }));

test("while PostgreSQL is down the consumer logs one line, one when it is back, no stacks", {
  skip: postgresSkip,
}, () =>
  inScenario({ kind: "postgres", url: server!.url }, async ({ app, start, waitMarkers }) => {
    const lines = (pattern: RegExp): string[] =>
      consumer.output().split("\n").filter((line) => pattern.test(line));
    const consumer = start([...FAST, "-k", "greenlet", "-w", "2", "-v"]);
    await waitMarkers("startup", 2);
    await server!.stop();
    try {
      await waitFor(() => lines(/Storage unavailable: /).length > 0, "the 'down' line");
      await waitFor(() => lines(/Storage still unavailable/).length >= 3, "three retries", 30_000);
    } finally {
      await server!.start();
    }
    await waitFor(() => lines(/Storage available again after/).length > 0, "the 'back' line");
    const result = await waitFor(() => app.add(2, 3).catch(() => null), "the producer");
    assert.equal(await result.get({ blocking: true, timeout: 60 }), 5);
    assert.deepEqual(await consumer.stop("SIGINT"), { code: 0, signal: null });
    const down = lines(/Storage unavailable: /);
    assert.equal(down.length, 1, down.join("\n"));
    const address = `127\\.0\\.0\\.1:${server!.port}`;
    assert.match(down[0], /WARNING:huey\.consumer:MainThread:Storage unavailable: .* failed: /);
    assert.match(down[0], new RegExp(`PostgreSQL is unreachable at ${address}`));
    assert.equal(lines(/Storage available again after/).length, 1);
    assert.deepEqual(lines(/ERROR:/), []);
    assert.deepEqual(lines(/^\s+at /), []);
  }));
