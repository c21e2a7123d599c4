/**
 * Loads the user's module and finds the Huey it exports.
 *
 * @module
 * @internal
 */
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";
import { type ConsumerHost, WORKER } from "./host.ts";

/** Whether a value looks like a Huey (the module may load another copy of this library). */
function isHuey(value: unknown): value is ConsumerHost {
  const candidate = value as Partial<ConsumerHost> | null;
  return typeof candidate === "object" && candidate !== null &&
    typeof candidate[WORKER]?.execute === "function" &&
    typeof candidate.readPeriodic === "function" && candidate.registry !== undefined;
}

/** The file URL of a module path, resolved against the current directory. */
export function moduleUrl(path: string): string {
  return /^[a-z]+:\/\//i.test(path) || path.startsWith("file:")
    ? path
    : pathToFileURL(resolve(path)).href;
}

/** A stack line or a source position: `file:///app.ts:3:21`, `/app.ts:3:21`, or `file:///app.ts:3`. */
const POSITION = /(?:^|[\s(])((?:file:\/\/)?\/[^\s()]+?:\d+(?::\d+)?)\)?$/;

/**
 * Where an error was thrown: the first position of its stack outside the
 * runtime and this library's loader, or the position a syntax error names
 * (Bun puts it in `position`, Node in the stack's first line).
 */
function whereThrown(error: unknown): string | undefined {
  const position = (error as { position?: { file?: string; line?: number; column?: number } })
    ?.position;
  if (position?.file && position.line) {
    return `${position.file}:${position.line}${position.column ? `:${position.column}` : ""}`;
  }
  const stack = error instanceof Error ? error.stack ?? "" : "";
  const loader = new URL(import.meta.url).pathname;
  for (const line of stack.split("\n")) {
    const found = POSITION.exec(line.trim())?.[1];
    if (found && !found.includes(loader)) return found;
  }
  return undefined;
}

/**
 * Why a module could not be loaded, in one line: the error's name, the
 * first line of its message, and where it was thrown.
 */
function describeLoadError(error: unknown): string {
  const text = error instanceof Error
    ? `${error.name && error.name !== "Error" ? `${error.name}: ` : ""}${error.message}`
    : String(error);
  const firstLine = text.split("\n", 1)[0];
  const where = whereThrown(error);
  return where && !firstLine.includes(where) ? `${firstLine} (at ${where})` : firstLine;
}

/**
 * Imports a module and returns its Huey: the named export, or `huey`, then `default`.
 *
 * @throws {Error} The module cannot be loaded (the message says why and
 *   where it was thrown; `cause` is the error, with its stack), or exports
 *   no Huey (the message says which names were tried).
 */
export async function loadHuey(url: string, exportName?: string): Promise<ConsumerHost> {
  let module: Record<string, unknown>;
  try {
    module = await import(url);
  } catch (error) {
    throw new Error(`Cannot load module ${url}: ${describeLoadError(error)}`, { cause: error });
  }
  const names = exportName ? [exportName] : ["huey", "default"];
  for (const name of names) {
    if (isHuey(module[name])) return module[name];
  }
  const found = names.map((name) => `'${name}'`).join(" or ");
  throw new Error(`Module ${url} exports no Huey as ${found}`);
}
