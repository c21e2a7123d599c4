/**
 * The demo: starts a real consumer (thread workers) on the embedded SQLite
 * default with examples/app.ts, enqueues work, prints results as they come,
 * and stops the consumer gracefully with SIGINT.
 *
 * Usage: `npm run demo` (Node), or `deno run -A scripts/demo.ts`, or `bun scripts/demo.ts`.
 *
 * @module
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { scriptCommand } from "../_runtime.ts";
import { TaskError } from "../mod.ts";

const root = join(import.meta.dirname ?? ".", "..");
const dir = mkdtempSync(join(tmpdir(), "huey-demo-"));
process.env.HUEY_DEMO_DB = join(dir, "demo.db");

const [command, args] = scriptCommand(join(root, "consumer.ts"));
const consumer = spawn(command, [
  ...args,
  join(root, "examples/app.ts"),
  "-w",
  "2",
  "-k",
  "thread",
  "-d",
  "0.05",
], {
  stdio: ["ignore", "inherit", "inherit"],
  env: process.env,
});
const exited = new Promise<number | null>((resolve) =>
  consumer.on("exit", (code) => resolve(code))
);

const { add, flaky, huey, slowSquare } = await import("../examples/app.ts");
const show = (label: string, value: unknown): void =>
  console.log(`>>> ${label} = ${JSON.stringify(value)}`);

try {
  const sum = await add(1, 2);
  const squares = await slowSquare.map([1, 2, 3, 4, 5]);
  const later = await add.schedule({ args: [10, 20], delay: 2 });
  const pipeline = await huey.enqueue(add.s(1, 2).chain(add, 3).chain(slowSquare));
  const retried = await flaky(4);

  show("add(1, 2)", await sum.get({ blocking: true, timeout: 10 }));
  for await (const square of squares.asCompleted()) show("slowSquare (as completed)", square);
  show(
    "pipeline add(1, 2) -> add(3, _) -> slowSquare(_)",
    await pipeline.get({ blocking: true, timeout: 10 }),
  );
  show("add(10, 20) scheduled 2 s ahead", await later.get({ blocking: true, timeout: 10 }));
  // Each failed attempt stores its error (as huey does) until a retry succeeds.
  for (let attempt = 1;; attempt++) {
    try {
      show(`flaky(4), attempt ${attempt}`, await retried.get({ blocking: true, timeout: 10 }));
      break;
    } catch (error) {
      if (!(error instanceof TaskError) || error.metadata.retries === 0) throw error;
      console.log(`>>> flaky(4), attempt ${attempt} failed: ${error.message}; a retry follows`);
      retried.reset();
    }
  }
} finally {
  console.log(">>> stopping the consumer with SIGINT");
  consumer.kill("SIGINT");
  const timer = setTimeout(() => consumer.kill("SIGKILL"), 15_000);
  const code = await exited;
  clearTimeout(timer);
  await huey.close();
  rmSync(dir, { recursive: true, force: true });
  console.log(`>>> consumer exited with code ${code}`);
}
