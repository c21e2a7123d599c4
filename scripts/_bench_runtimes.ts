/**
 * The runtimes the benchmark runs its children on, and the command that runs
 * a script on each: the project's pinned binaries (`node_modules/.bin`) when
 * installed, else the one on `PATH`; the runtime running the bench uses its
 * own executable.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { runtime as current } from "../_runtime.ts";

/** A runtime the bench can run children on. */
export type BenchRuntime = "node" | "deno" | "bun";

/** Every runtime, in the order the report shows them. */
export const RUNTIMES: readonly BenchRuntime[] = ["node", "deno", "bun"];

/** The project's root folder. */
export const ROOT: string = fileURLToPath(new URL("../", import.meta.url));

/** The runtime running this process. */
export const thisRuntime: BenchRuntime = current as BenchRuntime;

function executable(name: BenchRuntime): string {
  if (name === thisRuntime) return process.execPath;
  const pinned = join(ROOT, "node_modules", ".bin", name);
  return existsSync(pinned) ? pinned : name;
}

/**
 * The command that runs `script` with `args` on `name`.
 *
 * @param flags Runtime flags (`--expose-gc`) given before the script; on Deno through `--v8-flags`.
 */
export function runtimeCommand(
  name: BenchRuntime,
  script: string,
  args: string[] = [],
  flags: string[] = [],
): [string, string[]] {
  const binary = executable(name);
  if (name === "deno") {
    const v8 = flags.length > 0 ? [`--v8-flags=${flags.join(",")}`] : [];
    return [binary, ["run", "-A", ...v8, script, ...args]];
  }
  if (name === "bun") return [binary, [script, ...args]];
  return [binary, [...flags, script, ...args]];
}

/**
 * Parses `--runtimes`: a comma-separated list of node, deno and bun.
 *
 * @throws {RangeError} A name is not a runtime.
 */
export function runtimeList(text: string): BenchRuntime[] {
  const names = text.split(",").map((name) => name.trim());
  const unknown = names.filter((name) => !(RUNTIMES as readonly string[]).includes(name));
  if (unknown.length > 0 || names.length === 0) {
    throw new RangeError(`Option '--runtimes' takes a list of ${RUNTIMES.join(", ")}, got ${text}`);
  }
  return names as BenchRuntime[];
}
