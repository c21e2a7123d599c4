/**
 * Chromium for the dashboard's browser tests, driven by `playwright-core`
 * (Debian's package `chromium`, not a browser playwright downloads). When
 * it is missing the browser tests are skipped loudly; under CI they fail.
 * They run on Node only: Deno and Bun run the dashboard's handler tests.
 *
 * @module
 */
import { existsSync } from "node:fs";
import process from "node:process";
import { runtime } from "../_runtime.ts";

/** Where Debian installs Chromium (`CHROMIUM` overrides it). */
export const CHROMIUM_PATH: string = process.env.CHROMIUM ?? "/usr/bin/chromium";

const installed = existsSync(CHROMIUM_PATH);

/** Why the browser tests are skipped, or `undefined` when they run. */
export const chromiumSkip: string | undefined = runtime !== "node"
  ? `the browser tests run on Node only (playwright-core drives Chromium from Node; ${runtime} ` +
    "runs the dashboard's handler tests)"
  : installed || process.env.CI
  ? undefined
  : `Chromium is not at ${CHROMIUM_PATH}: the dashboard's browser tests are SKIPPED ` +
    "(apt-get install chromium)";

if (chromiumSkip && runtime === "node") console.warn(`\n*** WARNING: ${chromiumSkip} ***\n`);

/** The options of `chromium.launch()`: the system's Chromium, no sandbox (CI runs as root). */
export function launchOptions(): { executablePath: string; args: string[] } {
  if (!installed) {
    throw new Error(`Chromium is not at ${CHROMIUM_PATH}, and CI needs the browser tests`);
  }
  return { executablePath: CHROMIUM_PATH, args: ["--no-sandbox"] };
}
