/**
 * Starts a throwaway Redis Cluster of three masters for a test file: three
 * `redis-server --cluster-enabled yes` on free ports (their cluster bus ports,
 * port + 10000, free too) in a temporary folder, joined with `redis-cli
 * --cluster create`, and stops them and removes the folder. Skipped loudly
 * without redis-server ({@linkcode redisSkip}); under CI it fails instead.
 *
 * @module
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { setTimeout as delay } from "node:timers/promises";
import { answersPing, freePort, installed, kill, launch } from "./_redis_server.ts";

export { redisSkip } from "./_redis_server.ts";

/** A running three-master Redis Cluster on 127.0.0.1. */
export interface RedisCluster {
  /** The masters' ports. */
  readonly ports: readonly number[];
  /** `[{ url: "redis://127.0.0.1:<port>" }, ...]`, one per master, for option `cluster`. */
  readonly rootNodes: { url: string }[];
  /** Runs `redis-cli -p <port> <args...>` and resolves to its output. */
  cli(port: number, ...args: string[]): Promise<string>;
  /** The ports of the masters that hold a key matching `pattern` (SCAN on each). */
  holders(pattern: string): Promise<number[]>;
  /** Stops the servers and removes their folder. */
  stop(): Promise<void>;
}

/** Option `cluster` from a comma-separated list of node URLs (a child process's argument). */
export function clusterOption(urls: string): { rootNodes: { url: string }[] } {
  return { rootNodes: urls.split(",").map((url) => ({ url })) };
}

/** Whether nobody listens on the port. */
function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** A free port whose cluster bus port (port + 10000) is free too. */
async function freeClusterPort(taken: readonly number[]): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = await freePort();
    if (port + 10000 > 65535 || taken.includes(port) || taken.includes(port + 10000)) continue;
    if (await isFree(port + 10000)) return port;
  }
  throw new Error("found no free port pair (port, port + 10000) for a Redis Cluster node");
}

/** Runs redis-cli; rejects with its output when it exits non-zero. */
function redisCli(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("redis-cli", args, { timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`redis-cli ${args.join(" ")} failed: ${stdout}${stderr}`));
      else resolve(stdout);
    });
  });
}

/**
 * A detached shell that kills the servers and removes their folder once this
 * process is gone: Deno runs neither exit listeners nor `after` hooks of a
 * filtered test run.
 */
function watchdog(children: readonly ChildProcess[], folder: string): ChildProcess {
  const pids = children.map((child) => child.pid).filter(Boolean).join(" ");
  const script = `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; ` +
    `kill -9 ${pids} 2>/dev/null; rm -rf '${folder}'`;
  const child = spawn("sh", ["-c", script], { detached: true, stdio: "ignore" });
  child.unref();
  return child;
}

/** Polls `ready` every 100 ms, for up to `seconds`. */
async function until(what: string, seconds: number, ready: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (!await ready()) {
    if (Date.now() > deadline) throw new Error(`Redis Cluster: ${what} within ${seconds} s`);
    await delay(100);
  }
}

/**
 * Starts three masters and joins them into one cluster (slots split in
 * three, no replicas), then waits until every node says `cluster_state:ok`.
 *
 * @throws {Error} redis-server is missing (only reached under CI: elsewhere
 *   tests check `redisSkip` first), or the cluster did not come up within a minute.
 */
export async function startRedisCluster(): Promise<RedisCluster> {
  if (!installed) throw new Error("redis-server is not on PATH, and CI needs the Redis tests");
  const folder = mkdtempSync(join(tmpdir(), "huey-redis-cluster-"));
  const ports: number[] = [];
  const children: ChildProcess[] = [];
  const killOnExit = (): void => {
    for (const child of children) child.kill("SIGKILL");
    rmSync(folder, { recursive: true, force: true });
  };
  process.on("exit", killOnExit);
  let guard: ChildProcess | undefined;
  const stop = async (): Promise<void> => {
    process.off("exit", killOnExit);
    guard?.kill();
    await Promise.all(children.map(kill));
    rmSync(folder, { recursive: true, force: true });
  };
  const cli = (port: number, ...args: string[]) => redisCli(["-p", String(port), ...args]);
  try {
    for (let node = 0; node < 3; node++) {
      const port = await freeClusterPort(ports);
      ports.push(port);
      children.push(launch(port, [
        ...["--cluster-enabled", "yes", "--cluster-node-timeout", "5000"],
        ...["--cluster-config-file", join(folder, `nodes-${port}.conf`), "--dir", folder],
      ]));
    }
    guard = watchdog(children, folder);
    for (const port of ports) {
      await until(`port ${port} did not answer`, 30, () => answersPing(port));
    }
    const addresses = ports.map((port) => `127.0.0.1:${port}`);
    await redisCli([
      "--cluster",
      "create",
      ...addresses,
      "--cluster-replicas",
      "0",
      "--cluster-yes",
    ]);
    for (const port of ports) {
      await until(`node ${port} did not reach cluster_state:ok`, 60, async () => {
        return (await cli(port, "cluster", "info")).includes("cluster_state:ok");
      });
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    ports,
    rootNodes: ports.map((port) => ({ url: `redis://127.0.0.1:${port}` })),
    cli,
    async holders(pattern: string): Promise<number[]> {
      const found: number[] = [];
      for (const port of ports) {
        const keys = await cli(port, "--scan", "--pattern", pattern);
        if (keys.trim() !== "") found.push(port);
      }
      return found;
    },
    stop,
  };
}
