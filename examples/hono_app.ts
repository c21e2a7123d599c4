/**
 * A Hono app for Deno that enqueues tasks of `examples/app.ts`; a consumer
 * runs them in its own process.
 *
 * Start the consumer:   deno run -A consumer.ts examples/app.ts -w 2
 * Start the app:        deno serve -A --port 8000 examples/hono_app.ts
 * Enqueue:              curl -X POST localhost:8000/add -d '{"a": 1, "b": 2}'
 *                       -> 202 {"id":"..."}
 * Read the result:      curl localhost:8000/result/<id>
 *                       -> 200 {"id":"...","status":"complete","value":3}
 *                          (202 "pending" until it has run; 500 "failed" with the error)
 *
 * Both processes use the same SQLite file (HUEY_DEMO_DB, default `demo.db`).
 * `hono` comes from npm (deno.json maps it to `npm:hono@^4`). Outside this
 * repository, import from "jsr:@huey/huey" instead of "../mod.ts".
 *
 * @module
 */
import { Hono } from "hono";
import { TaskError } from "../mod.ts";
import { add, huey } from "./app.ts";

/** The app: `POST /add` enqueues, `GET /result/:id` reads a result. */
export const app = new Hono();

app.post("/add", async (c) => {
  const body = await c.req.json().catch(() => null) as { a?: unknown; b?: unknown } | null;
  const { a, b } = body ?? {};
  if (typeof a !== "number" || typeof b !== "number") {
    return c.json(
      { error: `Expected {"a": number, "b": number}, got ${JSON.stringify(body)}` },
      400,
    );
  }
  const result = await add(a, b);
  return c.json({ id: result.id }, 202);
});

app.get("/result/:id", async (c) => {
  const id = c.req.param("id");
  try {
    // `preserve` keeps the result stored, so that the URL can be read again.
    const value = await huey.result(id, { preserve: true });
    if (value === null) return c.json({ id, status: "pending" }, 202);
    return c.json({ id, status: "complete", value });
  } catch (error) {
    if (!(error instanceof TaskError)) throw error;
    return c.json({ id, status: "failed", error: error.message }, 500);
  }
});

/** `deno serve` calls `fetch` for every request. */
export default app;
