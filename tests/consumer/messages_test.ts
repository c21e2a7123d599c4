/**
 * What the real CLI tells its user: a module that throws on import (where,
 * and the stack with -v), where the storage lives, dead letters in one line
 * each, a quiet library outside the consumer, the runtime and permission
 * checks.
 *
 * @module
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import process from "node:process";
import { after, test } from "node:test";
import { runtime, scriptCommand } from "../../_runtime.ts";
import { permissionProblem, runtimeProblem } from "../../consumer/preflight.ts";
import { FileStorage, SqliteStorage } from "../../mod.ts";
import {
  CONSUMER,
  FAST,
  FIXTURE,
  inScenario,
  killAll,
  ROOT,
  runCli,
  waitFor,
} from "./_consumer.ts";

after(killAll);

const SQLITE = { kind: "sqlite" } as const;
const STACK = /^\s+at /m;

test("a module that throws on import shows the error and where it was thrown; -v adds its stack", () =>
  inScenario(SQLITE, async ({ env }) => {
    const target = join(ROOT, "tests", "fixtures", "throws_json.ts");
    // Node and Deno write file URLs in stacks, Bun paths.
    const where = new RegExp(`\\(at (file://)?${target.replaceAll(".", "\\.")}:8:\\d+\\)`);
    const plain = await runCli([target], env);
    assert.equal(plain.code, 1, plain.stderr);
    assert.match(plain.stderr, /^huey-consumer: error: Cannot load module .*throws_json\.ts: /);
    assert.match(plain.stderr, /SyntaxError: /);
    assert.match(plain.stderr, where);
    assert.doesNotMatch(plain.stderr, STACK);
    const verbose = await runCli([target, "-v"], env);
    assert.equal(verbose.code, 1, verbose.stderr);
    assert.match(verbose.stderr, where);
    assert.match(verbose.stderr, STACK, "the stack follows with -v");
  }));

test("the start-up lines say where the storage lives: the SQLite file's absolute path", () =>
  inScenario(SQLITE, async ({ env, start, waitMarkers }) => {
    const consumer = start([...FAST, "-k", "greenlet", "-n"]);
    await waitMarkers("startup");
    assert.deepEqual(await consumer.stop("SIGINT"), { code: 0, signal: null });
    const line = `INFO:huey.consumer:MainThread:Storage: SqliteStorage '${env.HUEY_TEST_NAME}' at ${
      resolve(env.HUEY_TEST_DB)
    }.`;
    assert.ok(consumer.stderr().includes(line), consumer.stderr());
  }));

test("storages name where they live: a relative SQLite filename or file path resolves against the working directory", async () => {
  const dir = mkdtempSync(join(tmpdir(), "huey-location-"));
  try {
    const filename = relative(process.cwd(), join(dir, "app.db"));
    const sqlite = new SqliteStorage("located", { filename });
    assert.equal(sqlite.location, join(dir, "app.db"));
    await sqlite.close();
    const files = new FileStorage("located", { path: relative(process.cwd(), dir) });
    assert.equal(files.location, join(dir, "located"));
    assert.equal(new SqliteStorage("memory", { filename: ":memory:" }).location, ":memory:");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("each dead letter is one WARNING line with its id and reason: no ERROR, no stack", () =>
  inScenario(SQLITE, async ({ app, start }) => {
    const bad = 30;
    const encoder = new TextEncoder();
    for (let index = 0; index < bad; index++) {
      const message = index % 2
        ? `not json ${index}`
        : JSON.stringify({ id: `u${index}`, name: "nope", args: [] });
      await app.huey.storage.enqueue(encoder.encode(message));
    }
    const consumer = start([...FAST, "-k", "greenlet", "-n"]);
    await waitFor(async () => (await app.huey.deadLetters()).length === bad, "the dead letters");
    const result = await app.add(1, 1);
    assert.equal(await result.get({ blocking: true, timeout: 60 }), 2, "the consumer goes on");
    assert.deepEqual(await consumer.stop("SIGINT"), { code: 0, signal: null });
    const output = consumer.output();
    const lines = output.split("\n").filter((line) => line.includes("moved to dead letters"));
    assert.equal(lines.length, bad);
    for (const line of lines) {
      assert.match(line, /WARNING:huey:MainThread:Message moved to dead letters \(\S+\): \S/);
    }
    assert.doesNotMatch(output, /ERROR:/);
    assert.doesNotMatch(output, STACK);
  }));

test("a producer script that uses the library outside the consumer writes nothing to stderr", async () => {
  const [command, prefix] = scriptCommand(join(ROOT, "tests", "fixtures", "producer.ts"));
  const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>(
    (resolve, reject) => {
      execFile(command, [...prefix], { cwd: ROOT, timeout: 60_000 }, (error, stdout, stderr) => {
        if (error) reject(Object.assign(error, { stderr }));
        else resolve({ stdout: String(stdout), stderr: String(stderr) });
      });
    },
  );
  assert.equal(stdout.trim(), "3");
  assert.equal(stderr, "");
});

test("the CLI refuses a Node older than 22.13 with a message that says what to do", () => {
  const problem = runtimeProblem({ name: "Node", version: "20.20.2" });
  assert.match(
    problem ?? "",
    /needs Node 22\.13\.0 or newer .*node:sqlite.*this is Node 20\.20\.2/,
  );
  assert.ok(runtimeProblem({ name: "Node", version: "22.12.0" }));
  assert.ok(runtimeProblem({ name: "Node", version: "22.9.1" }));
  for (const version of ["22.13.0", "22.13.1", "23.0.0", "24.9.0"]) {
    assert.equal(runtimeProblem({ name: "Node", version }), undefined, version);
  }
  assert.equal(runtimeProblem(), undefined, "the runtime running the tests is recent enough");
});

test("on Deno without --allow-run, -k process says which permission flag is missing (exit 1)", {
  skip: runtime === "deno" ? false : "Deno only",
}, () =>
  inScenario(SQLITE, async ({ env }) => {
    assert.equal(permissionProblem("process"), undefined, "the tests run with -A");
    const flags = ["--allow-read", "--allow-write", "--allow-env", "--allow-ffi", "--allow-sys"];
    const args = ["run", ...flags, CONSUMER, FIXTURE, ...FAST, "-k", "process"];
    const { code, stderr } = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(process.execPath, args, {
        cwd: ROOT,
        env: { ...process.env, ...env },
        timeout: 60_000,
      }, (error, _stdout, stderr) => {
        resolve({ code: error ? Number(error.code) : 0, stderr: String(stderr) });
      });
    });
    assert.equal(code, 1, stderr);
    assert.match(stderr, /^huey-consumer: error: process workers .*--allow-run \(or -A\)/);
    assert.doesNotMatch(stderr, /consumer started/);
  }));
