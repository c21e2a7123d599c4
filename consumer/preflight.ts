/**
 * What the consumer's command line checks before it loads the user's
 * module: a runtime recent enough (node:sqlite without a flag), and on Deno
 * the permissions the chosen workers need. Each problem is one sentence
 * that says what to do.
 *
 * @module
 * @internal
 */
import { permissionDenied, runtimeVersion } from "../_runtime.ts";
import type { WorkerType } from "./options.ts";

/**
 * The oldest version of a runtime that runs huey: Node has `node:sqlite`
 * without a flag from 22.13. (The Deno and Bun versions this project is
 * tested on have it; their older versions are not checked.)
 */
const MINIMUM_VERSIONS: Readonly<Record<string, string>> = { Node: "22.13.0" };

/** Compares dotted versions (`22.13.0` < `22.9.1` is false). */
function older(version: string, than: string): boolean {
  const a = version.split(/[.+-]/).map(Number);
  const b = than.split(".").map(Number);
  for (let i = 0; i < b.length; i++) {
    if ((a[i] ?? 0) !== b[i]) return (a[i] ?? 0) < b[i];
  }
  return false;
}

/**
 * What is wrong with a runtime for huey, if anything.
 *
 * @param runtime The runtime's name (`Node`, `Deno`, `Bun`) and version.
 * @returns The problem in one sentence, or `undefined`.
 */
export function runtimeProblem(
  runtime: { name: string; version: string } = runtimeVersion(),
): string | undefined {
  const minimum = MINIMUM_VERSIONS[runtime.name];
  if (!minimum || !runtime.version || !older(runtime.version, minimum)) return undefined;
  return `huey needs ${runtime.name} ${minimum} or newer (for node:sqlite without a flag), ` +
    `and this is ${runtime.name} ${runtime.version}: upgrade ${runtime.name}`;
}

/**
 * The permission Deno denies that these workers need, as the flag to add.
 *
 * @returns The problem in one sentence, or `undefined`.
 */
export function permissionProblem(workerType: WorkerType | string | undefined): string | undefined {
  if (workerType !== "process" || !permissionDenied("run")) return undefined;
  return "process workers are subprocesses, and Deno denies starting them: " +
    "run Deno with --allow-run (or -A), or use -k thread";
}
