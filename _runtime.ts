/**
 * The only module that knows which runtime runs the code (Deno, Node or
 * Bun). Everything else uses web-standard APIs and `node:` built-ins.
 *
 * @module
 * @internal
 */

/** The JavaScript runtime the code runs on. */
export type RuntimeName = "deno" | "bun" | "node";

interface GlobalsLike {
  Deno?: { version?: { deno?: string } };
  Bun?: { version?: string };
}

function detect(): RuntimeName {
  const globals = globalThis as GlobalsLike;
  if (globals.Deno?.version?.deno) return "deno";
  if (globals.Bun?.version) return "bun";
  return "node";
}

/** The runtime, detected once. */
export const runtime: RuntimeName = detect();

/**
 * Resolves after `seconds`, or at once when `signal` aborts (without
 * rejecting: callers check `signal.aborted` themselves).
 *
 * @param seconds How long to wait.
 * @param signal Cuts the wait short.
 * @param unref Lets the process exit while waiting (Node and Bun timers).
 */
export function sleep(seconds: number, signal?: AbortSignal, unref = false): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, seconds * 1000));
    if (unref) unrefTimer(timer);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** Lets the process exit although this timer is pending. */
export function unrefTimer(timer: ReturnType<typeof setTimeout>): void {
  const handle = timer as unknown as { unref?: () => void } | number;
  if (typeof handle === "object" && typeof handle.unref === "function") handle.unref();
  else if (typeof handle === "number") {
    (globalThis as { Deno?: { unrefTimer?: (id: number) => void } }).Deno?.unrefTimer?.(handle);
  }
}
