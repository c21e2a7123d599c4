/**
 * What the real CLI says when its Redis goes away and comes back, when
 * Redis is not there yet at start-up, and when Redis refuses the
 * credentials: one line each, no stacks.
 *
 * @module
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { freePort, type RedisServer, redisSkip, startRedis } from "../_redis_server.ts";
import { FAST, inScenario, killAll, waitFor } from "./_consumer.ts";

after(killAll);

/** The lines of a consumer's output that match. */
function linesOf(output: string, pattern: RegExp): string[] {
  return output.split("\n").filter((line) => pattern.test(line));
}

const DOWN = /Storage unavailable: /;
const BACK = /Storage available again after \d+\.\d s/;
const STACK = /^\s+at /;

test(
  "while Redis is down the consumer logs one line, one when it is back, no stacks, and retries meanwhile",
  {
    skip: redisSkip,
  },
  async () => {
    let server: RedisServer | undefined = await startRedis();
    const { port, url } = server;
    try {
      await inScenario({ kind: "redis", url }, async ({ app, start, waitMarkers }) => {
        const consumer = start([...FAST, "-k", "greenlet", "-w", "2", "-v"]);
        await waitMarkers("startup", 2);
        await server!.stop();
        server = undefined;
        await waitFor(() => linesOf(consumer.output(), DOWN).length > 0, "the 'down' line");
        // Retries go on (DEBUG lines with -v) without another WARNING or ERROR line.
        await waitFor(
          () => linesOf(consumer.output(), /Storage still unavailable/).length >= 3,
          "three retries",
          30_000,
        );
        server = await startRedis({ port });
        await waitFor(() => linesOf(consumer.output(), BACK).length > 0, "the 'back' line", 30_000);
        const result = await waitFor(() => app.add(2, 3).catch(() => null), "the producer");
        assert.equal(await result.get({ blocking: true, timeout: 60 }), 5);
        assert.deepEqual(await consumer.stop("SIGINT"), { code: 0, signal: null });
        const output = consumer.output();
        const down = linesOf(output, DOWN);
        assert.equal(down.length, 1, down.join("\n"));
        assert.match(down[0], /WARNING:huey\.consumer:MainThread:Storage unavailable: .* failed: /);
        assert.match(down[0], new RegExp(`Redis is unreachable at 127\\.0\\.0\\.1:${port}`));
        assert.equal(linesOf(output, BACK).length, 1);
        assert.deepEqual(linesOf(output, /ERROR:/), []);
        assert.deepEqual(linesOf(output, STACK), []);
      });
    } finally {
      await server?.stop();
    }
  },
);

test(
  "a consumer started before its Redis says so in one ERROR line and starts once Redis answers",
  {
    skip: redisSkip,
  },
  async () => {
    const port = await freePort();
    let server: RedisServer | undefined;
    try {
      await inScenario(
        { kind: "redis", url: `redis://127.0.0.1:${port}` },
        async ({ app, start, waitMarkers }) => {
          const consumer = start([...FAST, "-k", "greenlet"]);
          await waitFor(() => linesOf(consumer.output(), DOWN).length > 0, "the ERROR line");
          assert.equal(linesOf(consumer.output(), /consumer started/).length, 0);
          server = await startRedis({ port });
          await waitMarkers("startup");
          const result = await waitFor(() => app.add(1, 2).catch(() => null), "the producer");
          assert.equal(await result.get({ blocking: true, timeout: 60 }), 3);
          assert.deepEqual(await consumer.stop("SIGINT"), { code: 0, signal: null });
          const [line, ...more] = linesOf(consumer.output(), DOWN);
          assert.deepEqual(more, []);
          assert.match(line, /ERROR:huey\.consumer:MainThread:Storage unavailable: Connecting/);
          assert.match(line, new RegExp(`Redis is unreachable at 127\\.0\\.0\\.1:${port}: `));
          assert.equal(linesOf(consumer.output(), BACK).length, 1);
          assert.deepEqual(linesOf(consumer.output(), STACK), []);
        },
      );
    } finally {
      await server?.stop();
    }
  },
);

test(
  "a wrong or missing Redis password stops the consumer at start with one clear message, exit 1",
  {
    skip: redisSkip,
  },
  async () => {
    const server = await startRedis({ password: "right-password" });
    const address = `127\\.0\\.0\\.1:${server.port}`;
    try {
      const cases: [string, RegExp][] = [
        [`redis://:wrong-password@127.0.0.1:${server.port}`, /WRONGPASS/],
        [server.url, /NOAUTH/], // no password: Redis refuses the first command
      ];
      for (const [url, reply] of cases) {
        await inScenario({ kind: "redis", url }, async ({ start }) => {
          for (const workerType of ["greenlet", "thread"]) {
            const consumer = start([...FAST, "-k", workerType]);
            const exit = await consumer.exited;
            const stderr = consumer.stderr();
            assert.deepEqual(exit, { code: 1, signal: null }, stderr);
            const message = new RegExp(
              `^huey-consumer: error: The consumer cannot start: Redis at ${address} ` +
                `refused the connection: ${reply.source}.*check the password`,
              "m",
            );
            assert.match(stderr, message);
            assert.doesNotMatch(stderr, /consumer started/);
            assert.deepEqual(linesOf(stderr, STACK), []);
          }
        });
      }
    } finally {
      await server.stop();
    }
  },
);
