/**
 * The files of the scratch project that `scripts/test_package.ts` installs
 * the npm package into: a small app, a client that enqueues and reads
 * results, and a TypeScript file that type-checks against the package.
 *
 * @module
 */

/**
 * app.js: a SqliteHuey on the file named by HUEY_DB, with two tasks. `where`
 * reports the runtime, process and thread that ran it.
 */
export const APP_JS = `import process from "node:process";
import { isMainThread } from "node:worker_threads";
import { SqliteHuey } from "@huey/huey";

export const huey = new SqliteHuey("package-test", { filename: process.env.HUEY_DB });

export const add = huey.task(function add(a, b) {
  return a + b;
});

export const where = huey.task(async function where() {
  await new Promise((resolve) => setTimeout(resolve, 10));
  const runtime = process.versions.bun ? \`bun \${process.versions.bun}\` : \`node \${process.versions.node}\`;
  return { pid: process.pid, mainThread: isMainThread, runtime };
});
`;

/** client.js: enqueues tasks, waits for their results, prints them as one JSON line. */
export const CLIENT_JS = `import process from "node:process";
import { add, huey, where } from "./app.js";

const options = { blocking: true, timeout: 300 };
const sum = await (await add(1, 2)).get(options);
const many = await (await add.map([[1, 1], [2, 2], [3, 3]])).get(options);
const place = await (await where()).get(options);
console.log(JSON.stringify({ sum, many, place, clientPid: process.pid }));
await huey.close();
`;

/**
 * redis.js: enqueues a task on a RedisHuey (REDIS_URL), runs it with the
 * stepping API, and prints `{ sum }`, or `{ error }` when the Redis storage
 * cannot be used (as without its optional peer dependency).
 */
export const REDIS_JS = `import process from "node:process";
import { RedisHuey } from "@huey/huey";

const huey = new RedisHuey("package-test", { url: process.env.REDIS_URL });
const add = huey.task(function add(a, b) {
  return a + b;
});
try {
  const result = await add(1, 2);
  await huey.execute(await huey.dequeue());
  console.log(JSON.stringify({ sum: await result.get() }));
  await huey.flush();
} catch (error) {
  console.log(JSON.stringify({ error: \`\${error.name}: \${error.message}\` }));
}
await huey.close().catch(() => {});
`;

/** types.ts: uses the package's types the way a TypeScript user would. */
export const TYPES_TS = `import { crontab, type Result, SqliteHuey, TaskError } from "@huey/huey";
import { Consumer, type ConsumerOptions, main } from "@huey/huey/consumer";

export const huey = new SqliteHuey("types", { filename: "types.db" });
export const add = huey.task(function add(a: number, b: number): number {
  return a + b;
});
export const nightly = huey.periodicTask(crontab({ minute: "0", hour: "3" }), function nightly(): void {});

export async function sum(): Promise<number | null> {
  const result: Result<number> = await add(1, 2);
  try {
    return await result.get({ blocking: true, timeout: 5 });
  } catch (error) {
    if (error instanceof TaskError) return null;
    throw error;
  }
}

const options: ConsumerOptions = { workers: 2, workerType: "greenlet" };
export const consumer: Consumer = huey.createConsumer(options);
export const run: (args?: string[]) => Promise<number> = main;
`;

/**
 * The scratch project's tsconfig.json: strict NodeNext, checking the
 * package's declaration files too.
 *
 * @param typeRoot The directory holding `@types/node`.
 */
export function typesConfig(typeRoot: string): Record<string, unknown> {
  return {
    compilerOptions: {
      target: "ES2023",
      module: "NodeNext",
      moduleResolution: "NodeNext",
      strict: true,
      noEmit: true,
      skipLibCheck: false,
      typeRoots: [typeRoot],
      types: ["node"],
    },
    files: ["types.ts"],
  };
}
