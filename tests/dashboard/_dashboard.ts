/**
 * Helpers of the dashboard's handler tests: an in-memory app with tasks
 * that complete, fail and wait, its dashboard, and requests the way a
 * browser makes them (same-origin POSTs carrying the page's CSRF token).
 *
 * @module
 */
import { encodeEvent, type EventRecord } from "../../event.ts";
import { crontab } from "../../mod.ts";
import { dashboard, type DashboardOptions } from "../../dashboard.ts";
import { makeHuey } from "../_helpers.ts";

/** The argument that must render as text. */
export const XSS = "<img src=x onerror=alert(1)>";

/** An app: a Huey with tasks, and its dashboard's handler. */
export function setup(options: DashboardOptions = {}) {
  const huey = makeHuey();
  const add = huey.task(function add(_a: unknown, b: number) {
    return b;
  });
  const boom = huey.task(function boom(what: unknown): number {
    throw new Error(`boom ${String(what)}`);
  });
  huey.periodicTask(crontab({ minute: "*/15", hour: "3" }), function nightly(): void {});
  const handle = dashboard(huey, options);
  const origin = "http://127.0.0.1:8080";
  const base = options.basePath ?? "";
  /** A GET of a path under the dashboard. */
  const get = (path: string, init: RequestInit = {}) =>
    handle(new Request(`${origin}${base}${path}`, init));
  /** A page's text (asserting a 200). */
  const page = async (path: string, init: RequestInit = {}) => {
    const response = await get(path, init);
    const text = await response.text();
    if (response.status !== 200) throw new Error(`${path}: ${response.status} ${text}`);
    return text;
  };
  /** The CSRF token the pages' forms carry. */
  const csrf = async () => /name="csrf" value="([^"]+)"/.exec(await page("/failures"))?.[1] ?? "";
  /** A same-origin POST of a form, as a browser sends it. */
  const post = (
    path: string,
    fields: Record<string, string>,
    headers: Record<string, string> = { origin, "sec-fetch-site": "same-origin" },
  ) =>
    handle(
      new Request(`${origin}${base}${path}`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
        body: new URLSearchParams(fields).toString(),
      }),
    );
  /** Appends events to the log, as a consumer publishes them. */
  const publish = (events: EventRecord[]) =>
    huey.storage.addEvents({ items: events.map(encodeEvent), maxLength: 10_000 });
  return { huey, add, boom, handle, get, page, csrf, post, publish, origin };
}
