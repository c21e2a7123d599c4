/**
 * Node's module compile cache for the consumer: a consumer's start-up is
 * mostly loading modules, in its own thread and again in each thread or
 * process worker (and on Node, from TypeScript source, stripping their
 * types). With the cache on, Node keeps the compiled code on disk and the
 * next start, and every worker after the first, loads it from there: a
 * consumer with four thread workers, run from source, takes its first task
 * about 0.3 to 0.5 s sooner on our 2-vCPU machines (docs/performance.md).
 * Deno and Bun keep caches of their own.
 *
 * @module
 * @internal
 */
import module from "node:module";
import process from "node:process";
import { runtime } from "../_runtime.ts";

/** What `node:module` has for the cache (Node >= 22.1; not Deno's nor Bun's). */
interface CompileCacheModule {
  enableCompileCache?: (directory?: string) => { directory?: string };
}

/**
 * Turns Node's module compile cache on for this process and the workers it
 * starts (`NODE_COMPILE_CACHE`, which thread and process workers inherit),
 * in the folder `NODE_COMPILE_CACHE` names, else Node's default
 * (`node-compile-cache` in the temporary folder); not when
 * `NODE_DISABLE_COMPILE_CACHE` is set (Node's own switches). Does nothing
 * on Deno and Bun, or when the cache cannot be opened (Node says why only
 * in its debug output; the consumer runs as before).
 *
 * @returns The cache's folder, or `undefined` when it is not on.
 */
export function useCompileCache(): string | undefined {
  if (runtime !== "node" || process.env.NODE_DISABLE_COMPILE_CACHE) return undefined;
  const enable = (module as CompileCacheModule).enableCompileCache;
  if (typeof enable !== "function") return undefined;
  const directory = enable(process.env.NODE_COMPILE_CACHE || undefined).directory;
  if (directory) process.env.NODE_COMPILE_CACHE = directory;
  return directory;
}
