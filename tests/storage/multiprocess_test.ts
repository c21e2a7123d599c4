// Many processes on one database (issue "Storages", item 5): 4 producer and 4 worker processes
// share a SQLite file, a Redis server, a Redis Cluster or a PostgreSQL database and run 20,000 tasks, each exactly once; a worker
// killed with SIGKILL mid-task leaves its task to run again once the lease expires; and a
// scheduler killed with SIGKILL while it moves 20,000 due tasks to the queue loses none and
// doubles none (SPEC §8).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { setTimeout as delay } from "node:timers/promises";
import { scriptCommand } from "../../_runtime.ts";
import { Huey } from "../../huey.ts";
import type { Storage } from "../../storage/base.ts";
import { FileStorage } from "../../storage/file.ts";
import { PostgresStorage } from "../../storage/postgres.ts";
import { RedisStorage } from "../../storage/redis.ts";
import { SqliteStorage } from "../../storage/sqlite.ts";
import { type RedisServer, redisSkip, startRedis } from "../_redis_server.ts";
import { type PostgresServer, postgresSkip, startPostgres } from "../_postgres_server.ts";
import { clusterOption, type RedisCluster, startRedisCluster } from "../_redis_cluster.ts";

const CHILD = fileURLToPath(new URL("./_multiprocess_child.ts", import.meta.url));
const TASKS = 20_000;
const PROCESSES = 4;
const children = new Set<ChildProcess>();
const root = mkdtempSync(join(tmpdir(), "huey-multiprocess-"));
let server: RedisServer | undefined;
let cluster: RedisCluster | undefined;
let postgres: PostgresServer | undefined;
let unique = 0;

before(async () => {
  if (!redisSkip) server = await startRedis();
  if (!redisSkip) cluster = await startRedisCluster();
  if (!postgresSkip) postgres = await startPostgres();
});
after(async () => {
  for (const child of children) child.kill("SIGKILL");
  await server?.stop();
  await cluster?.stop();
  await postgres?.remove();
  rmSync(root, { recursive: true, force: true });
});

interface Run {
  child: ChildProcess;
  exited: Promise<number | null>;
}

function start(args: string[], env: Record<string, string> = {}): Run {
  const [command, prefix] = scriptCommand(CHILD);
  const child = spawn(command, [...prefix, ...args], {
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...process.env, ...env },
  });
  children.add(child);
  const exited = new Promise<number | null>((resolve) =>
    child.on("exit", (code) => {
      children.delete(child);
      resolve(code);
    })
  );
  return { child, exited };
}

/** Waits (bounded) until `check` holds, looking every `every` ms. */
async function waitFor(
  check: () => boolean | Promise<boolean>,
  what: string,
  every = 50,
): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await delay(every);
  }
}

function lines(folder: string, prefix: string): string[] {
  return readdirSync(folder).filter((file) => file.startsWith(prefix))
    .flatMap((file) => readFileSync(join(folder, file), "utf8").split("\n").filter(Boolean));
}

const KINDS = [
  {
    kind: "sqlite",
    skip: undefined,
    target: (folder: string) => join(folder, "queue.db"),
    open: (target: string, name: string): Storage => new SqliteStorage(name, { filename: target }),
  },
  {
    kind: "redis",
    skip: redisSkip,
    target: () => server!.url,
    open: (target: string, name: string): Storage => new RedisStorage(name, { url: target }),
  },
  {
    // A three-master cluster: the child gets its root nodes' URLs, comma-separated.
    kind: "redis-cluster",
    skip: redisSkip,
    target: () => cluster!.rootNodes.map(({ url }) => url).join(","),
    open: (target: string, name: string): Storage =>
      new RedisStorage(name, { cluster: clusterOption(target) }),
  },
  {
    kind: "postgres",
    skip: postgresSkip,
    target: () => postgres!.url,
    open: (target: string, name: string): Storage => new PostgresStorage(name, { url: target }),
  },
] as const;

const WORKERS = [
  { role: "work", how: "stepping through the queue" },
  { role: "loop", how: "running the consumer's worker loop (leasing ahead, storing behind)" },
] as const;

for (const { kind, skip, target, open } of KINDS) {
  test(
    `${kind}: a scheduler killed with SIGKILL while it moves 20,000 due tasks loses none and doubles none`,
    { skip },
    async () => {
      const folder = mkdtempSync(join(root, `${kind}-kill-scheduler-`));
      const name = `kill-scheduler-${++unique}`;
      const args = [kind, target(folder), name];
      const total = 20_000;
      const producer = start(["schedule", ...args, "0", String(total), folder]);
      assert.equal(await producer.exited, 0);
      await using huey = new Huey(name, { storage: open(target(folder), name) });
      huey.task(function record(_n: number): void {});
      assert.equal(await huey.scheduledCount(), total);
      // Small batches: the move takes long enough to be killed in the middle of it.
      const mover = start(["scheduler", ...args, "0", "0", folder], { HUEY_BATCH: "20" });
      await waitFor(async () => (await huey.pendingCount()) > 0, "the first tasks to move", 5);
      mover.child.kill("SIGKILL");
      await mover.exited;
      const queued = await huey.pending();
      const scheduled = await huey.scheduled();
      const numbers = [...queued, ...scheduled].map((task) => task.args[0] as number);
      assert.equal(
        numbers.length,
        total,
        `${queued.length} queued + ${scheduled.length} scheduled`,
      );
      assert.equal(new Set(numbers).size, total, "no task was lost or doubled");
      assert.equal(new Set([...queued, ...scheduled].map((task) => task.id)).size, total);
    },
  );

  for (const { role, how } of WORKERS) {
    test(
      `${kind}: 4 producer and 4 worker processes ${how} run 20,000 tasks, each exactly once`,
      { skip },
      async () => {
        const folder = mkdtempSync(join(root, `${kind}-`));
        const args = [kind, target(folder), `multi-${++unique}`];
        const per = TASKS / PROCESSES;
        const workers = Array.from(
          { length: PROCESSES },
          () => start([role, ...args, "0", "0", folder]),
        );
        const producers = Array.from(
          { length: PROCESSES },
          (_, i) => start(["produce", ...args, String(i * per), String(per), folder]),
        );
        assert.deepEqual(await Promise.all(producers.map((run) => run.exited)), [0, 0, 0, 0]);
        await waitFor(() => lines(folder, "ran-").length >= TASKS, "every task to run");
        writeFileSync(join(folder, "stop"), "");
        assert.deepEqual(await Promise.all(workers.map((run) => run.exited)), [0, 0, 0, 0]);
        const ran = lines(folder, "ran-").map(Number);
        assert.equal(ran.length, TASKS, "each task ran once: no duplicates");
        assert.equal(new Set(ran).size, TASKS, "no task was lost");
        assert.ok(ran.every((n) => n >= 0 && n < TASKS));
        assert.ok(
          readdirSync(folder).filter((file) => file.startsWith("ran-")).length > 1,
          "the work was shared",
        );
      },
    );
  }

  test(
    `${kind}: a looping worker killed with SIGKILL while it holds messages leased ahead and stores in flight loses none`,
    { skip },
    async () => {
      const folder = mkdtempSync(join(root, `${kind}-kill-loop-`));
      const args = [kind, target(folder), `kill-loop-${++unique}`];
      const env = { HUEY_LEASE: "1" };
      const total = 20_000;
      const producer = start(["produce", ...args, "0", String(total), folder], env);
      assert.equal(await producer.exited, 0);
      const doomed = start(["loop", ...args, "0", "0", folder], env);
      await waitFor(() => lines(folder, "ran-").length >= 500, "the worker to be busy");
      doomed.child.kill("SIGKILL");
      await doomed.exited;
      const ranBefore = lines(folder, "ran-").length;
      assert.ok(ranBefore < total, "it was killed mid-run");
      const rescuer = start(["loop", ...args, "0", "0", folder], env);
      await waitFor(
        () => new Set(lines(folder, "ran-")).size >= total,
        "every task to run at least once",
      );
      writeFileSync(join(folder, "stop"), "");
      assert.equal(await rescuer.exited, 0);
      const ran = new Set(lines(folder, "ran-").map(Number));
      assert.equal(ran.size, total, "no task was lost");
    },
  );

  test(
    `${kind}: a worker killed with SIGKILL mid-task leaves its task to run again after the lease expires`,
    {
      skip,
    },
    async () => {
      const folder = mkdtempSync(join(root, `${kind}-kill-`));
      const args = [kind, target(folder), `kill-${++unique}`];
      const env = { HUEY_SLOW: "30", HUEY_LEASE: "1" };
      const producer = start(["produce", ...args, "0", "1", folder], env);
      assert.equal(await producer.exited, 0);
      const doomed = start(["work", ...args, "0", "0", folder], env);
      await waitFor(
        () => lines(folder, "slow").some((line) => line.startsWith("start 0")),
        "the task to start",
      );
      doomed.child.kill("SIGKILL");
      await doomed.exited;
      const rescuer = start(["work", ...args, "0", "0", folder], { ...env, HUEY_SLOW: "0" });
      await waitFor(
        () => lines(folder, "slow").some((line) => line.startsWith("end 0")),
        "the task to run again",
      );
      writeFileSync(join(folder, "stop"), "");
      assert.equal(await rescuer.exited, 0);
      const runs = lines(folder, "slow");
      assert.equal(runs.filter((line) => line.startsWith("start 0")).length, 2, runs.join("; "));
      assert.equal(runs.filter((line) => line.startsWith("end 0")).length, 1, runs.join("; "));
    },
  );
}

const TALLY_KINDS = [
  ...KINDS,
  {
    kind: "file",
    skip: undefined,
    target: (folder: string) => join(folder, "queues"),
    open: (target: string, name: string): Storage => new FileStorage(name, { path: target }),
  },
] as const;

for (const { kind, skip, target, open } of TALLY_KINDS) {
  test(
    `${kind}: 4 processes counting at once: incr and addMember are atomic across processes`,
    { skip },
    async () => {
      const folder = mkdtempSync(join(root, `${kind}-tally-`));
      const name = `tally-${++unique}`;
      const per = 100;
      const runs = Array.from(
        { length: PROCESSES },
        (_, i) =>
          start(["tally", kind, target(folder), name, String(i * per), String(per), folder]),
      );
      assert.deepEqual(await Promise.all(runs.map((run) => run.exited)), [0, 0, 0, 0]);
      const records = lines(folder, "tally-").map((line) => JSON.parse(line));
      const all = (field: string) =>
        records.flatMap((record) => record[field] as number[]).toSorted((a, b) => a - b);
      const expected = Array.from({ length: PROCESSES * per }, (_, i) => i + 1);
      assert.deepEqual(all("counted"), expected, "each count seen once");
      assert.deepEqual(all("sizes"), expected, "each size seen once");
      const storage = open(target(folder), name);
      try {
        assert.equal(await storage.incr("hits", 0), PROCESSES * per);
        assert.equal(await storage.addMember("done", "0"), PROCESSES * per, "0 was a member");
      } finally {
        await storage.close();
      }
    },
  );
}
