/**
 * The dashboard in `Bun.serve` under `/huey`, beside the app's own routes.
 * On 127.0.0.1 it needs no auth; give `auth` before you listen elsewhere.
 *
 * Start a consumer:     bun consumer.ts examples/app.ts -w 2
 * Start the server:     bun examples/dashboard_bun.ts
 * Open:                 http://127.0.0.1:8000/huey/
 *
 * Outside this repository, import from "@huey/huey/dashboard" instead of "../dashboard.ts".
 *
 * @module
 */
import { dashboard } from "../dashboard.ts";
import { huey } from "./app.ts";

/** The part of Bun's API this example uses (no Bun typings needed to type-check it). */
declare const Bun: {
  serve(options: {
    hostname: string;
    port: number;
    /** Bun closes idle connections after 10 s by default: the live updates stay open. */
    idleTimeout: number;
    fetch(request: Request): Promise<Response> | Response;
  }): unknown;
};

const handle = dashboard(huey, { basePath: "/huey" });

Bun.serve({
  hostname: "127.0.0.1",
  port: 8000,
  idleTimeout: 0,
  fetch(request) {
    const { pathname } = new URL(request.url);
    if (pathname === "/huey" || pathname.startsWith("/huey/")) return handle(request);
    return new Response("The app; its tasks' dashboard is at /huey/\n");
  },
});
