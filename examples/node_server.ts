/**
 * A plain `node:http` server that enqueues tasks of `examples/app.ts`; a
 * consumer runs them in its own process.
 *
 * Start the consumer:   node consumer.ts examples/app.ts -w 2
 * Start the server:     node examples/node_server.ts          (PORT, default 8000)
 * Enqueue:              curl -X POST localhost:8000/add -d '{"a": 1, "b": 2}'
 *                       -> 202 {"id":"..."}
 * Read the result:      curl localhost:8000/result/<id>
 *                       -> 200 {"id":"...","status":"complete","value":3}
 *                          (202 "pending" until it has run; 500 "failed" with the error)
 *
 * Both processes use the same SQLite file (HUEY_DEMO_DB, default `demo.db`).
 * Outside this repository, import from "@huey/huey" instead of "../mod.ts".
 *
 * @module
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import process from "node:process";
import { TaskError } from "../mod.ts";
import { add, huey } from "./app.ts";

function reply(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify(body) + "\n");
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  let text = "";
  for await (const chunk of request) text += chunk;
  return JSON.parse(text || "null");
}

async function enqueueAdd(request: IncomingMessage, response: ServerResponse): Promise<void> {
  let body: { a?: unknown; b?: unknown } | null;
  try {
    body = await readJson(request) as typeof body;
  } catch {
    return reply(response, 400, { error: "The body must be JSON" });
  }
  const { a, b } = body ?? {};
  if (typeof a !== "number" || typeof b !== "number") {
    return reply(response, 400, {
      error: `Expected {"a": number, "b": number}, got ${JSON.stringify(body)}`,
    });
  }
  const result = await add(a, b);
  reply(response, 202, { id: result.id });
}

async function showResult(id: string, response: ServerResponse): Promise<void> {
  try {
    // `preserve` keeps the result stored, so that the URL can be read again.
    const value = await huey.result(id, { preserve: true });
    if (value === null) return reply(response, 202, { id, status: "pending" });
    reply(response, 200, { id, status: "complete", value });
  } catch (error) {
    if (!(error instanceof TaskError)) throw error;
    reply(response, 500, { id, status: "failed", error: error.message });
  }
}

/** The server: `POST /add` enqueues, `GET /result/:id` reads a result. */
export const server = createServer(async (request, response) => {
  const { pathname } = new URL(request.url ?? "/", "http://localhost");
  const resultId = /^\/result\/([\w-]+)$/.exec(pathname)?.[1];
  try {
    if (request.method === "POST" && pathname === "/add") {
      return await enqueueAdd(request, response);
    }
    if (request.method === "GET" && resultId) return await showResult(resultId, response);
    reply(response, 404, { error: `No route for ${request.method} ${pathname}` });
  } catch (error) {
    reply(response, 500, { error: String(error) });
  }
});

if (import.meta.main) {
  const port = Number(process.env.PORT ?? 8000);
  server.listen(port, () => console.log(`Listening on http://localhost:${port}`));
  process.on("SIGINT", () => {
    server.close();
    void huey.close();
  });
}
