/**
 * Tests the npm package as a user gets it: builds `npm/`, packs the tarball,
 * installs it into a scratch project (without node-redis, an optional peer
 * dependency), and on Node 24, Node 22 and Bun runs a small app whose tasks a
 * `huey-consumer` (thread and process workers) executes; checks that the
 * Redis storages name the package to install, then work once it is; runs
 * docs/getting-started.md word for word in fresh projects on Node 24, Bun and
 * Deno (the package from the tarball instead of a registry); then checks that
 * `deno publish --dry-run` passes. Ends with one line `N passed, N failed`.
 *
 * ```console
 * $ npm run test:package            # node scripts/test_package.ts
 * $ npm run test:package -- --keep  # keep the scratch directory
 * ```
 *
 * Node 22 comes from the npm package `node@22`, installed once into
 * `node_modules/.cache/huey-node22`.
 *
 * @module
 */
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import process from "node:process";
import { NODE_ENGINE, OUT_DIR, ROOT } from "./build_npm.ts";
import { APP_JS, CLIENT_JS, REDIS_JS, TYPES_TS, typesConfig } from "./_package_fixtures.ts";
import { COMMAND_TIMEOUT, finished, killGroup, run, start } from "./_process.ts";
import { type GuideRuntime, parseGuide, runGuide } from "./_guide.ts";
import { redisSkip, startRedis } from "../tests/_redis_server.ts";

/** A JavaScript runtime the package is tried on. */
interface Runtime {
  name: string;
  /** Node runs the bin by its `#!/usr/bin/env node` line; Bun is named on the command line. */
  family: "node" | "bun";
  /** The runtime's executable. */
  bin: string;
  /** What the app's `where` task reports as its runtime (a prefix). */
  reports: string;
}

const BIN = join(ROOT, "node_modules", ".bin");
const NODE22_DIR = join(ROOT, "node_modules", ".cache", "huey-node22");
// Deadlines, not waits: a check goes on as soon as what it waits for happens. They
// are generous because CI runs on a busy 2-core machine, where a tight one flakes.
/** Seconds a consumer gets to exit after SIGINT. */
const STOP_TIMEOUT = 120;
/** Seconds a consumer gets to start and print its tasks. */
const START_TIMEOUT = 300;
/** Seconds client.js may run (it waits up to 300 s for each result). */
const CLIENT_TIMEOUT = 360;
/** Where npm installs from: its cache first, so that the checks need no registry. */
const NPM_INSTALL = ["install", "--no-audit", "--no-fund", "--prefer-offline"];

const results: { name: string; ok: boolean }[] = [];

/** Runs one check, prints `ok` or `FAIL` with a detail, and records it. */
async function check(name: string, body: () => Promise<string | void>): Promise<boolean> {
  try {
    const detail = await body();
    console.log(`ok   ${name}${detail ? ` (${detail})` : ""}`);
    results.push({ name, ok: true });
    return true;
  } catch (error) {
    console.log(`FAIL ${name}\n${indent((error as Error).message)}`);
    results.push({ name, ok: false });
    return false;
  }
}

function indent(text: string): string {
  return text.trimEnd().split("\n").slice(-40).map((line) => `     ${line}`).join("\n");
}

/** PATH with the directory of `bin` first, so that `#!/usr/bin/env node` finds that runtime. */
function pathFor(bin: string): Record<string, string> {
  return { PATH: [dirname(bin), BIN, process.env.PATH ?? ""].join(delimiter) };
}

/** The size of the files under a folder, as `du` would count them roughly: `1.5 MB`. */
function megabytes(folder: string): string {
  let bytes = 0;
  for (const entry of readdirSync(folder, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) bytes += lstatSync(join(entry.parentPath, entry.name)).size;
  }
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

/** The entries of `npm pack --json`. */
interface PackReport {
  filename: string;
  size: number;
  unpackedSize: number;
  files: { path: string }[];
}

const REQUIRED_FILES = [
  "package.json",
  "README.md",
  "LICENSE",
  "mod.js",
  "mod.d.ts",
  "mod.js.map",
  "consumer.js",
  "consumer.d.ts",
  "consumer/worker_entry.js",
  "bin/huey-consumer.js",
  "dashboard.js",
  "dashboard.d.ts",
  "bin/huey-dashboard.js",
];

function checkPackedFiles(files: string[]): void {
  const missing = REQUIRED_FILES.filter((file) => !files.includes(file));
  assert(!missing.length, `missing from the tarball: ${missing.join(", ")}`);
  const unwanted = files.filter((file) =>
    /^(tests|scripts|examples|docs|node_modules|npm)\//.test(file) || /_test\.|\.db$/.test(file) ||
    (file.endsWith(".ts") && !file.endsWith(".d.ts"))
  );
  assert(!unwanted.length, `unwanted in the tarball: ${unwanted.join(", ")}`);
}

async function pack(scratch: string): Promise<string> {
  let tarball = "";
  const built = await check("npm run build builds npm/", async () => {
    const { stdout } = await run(process.execPath, [join(ROOT, "scripts", "build_npm.ts")], ROOT);
    return stdout.trim();
  });
  if (!built) return tarball;
  await check("npm pack makes a tarball with the package's files only", async () => {
    const { stdout } = await run("npm", ["pack", "--json", "--pack-destination", scratch], OUT_DIR);
    const [report] = JSON.parse(stdout) as PackReport[];
    checkPackedFiles(report.files.map((file) => file.path));
    tarball = join(scratch, report.filename);
    const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} kB`;
    return `${report.filename}: ${kb(report.size)}, ${report.files.length} files, ${
      kb(report.unpackedSize)
    } unpacked`;
  });
  return tarball;
}

async function install(project: string, tarball: string): Promise<boolean> {
  mkdirSync(project);
  writeFileSync(
    join(project, "package.json"),
    JSON.stringify({ name: "huey-package-test", private: true, type: "module" }, null, 2),
  );
  writeFileSync(join(project, "app.js"), APP_JS);
  writeFileSync(join(project, "client.js"), CLIENT_JS);
  writeFileSync(join(project, "redis.js"), REDIS_JS);
  writeFileSync(join(project, "types.ts"), TYPES_TS);
  writeFileSync(
    join(project, "tsconfig.json"),
    JSON.stringify(typesConfig(join(ROOT, "node_modules", "@types")), null, 2),
  );
  const installed = await check(
    "npm install <tarball> installs the package and its huey-consumer bin",
    async () => {
      await run("npm", [...NPM_INSTALL, tarball], project, pathFor(join(BIN, "node")));
      const link = join(project, "node_modules", ".bin", "huey-consumer");
      assert(lstatSync(link).isSymbolicLink(), `${link} is not a symlink`);
      const manifest = JSON.parse(
        readFileSync(join(project, "node_modules", "@huey", "huey", "package.json"), "utf8"),
      );
      assert(manifest.engines?.node === NODE_ENGINE, `engines.node is ${manifest.engines?.node}`);
      const installed = readdirSync(join(project, "node_modules")).sort();
      assert(
        installed.join() === ".bin,.package-lock.json,@huey",
        `npm installed more than the package: ${installed.join(", ")}`,
      );
      return `nothing else installed, node_modules ${megabytes(join(project, "node_modules"))}`;
    },
  );
  if (installed) {
    await check("the package's types check with tsc (NodeNext, strict)", async () => {
      await run(join(BIN, "tsc"), ["-p", "tsconfig.json"], project);
    });
  }
  return installed;
}

/** Node 22 from the npm package `node@22`, installed once into a cache directory. */
async function node22(): Promise<string | null> {
  const bin = join(NODE22_DIR, "node_modules", ".bin", "node");
  const found = existsSync(bin);
  const ok = await check("Node 22 is available (npm package node@22)", async () => {
    if (!found) {
      mkdirSync(NODE22_DIR, { recursive: true });
      const manifest = { private: true, allowScripts: { node: true } };
      writeFileSync(join(NODE22_DIR, "package.json"), JSON.stringify(manifest, null, 2));
      await run(
        "npm",
        [...NPM_INSTALL, "node@22"],
        NODE22_DIR,
        pathFor(join(BIN, "node")),
      );
    }
    return (await run(bin, ["--version"], NODE22_DIR)).stdout.trim() +
      (found ? ", cached" : ", installed");
  });
  return ok ? bin : null;
}

/** The command that starts `huey-consumer` on a runtime, as a user would from the project. */
function consumerCommand(runtime: Runtime, project: string, args: string[]): [string, string[]] {
  const bin = join(project, "node_modules", ".bin", "huey-consumer");
  // On Node the bin runs by its `#!/usr/bin/env node` line (PATH picks the Node under test).
  return runtime.family === "bun" ? [runtime.bin, [bin, ...args]] : [bin, args];
}

async function checkVersionCommand(
  runtime: Runtime,
  project: string,
  version: string,
  bin: "huey-consumer" | "huey-dashboard" = "huey-consumer",
): Promise<void> {
  const isBun = runtime.family === "bun";
  const label = isBun ? `bunx --bun ${bin}` : `npx ${bin}`;
  await check(`${runtime.name}: ${label} --version prints the version`, async () => {
    const [command, args] = isBun
      ? [join(BIN, "bunx"), ["--bun", bin, "--version"]]
      : ["npx", [bin, "--version"]];
    const { stdout: output } = await run(command, args, project, pathFor(runtime.bin));
    assert(output.includes(`${bin} ${version}`), `expected '${bin} ${version}' in:\n${output}`);
  });
}

/** What client.js prints. */
interface ClientReport {
  sum: number;
  many: number[];
  place: { pid: number; mainThread: boolean; runtime: string };
  clientPid: number;
}

async function checkConsumer(
  runtime: Runtime,
  project: string,
  kind: "thread" | "process",
): Promise<void> {
  const name =
    `${runtime.name}: huey-consumer -k ${kind} runs the app's tasks and exits with 0 on SIGINT`;
  await check(name, async () => {
    const env = {
      ...pathFor(runtime.bin),
      HUEY_DB: join(project, `${runtime.name.replace(/\W+/g, "")}-${kind}.db`),
    };
    const [command, args] = consumerCommand(runtime, project, ["app.js", "-k", kind, "-w", "2"]);
    const consumer = start(command, args, project, env);
    const consumerDone = finished(consumer, COMMAND_TIMEOUT);
    let report: ClientReport;
    try {
      report = await runClient(runtime, project, env);
      assert(report.sum === 3, `add(1, 2) gave ${report.sum}`);
      assert(report.many.join() === "2,4,6", `add.map() gave ${report.many}`);
      const { pid, mainThread, runtime: ranOn } = report.place;
      assert(ranOn.startsWith(runtime.reports), `the task ran on ${ranOn}`);
      assert(pid !== report.clientPid, "the task ran in the client's process");
      assert(mainThread === (kind === "process"), `the task ran with isMainThread ${mainThread}`);
    } catch (error) {
      killGroup(consumer);
      const { output } = await consumerDone;
      throw new Error(`${(error as Error).message}\nThe consumer's output:\n${output}`);
    }
    consumer.kill("SIGINT");
    const timer = setTimeout(() => killGroup(consumer), STOP_TIMEOUT * 1000);
    const stopped = await consumerDone;
    clearTimeout(timer);
    killGroup(consumer); // its workers, had any outlived it
    assert(
      stopped.code === 0,
      `the consumer ended with ${stopped.code ?? stopped.signal} after SIGINT ` +
        `(killed after ${STOP_TIMEOUT} s if still running):\n${stopped.output}`,
    );
    return `${report.place.runtime}, worker pid ${report.place.pid}`;
  });
}

/** Runs client.js (it enqueues, then waits for the results) and reads its report. */
async function runClient(
  runtime: Runtime,
  project: string,
  env: Record<string, string>,
): Promise<ClientReport> {
  const client = await finished(start(runtime.bin, ["client.js"], project, env), CLIENT_TIMEOUT);
  const how = client.code ?? client.signal;
  assert(client.code === 0, `client.js exited with ${how}:\n${client.output}`);
  const line = client.stdout.split("\n").find((text) => text.startsWith("{"));
  assert(line, `client.js printed no report:\n${client.output}`);
  return JSON.parse(line) as ClientReport;
}

/** Runs redis.js on Node 24 and reads what it printed. */
async function runRedisScript(
  project: string,
  url: string,
): Promise<{ sum?: number; error?: string }> {
  const env = { ...pathFor(join(BIN, "node")), REDIS_URL: url };
  const { stdout } = await run(join(BIN, "node"), ["redis.js"], project, env);
  const line = stdout.split("\n").find((text) => text.startsWith("{"));
  assert(line, `redis.js printed no report:\n${stdout}`);
  return JSON.parse(line);
}

/**
 * The Redis storages without their optional peer dependency: an error that
 * names the package; with it (installed as the error says): a task runs.
 */
async function checkRedisPeer(project: string): Promise<void> {
  await check("without @redis/client, a RedisHuey says which package to install", async () => {
    const { error } = await runRedisScript(project, "redis://127.0.0.1:1");
    assert(
      error?.startsWith("ConfigurationError: ") && error.includes("npm install @redis/client"),
      `expected a ConfigurationError naming 'npm install @redis/client', got ${error}`,
    );
  });
  if (redisSkip) return console.log(`skip the Redis round trip: ${redisSkip}`);
  await check(
    "npm install @redis/client, then a RedisHuey runs a task on redis-server",
    async () => {
      const { version } = JSON.parse(
        readFileSync(join(ROOT, "node_modules", "@redis", "client", "package.json"), "utf8"),
      );
      await run(
        "npm",
        [...NPM_INSTALL, `@redis/client@${version}`],
        project,
        pathFor(join(BIN, "node")),
      );
      const server = await startRedis();
      try {
        const report = await runRedisScript(project, server.url);
        assert(report.sum === 3, `expected { sum: 3 }, got ${JSON.stringify(report)}`);
      } finally {
        await server.stop();
      }
      return `@redis/client ${version}`;
    },
  );
}

/**
 * Runs docs/getting-started.md word for word in a fresh folder on a runtime,
 * with the package from the tarball instead of a registry (npm and Bun
 * install the tarball; Deno runs the npm package in place of JSR's).
 */
async function checkGuide(
  scratch: string,
  tarball: string,
  runtime: GuideRuntime,
  bin: string,
): Promise<void> {
  const page = join(ROOT, "docs", "getting-started.md");
  await check(`${runtime}: docs/getting-started.md runs as written`, async () => {
    const folder = join(scratch, `guide-${runtime}`);
    mkdirSync(folder);
    const npmInstall = `npm ${NPM_INSTALL.join(" ")} ${tarball}`;
    const replace: Record<string, Record<string, string>> = {
      node: { "npm install @huey/huey": npmInstall },
      bun: { "bun add @huey/huey": `bun add ${tarball}` },
      deno: {
        "deno add jsr:@huey/huey": npmInstall,
        "jsr:@huey/huey/consumer": "npm:@huey/huey/consumer",
      },
    };
    const ran = await runGuide(parseGuide(readFileSync(page, "utf8")), {
      runtime,
      folder,
      env: { ...pathFor(bin), DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
      replace: replace[runtime],
      startTimeout: START_TIMEOUT,
      stopTimeout: STOP_TIMEOUT,
    });
    return `${ran.length} steps`;
  });
}

async function checkDenoPublish(): Promise<void> {
  await check(
    "deno publish --dry-run passes and publishes no tests, scripts or examples",
    async () => {
      const env = {
        RUST_BACKTRACE: "0",
        DENO_NO_UPDATE_CHECK: "1",
        NO_COLOR: "1",
        DENO_DIR: join(ROOT, ".deno_dir"),
      };
      const { output } = await run(
        join(BIN, "deno"),
        ["publish", "--dry-run", "--allow-dirty"],
        ROOT,
        env,
      );
      const files = [...output.matchAll(/^\s+file:\/\/(\S+)/gm)].map((match) =>
        match[1].slice(ROOT.length + 1)
      );
      assert(
        files.includes("mod.ts") && files.includes("consumer.ts"),
        `no mod.ts or consumer.ts in:\n${output}`,
      );
      const unwanted = files.filter((file) =>
        /^(tests|scripts|examples|npm|node_modules|\.ci|\.deno_dir)\//.test(file) ||
        /\.db(-\w+)?$/.test(file)
      );
      assert(!unwanted.length, `unwanted in the JSR package: ${unwanted.join(", ")}`);
      return `${files.length} files`;
    },
  );
}

async function main(): Promise<number> {
  const keep = process.argv.includes("--keep");
  const scratch = mkdtempSync(join(tmpdir(), "huey-package-"));
  const version = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version as string;
  try {
    const tarball = await pack(scratch);
    const project = join(scratch, "project");
    if (tarball && await install(project, tarball)) {
      const runtimes: Runtime[] = [
        { name: "Node 24", family: "node", bin: join(BIN, "node"), reports: "node 24." },
      ];
      const node22Bin = await node22();
      if (node22Bin) {
        runtimes.push({ name: "Node 22", family: "node", bin: node22Bin, reports: "node 22." });
      }
      runtimes.push({ name: "Bun", family: "bun", bin: join(BIN, "bun"), reports: "bun " });
      for (const runtime of runtimes) {
        await checkVersionCommand(runtime, project, version);
        await checkVersionCommand(runtime, project, version, "huey-dashboard");
        for (const kind of ["thread", "process"] as const) {
          await checkConsumer(runtime, project, kind);
        }
      }
      await checkRedisPeer(project);
    }
    if (tarball) {
      await checkGuide(scratch, tarball, "node", join(BIN, "node"));
      await checkGuide(scratch, tarball, "bun", join(BIN, "bun"));
      await checkGuide(scratch, tarball, "deno", join(BIN, "deno"));
    }
    await checkDenoPublish();
  } finally {
    if (keep) console.log(`scratch directory kept: ${scratch}`);
    else rmSync(scratch, { recursive: true, force: true });
  }
  const failed = results.filter((result) => !result.ok).length;
  console.log(`${results.length - failed} passed, ${failed} failed`);
  return failed ? 1 : 0;
}

process.exit(await main());
