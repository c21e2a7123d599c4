/**
 * Prometheus's own linter for the metrics tests: `promtool check metrics`
 * reads a page on its standard input and exits 0 when it parses and
 * follows Prometheus's naming rules. When promtool is not installed (Debian
 * package `prometheus`), the checks are skipped loudly; under CI they fail.
 *
 * @module
 */
import { spawn, spawnSync } from "node:child_process";
import process from "node:process";

const installed = spawnSync("promtool", ["--version"], { stdio: "ignore" }).status === 0;

/** Why the promtool checks are skipped (not installed), or `undefined` when they run. */
export const promtoolSkip: string | undefined = installed || process.env.CI ? undefined : (
  "promtool is not on PATH: the Prometheus linter checks of the metrics are SKIPPED " +
  "(apt-get install prometheus)"
);

if (promtoolSkip) console.warn(`\n*** WARNING: ${promtoolSkip} ***\n`);

/**
 * Runs `promtool check metrics` on a page.
 *
 * @returns Its exit code and what it said (its problems, one a line).
 * @throws {Error} promtool is missing (only reached under CI: elsewhere
 *   the tests are skipped).
 */
export function promtoolCheck(page: string): Promise<{ code: number | null; output: string }> {
  if (!installed) throw new Error("promtool is not installed, and CI needs the metrics checks");
  const child = spawn("promtool", ["check", "metrics"], { stdio: ["pipe", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (chunk: Uint8Array) => output += chunk.toString());
  child.stderr.on("data", (chunk: Uint8Array) => output += chunk.toString());
  child.stdin.end(page);
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, output }));
  });
}
