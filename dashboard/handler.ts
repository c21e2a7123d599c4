/**
 * `dashboard(huey, options)`: the dashboard as a web-standard handler
 * `(request: Request) => Promise<Response>`, for `Deno.serve`,
 * `Bun.serve`, Hono or, through `toNodeListener`, `node:http`. Routes:
 * the pages (GET), the actions (POST under `actions/`, with the CSRF token
 * and from the same origin), `events` (server-sent events), `metrics`
 * (Prometheus) and `assets/`.
 *
 * @module
 */
import { getLogger } from "../logger.ts";
import { metrics, METRICS_CONTENT_TYPE } from "../metrics.ts";
import { ActionError, ACTIONS } from "./actions.ts";
import { SCRIPT, STYLESHEET } from "./assets.ts";
import type { Html } from "./html.ts";
import type { PageContext } from "./layout.ts";
import { liveUpdates } from "./live.ts";
import { type DashboardOptions, resolveDashboardOptions } from "./options.ts";
import { overviewPage, readSnapshot } from "./overview.ts";
import { pendingPage, runningPage, scheduledPage } from "./queues.ts";
import { deadLettersPage, failuresPage } from "./failed.ts";
import { authenticate, isSameOrigin, SECURITY_HEADERS, Signer } from "./security.ts";
import type { DashboardHuey } from "./source.ts";
import { periodicPage, resultsPage, revocationsPage, taskPage } from "./tasks.ts";
import { ThroughputFollower } from "./throughput.ts";

const logger = getLogger("huey.dashboard");

/** A request handler of the web's `fetch` kind. */
export type DashboardHandler = (request: Request) => Promise<Response>;

/** The pages, by path under the dashboard's. */
type PageRenderer = (context: PageContext, huey: DashboardHuey) => Promise<Html> | Html;

/** A response with the security headers. */
function respond(
  body: ConstructorParameters<typeof Response>[0],
  status: number,
  headers: Record<string, string> = {},
): Response {
  return new Response(body, { status, headers: { ...SECURITY_HEADERS, ...headers } });
}

function text(status: number, message: string, headers: Record<string, string> = {}): Response {
  return respond(`${message}\n`, status, {
    "content-type": "text/plain; charset=utf-8",
    ...headers,
  });
}

/**
 * The dashboard of a Huey: pages to watch its queue, schedule, consumers,
 * failures and dead letters, and actions to retry, requeue, revoke and
 * restore (see docs/dashboard.md).
 *
 * @param huey The Huey to show (its storage is read; its registry gives the periodic tasks).
 * @param options See {@linkcode DashboardOptions}.
 * @returns The handler.
 * @throws {ConfigurationError} An option has a bad value; the message names it.
 *
 * @example
 * ```ts
 * import { MemoryHuey } from "../mod.ts";
 * import { dashboard } from "../dashboard.ts";
 * const huey = new MemoryHuey("dashboard");
 * const handle = dashboard(huey, { basePath: "/huey" });
 * const response = await handle(new Request("http://localhost/huey/"));
 * console.assert(response.status === 200);
 * ```
 */
export function dashboard(huey: DashboardHuey, options: DashboardOptions = {}): DashboardHandler {
  const resolved = resolveDashboardOptions(huey.name, options);
  const { basePath, auth, readOnly, title, pageSize, refreshInterval } = resolved;
  const signer = new Signer(resolved.secret);
  const csrf = signer.token("csrf");
  const follower = new ThroughputFollower(huey.storage);
  const pages: Readonly<Record<string, PageRenderer>> = {
    "/": async (context) => {
      const snapshot = await readSnapshot(huey.storage, follower);
      return overviewPage(context, snapshot, follower.recent);
    },
    "/pending": pendingPage,
    "/scheduled": scheduledPage,
    "/running": runningPage,
    "/failures": failuresPage,
    "/dead-letters": deadLettersPage,
    "/revocations": revocationsPage,
    "/periodic": periodicPage,
    "/results": resultsPage,
  };

  async function route(request: Request, path: string, url: URL): Promise<Response> {
    const method = request.method;
    if (path.startsWith("/assets/")) {
      const asset = path === "/assets/dashboard.css"
        ? [STYLESHEET, "text/css; charset=utf-8"]
        : path === "/assets/dashboard.js"
        ? [SCRIPT, "text/javascript; charset=utf-8"]
        : null;
      if (asset === null) return text(404, "Not found");
      return respond(asset[0], 200, { "content-type": asset[1] });
    }
    if (path.startsWith("/actions/")) {
      const action = ACTIONS[path.slice("/actions/".length)];
      if (action === undefined) return text(404, "Not found");
      if (method !== "POST") {
        return text(405, "Method not allowed: actions are POSTs", { allow: "POST" });
      }
      if (readOnly) return text(403, "Forbidden: this dashboard is read-only");
      if (!isSameOrigin(request)) {
        return text(403, "Forbidden: the request does not come from the dashboard's own pages");
      }
      const form = new URLSearchParams(await request.text());
      if (!(await signer.equal(form.get("csrf") ?? "", await csrf))) {
        return text(403, "Forbidden: the form's CSRF token is missing or wrong (reload the page)");
      }
      try {
        const { done, back } = await action(huey, form);
        return respond(null, 303, { location: `${basePath}${back}?done=${done}` });
      } catch (error) {
        if (error instanceof ActionError) return text(400, `Bad request: ${error.message}`);
        throw error;
      }
    }
    if (method !== "GET" && method !== "HEAD") {
      return text(405, "Method not allowed", { allow: "GET, HEAD" });
    }
    if (path === "/events") {
      return respond(liveUpdates(huey.storage, refreshInterval, request.signal), 200, {
        "content-type": "text/event-stream; charset=utf-8",
        "x-accel-buffering": "no",
      });
    }
    if (path === "/metrics") {
      return respond(await metrics(huey), 200, { "content-type": METRICS_CONTENT_TYPE });
    }
    const context: PageContext = {
      base: basePath,
      title,
      readOnly,
      csrf: await csrf,
      url,
      pageSize,
    };
    if (path === "/tasks") {
      const id = url.searchParams.get("id")?.trim();
      if (!id) return respond(null, 303, { location: `${basePath}/` });
      return respond(null, 303, { location: `${basePath}/tasks/${encodeURIComponent(id)}` });
    }
    let body: Html;
    if (path.startsWith("/tasks/")) {
      let id: string;
      try {
        id = decodeURIComponent(path.slice("/tasks/".length));
      } catch {
        return text(400, "Bad request: the task id is not valid percent-encoding");
      }
      body = await taskPage(context, huey, id);
    } else {
      const render = pages[path];
      if (render === undefined) return text(404, "Not found");
      body = await render(context, huey);
    }
    return respond(body.text, 200, { "content-type": "text/html; charset=utf-8" });
  }

  return async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    if (url.pathname !== basePath && !url.pathname.startsWith(`${basePath}/`)) {
      return text(404, "Not found");
    }
    const path = url.pathname.slice(basePath.length) || "/";
    if (path === "/" && url.pathname === basePath && basePath !== "") {
      return respond(null, 308, { location: `${basePath}/${url.search}` });
    }
    const authorized = await authenticate(request, auth, signer, basePath);
    if (!authorized.ok) {
      return text(401, "Unauthorized: this dashboard needs its token or user and password", {
        "www-authenticate": authorized.challenge,
      });
    }
    if (authorized.setCookie !== undefined) {
      // A ?token= visit: the cookie keeps the session, and the token leaves the address bar.
      url.searchParams.delete("token");
      return respond(null, 303, {
        location: `${url.pathname}${url.search}`,
        "set-cookie": authorized.setCookie,
      });
    }
    let response: Response;
    try {
      response = await route(request, path, url);
    } catch (error) {
      logger.warning(
        `The dashboard could not answer ${request.method} ${path}: ${(error as Error).message}`,
      );
      response = text(500, `The dashboard could not read the storage: ${(error as Error).message}`);
    }
    return response;
  };
}
