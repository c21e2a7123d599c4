// The dashboard's command lines (issue 14 item 1): the consumer's --dashboard and
// --dashboard-token flags, and the huey-dashboard bin (dashboard.ts) serving the fixture app's
// dashboard on SQLite; a host other than the loopback without a token refuses to start.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { scriptCommand } from "../../_runtime.ts";
import { parseCommandLine, UsageError } from "../../consumer/options.ts";
import {
  FAST,
  FIXTURE,
  inScenario,
  killAll,
  ROOT,
  runCli,
  waitFor,
} from "../consumer/_consumer.ts";
import { quietLogs } from "../_helpers.ts";

quietLogs();
const BIN = join(ROOT, "dashboard.ts");
after(killAll);

test("--dashboard takes [host:]port and --dashboard-token a token", () => {
  const { options } = parseCommandLine([
    "app.ts",
    "--dashboard",
    "0.0.0.0:8080",
    "--dashboard-token",
    "t0ken",
  ]);
  assert.equal(options.dashboard, "0.0.0.0:8080");
  assert.equal(options.dashboardToken, "t0ken");
  assert.throws(
    () => parseCommandLine(["app.ts", "--dashboard", "nope"]),
    (error: Error) => error instanceof UsageError && error.message.includes("--dashboard"),
  );
});

test("a consumer with --dashboard on 0.0.0.0 and no token refuses to start, naming HUEY_DASHBOARD_TOKEN", async () => {
  const dir = mkdtempSync(join(tmpdir(), "huey-dashboard-"));
  try {
    const env = {
      HUEY_TEST_STORAGE: "sqlite",
      HUEY_TEST_DB: join(dir, "queue.db"),
      HUEY_DASHBOARD_TOKEN: "",
    };
    const exit = await runCli([FIXTURE, "--dashboard", "0.0.0.0:0"], env);
    assert.equal(exit.code, 2, exit.stderr);
    assert.match(exit.stderr, /refuses to listen on 0\.0\.0\.0 without auth/);
    assert.match(exit.stderr, /HUEY_DASHBOARD_TOKEN/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Runs the huey-dashboard bin; resolves with its output once it exits. */
function startBin(args: string[], env: Record<string, string>) {
  const [command, prefix] = scriptCommand(BIN);
  const child = spawn(command, [...prefix, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk: Uint8Array) => output += chunk.toString());
  child.stderr!.on("data", (chunk: Uint8Array) => output += chunk.toString());
  const exited = new Promise<number | null>((resolve) =>
    child.once("close", (code) => resolve(code))
  );
  return { child, output: () => output, exited };
}

test("huey-dashboard serves the app's dashboard with a token, and exits 0 on SIGINT", async () => {
  const dir = mkdtempSync(join(tmpdir(), "huey-dashboard-"));
  const env = {
    HUEY_TEST_STORAGE: "sqlite",
    HUEY_TEST_DB: join(dir, "queue.db"),
    HUEY_DASHBOARD_TOKEN: "bin-token",
  };
  const bin = startBin([FIXTURE, "--port", "0", "--base-path", "/huey"], env);
  try {
    const url = await waitFor(
      () => /Dashboard served at (\S+)/.exec(bin.output())?.[1],
      "huey-dashboard to print its URL",
    );
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/huey\/$/);
    const refused = await fetch(url);
    assert.equal(refused.status, 401);
    await refused.body?.cancel();
    const page = await fetch(`${url}periodic`, { headers: { authorization: "Bearer bin-token" } });
    assert.equal(page.status, 200);
    assert.match(await page.text(), /tick/);
    // Not child.kill(): Deno then reports the signal sent as the cause of the exit.
    process.kill(bin.child.pid!, "SIGINT");
    assert.equal(await bin.exited, 0, bin.output());
  } finally {
    bin.child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
});

test("huey-dashboard on 0.0.0.0 without a token refuses to start (exit 2)", async () => {
  const bin = startBin([FIXTURE, "--host", "0.0.0.0", "--port", "0"], {
    HUEY_TEST_STORAGE: "sqlite",
    HUEY_TEST_DB: join(tmpdir(), `never-${process.pid}.db`),
    HUEY_DASHBOARD_TOKEN: "",
  });
  assert.equal(await bin.exited, 2, bin.output());
  assert.match(bin.output(), /refuses to listen on 0\.0\.0\.0 without auth/);
});

test("a consumer with --dashboard serves the pages and the live updates over node:http", async () => {
  await inScenario({ kind: "sqlite" }, async (scenario) => {
    const consumer = scenario.start([...FAST, "--dashboard", "127.0.0.1:0"]);
    const url = await waitFor(
      () => /Dashboard served at (\S+)/.exec(consumer.output())?.[1],
      "the consumer to log its dashboard URL",
    );
    const overview = await fetch(url);
    assert.equal(overview.status, 200);
    assert.match(await overview.text(), /data-count="consumers"/);
    const leave = new AbortController();
    const live = await fetch(`${url}events`, { signal: leave.signal });
    assert.equal(live.headers.get("content-type"), "text/event-stream; charset=utf-8");
    const reader = live.body!.getReader();
    let text = "";
    while (!/event: update\ndata: .*"consumers":1/.test(text)) {
      const { done, value } = await reader.read();
      assert.ok(!done, `the stream ended:\n${text}`);
      text += new TextDecoder().decode(value);
    }
    leave.abort();
    await reader.cancel().catch(() => {});
    assert.equal((await consumer.stop("SIGINT")).code, 0, consumer.output());
  });
});
