/**
 * The dashboard in `Deno.serve` under `/huey`, beside the app's own routes.
 * On 127.0.0.1 it needs no auth; give `auth` before you listen elsewhere.
 *
 * Start a consumer:     deno run -A consumer.ts examples/app.ts -w 2
 * Start the server:     deno run -A examples/dashboard_deno.ts
 * Open:                 http://127.0.0.1:8000/huey/
 *
 * Outside this repository, import from "jsr:@huey/huey/dashboard" instead of "../dashboard.ts".
 *
 * @module
 */
import { dashboard } from "../dashboard.ts";
import { huey } from "./app.ts";

const handle = dashboard(huey, { basePath: "/huey" });

/** Routes `/huey` and below to the dashboard, the rest to the app. */
export function serve(request: Request): Promise<Response> | Response {
  const { pathname } = new URL(request.url);
  if (pathname === "/huey" || pathname.startsWith("/huey/")) return handle(request);
  return new Response("The app; its tasks' dashboard is at /huey/\n");
}

if (import.meta.main) Deno.serve({ hostname: "127.0.0.1", port: 8000 }, serve);
