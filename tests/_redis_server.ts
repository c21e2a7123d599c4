/**
 * Starts a throwaway `redis-server` for a test file, on a free port, without
 * persistence, and stops it. When redis-server is not installed, the Redis
 * tests are skipped loudly ({@linkcode redisSkip}); under CI they fail.
 *
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { connect, createServer } from "node:net";
import { delimiter, join } from "node:path";
import process from "node:process";
import { setTimeout as delay } from "node:timers/promises";

/** A running redis-server. */
export interface RedisServer {
  /** The port it listens on (127.0.0.1). */
  readonly port: number;
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  /** Stops the server (its data is gone). */
  stop(): Promise<void>;
  /** Stops the server if it runs, and starts a new, empty one on the same port. */
  restart(): Promise<void>;
}

/** Whether redis-server is on PATH. */
export const installed: boolean = (process.env.PATH ?? "").split(delimiter)
  .some((folder) => folder !== "" && existsSync(join(folder, "redis-server")));

/** Why the Redis tests are skipped (redis-server not on PATH), or `undefined` when they run. */
export const redisSkip: string | undefined = installed || process.env.CI
  ? undefined
  : "redis-server is not on PATH: the Redis tests are SKIPPED (apt-get install redis-server)";

if (redisSkip) console.warn(`\n*** WARNING: ${redisSkip} ***\n`);

/** A TCP port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Whether a server answers PING on the port (PONG, or NOAUTH when it wants a password). */
export function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: "127.0.0.1" });
    const finish = (answer: boolean): void => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(500, () => finish(false));
    socket.once("error", () => finish(false));
    socket.once("connect", () => socket.write("PING\r\n"));
    // A server with a password answers NOAUTH: it is up all the same.
    socket.once("data", (chunk) => finish(/^(\+PONG|-NOAUTH)/.test(chunk.toString())));
  });
}

/** Spawns `redis-server` on 127.0.0.1:`port` without persistence, with `extra` arguments. */
export function launch(port: number, extra: readonly string[]): ChildProcess {
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"];
  return spawn("redis-server", [...args, ...extra], { stdio: "ignore" });
}

/** Options of {@linkcode startRedis}. */
export interface StartRedisOptions {
  /** The port. @default a free one */
  port?: number;
  /** Require this password (`requirepass`). */
  password?: string;
}

/** Kills the child and waits (bounded) until it has exited. */
export async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const outcome = await Promise.race([exited, delay(3000, "timeout")]);
  if (outcome === "timeout") {
    child.kill("SIGKILL");
    await Promise.race([exited, delay(3000)]);
  }
}

/**
 * Starts `redis-server` on a free port (or `options.port`) and waits until
 * it answers PING (or, with a password, until it answers at all).
 *
 * @throws {Error} redis-server is missing (only reached under CI: elsewhere
 *   tests check {@linkcode redisSkip} first), or did not answer within 10 s.
 */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServer> {
  if (!installed) throw new Error("redis-server is not on PATH, and CI needs the Redis tests");
  const port = options.port ?? await freePort();
  const extra = options.password === undefined ? [] : ["--requirepass", options.password];
  let child = launch(port, extra);
  const killOnExit = (): void => void child.kill("SIGKILL");
  process.on("exit", killOnExit);

  async function ready(): Promise<void> {
    for (let attempt = 0; attempt < 100; attempt++) {
      if (await answersPing(port)) return;
      if (child.exitCode !== null) break;
      await delay(100);
    }
    await kill(child);
    throw new Error(`redis-server did not start on port ${port}`);
  }

  await ready();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    async stop(): Promise<void> {
      process.off("exit", killOnExit);
      await kill(child);
    },
    async restart(): Promise<void> {
      await kill(child);
      child = launch(port, extra);
      process.off("exit", killOnExit);
      process.on("exit", killOnExit);
      await ready();
    },
  };
}
