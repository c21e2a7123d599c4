/**
 * The dashboard mounted in a Hono app under `/admin/huey`, beside the
 * app's own routes, behind a token.
 *
 * Start a consumer:     deno run -A consumer.ts examples/app.ts -w 2
 * Start the app:        HUEY_DASHBOARD_TOKEN=secret deno serve -A --port 8000 examples/dashboard_hono.ts
 * Open:                 http://localhost:8000/admin/huey/?token=secret
 *
 * `hono` comes from npm (deno.json maps it to `npm:hono@^4`). Outside this
 * repository, import from "jsr:@huey/huey/dashboard" instead of "../dashboard.ts".
 *
 * @module
 */
import process from "node:process";
import { Hono } from "hono";
import { dashboard } from "../dashboard.ts";
import { huey } from "./app.ts";

const token = process.env.HUEY_DASHBOARD_TOKEN;
if (!token) throw new Error("Set HUEY_DASHBOARD_TOKEN: the dashboard can retry, revoke and purge");

/** The dashboard's handler: every request under its base path goes to it. */
const handle = dashboard(huey, { basePath: "/admin/huey", auth: { token } });

/** The app. */
export const app = new Hono();
app.get("/", (c) => c.text("The app; its tasks' dashboard is at /admin/huey/"));
app.all("/admin/huey", (c) => handle(c.req.raw));
app.all("/admin/huey/*", (c) => handle(c.req.raw));

export default app;
