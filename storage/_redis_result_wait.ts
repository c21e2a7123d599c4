/**
 * How a reader of a Redis storage with `notifyResult` waits for a result:
 * a blocking command on the result's notification LIST, on a connection of
 * its own, that does not take the notification, so that every waiter of
 * the result wakes, in every process (huey 3.3's `notify_result`).
 *
 * @module
 * @internal
 */
import { checkNumber } from "../_options.ts";
import type { RedisContext, ResultModel } from "./_redis_layout.ts";
import type { RedisSession } from "./_redis_session.ts";

/** The longest single wait, in ms: a wait without end looks again this often. */
const MAX_RESULT_WAIT = 60_000;

/**
 * Waits until a value is stored under `key`.
 *
 * @param session The storage's connections (the waiting one included).
 * @param results The storage's result model, which says whether the value is there.
 * @param context Gives the storage's connection, keys and result ttl (connecting on first use).
 * @param key The key.
 * @param timeout How long to wait, in ms (`Infinity`: no end).
 * @param signal Ends the wait.
 * @returns `true` once the value is there; `false` after `timeout`, when
 *   `signal` aborts or the storage closes.
 * @throws {ConfigurationError} `timeout` is not a number `>= 0`.
 */
export async function waitForResult(
  session: RedisSession,
  results: ResultModel,
  context: () => Promise<RedisContext>,
  key: string,
  timeout: number,
  signal?: AbortSignal,
): Promise<boolean> {
  const deadline = timeout === Infinity
    ? Infinity
    : Date.now() + checkNumber("timeout", timeout, ">= 0");
  const current = await context();
  while (!signal?.aborted) {
    if (await results.ready(current, key)) return true;
    const remaining = Math.min(deadline - Date.now(), MAX_RESULT_WAIT);
    if (remaining <= 0) return false;
    try {
      await session.wait(current.keys.resultNotify + key, remaining / 1000, signal);
    } catch (error) {
      if (session.closed) return false;
      throw error;
    }
  }
  return false;
}
