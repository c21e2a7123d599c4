/**
 * Loads the user's module and finds the Huey it exports.
 *
 * @module
 * @internal
 */
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";
import type { Huey } from "../huey.ts";

/** Whether a value looks like a Huey (the module may load another copy of this library). */
export function isHuey(value: unknown): value is Huey {
  const candidate = value as Partial<Huey> | null;
  return typeof candidate === "object" && candidate !== null &&
    typeof candidate.dequeue === "function" && typeof candidate.execute === "function" &&
    typeof candidate.readSchedule === "function" && candidate.registry !== undefined;
}

/** The file URL of a module path, resolved against the current directory. */
export function moduleUrl(path: string): string {
  return /^[a-z]+:\/\//i.test(path) || path.startsWith("file:")
    ? path
    : pathToFileURL(resolve(path)).href;
}

/**
 * Imports a module and returns its Huey: the named export, or `huey`, then `default`.
 *
 * @throws {Error} The module cannot be loaded, or exports no Huey (the message says which).
 */
export async function loadHuey(url: string, exportName?: string): Promise<Huey> {
  let module: Record<string, unknown>;
  try {
    module = await import(url);
  } catch (error) {
    throw new Error(`Cannot load module ${url}: ${(error as Error).message}`, { cause: error });
  }
  const names = exportName ? [exportName] : ["huey", "default"];
  for (const name of names) {
    if (isHuey(module[name])) return module[name];
  }
  const found = names.map((name) => `'${name}'`).join(" or ");
  throw new Error(`Module ${url} exports no Huey as ${found}`);
}
