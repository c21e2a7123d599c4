/**
 * Serving the dashboard over `node:http` (Deno, Node and Bun alike):
 * `toNodeListener(handler)` adapts any web-standard handler, and
 * `serveDashboard(huey, options)` listens on a host and port — only on
 * this machine's loopback unless `auth` is set, which the consumer's
 * `--dashboard` and the `huey-dashboard` bin rely on.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { DEFAULT_HOST, type HttpServer, listen, type NodeListener } from "../_listen.ts";
import { dashboard, type DashboardHandler } from "./handler.ts";
import { checkExposure, type DashboardOptions } from "./options.ts";
import type { DashboardHuey } from "./source.ts";

/** The web `Request` of a `node:http` request; `signal` aborts when the client goes away. */
function toRequest(request: IncomingMessage, signal: AbortSignal): Request {
  const host = request.headers.host ?? "localhost";
  const url = new URL(request.url ?? "/", `http://${host}`);
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item);
  }
  const method = request.method ?? "GET";
  const hasBody = method !== "GET" && method !== "HEAD";
  return new Request(url, {
    method,
    headers,
    signal,
    body: hasBody ? (Readable.toWeb(request) as ReadableStream<Uint8Array>) : undefined,
    // @ts-ignore: `duplex` is required with a stream body (Node's fetch), unknown to the DOM types.
    duplex: "half",
  });
}

/**
 * A `node:http` listener that answers with a web-standard handler
 * (streamed bodies, such as server-sent events, included).
 *
 * @param handler The handler, e.g. `dashboard(huey)`.
 * @example
 * ```ts
 * import { createServer } from "node:http";
 * import { MemoryHuey } from "../mod.ts";
 * import { dashboard, toNodeListener } from "../dashboard.ts";
 * const server = createServer(toNodeListener(dashboard(new MemoryHuey("app"))));
 * server.close();
 * ```
 */
export function toNodeListener(handler: DashboardHandler): NodeListener {
  return (request: IncomingMessage, response: ServerResponse) => {
    const aborted = new AbortController();
    response.once("close", () => aborted.abort());
    void (async () => {
      const answer = await handler(toRequest(request, aborted.signal));
      const headers: Record<string, string | string[]> = {};
      answer.headers.forEach((value, name) => {
        headers[name] = name === "set-cookie" ? answer.headers.getSetCookie() : value;
      });
      response.writeHead(answer.status, headers);
      if (answer.body === null || request.method === "HEAD") {
        response.end();
        return;
      }
      response.flushHeaders();
      const reader = answer.body.getReader();
      aborted.signal.addEventListener("abort", () => void reader.cancel().catch(() => {}));
      while (true) {
        const { done, value } = await reader.read();
        if (done) break;
        response.write(value);
      }
      response.end();
    })().catch((error) => {
      if (!response.headersSent) response.writeHead(500, { "content-type": "text/plain" });
      response.end(`Internal error: ${(error as Error).message}\n`);
    });
  };
}

/** Options of {@linkcode serveDashboard}. */
export interface ServeDashboardOptions extends DashboardOptions {
  /** The address to bind; any other than the loopback needs `auth`. @default "127.0.0.1" */
  host?: string;
  /** The port; 0 picks a free one. @default 8080 */
  port?: number;
}

/** A running dashboard server. */
export interface DashboardServer {
  /** `http://host:port` and the base path, ending with `/`. */
  readonly url: string;
  /** Stops listening and ends open connections (live updates too). */
  close(): Promise<void>;
}

/**
 * Serves a Huey's dashboard over `node:http`.
 *
 * @throws {ConfigurationError} A bad option, or a host other than the loopback without `auth`.
 * @throws {Error} The address cannot be bound (in use, not this machine's).
 */
export async function serveDashboard(
  huey: DashboardHuey,
  options: ServeDashboardOptions = {},
): Promise<DashboardServer> {
  const { host = DEFAULT_HOST, port = 8080, ...rest } = options;
  checkExposure(host, rest.auth);
  const handler = dashboard(huey, rest);
  const server: HttpServer = await listen(toNodeListener(handler), { host, port });
  return { url: `${server.origin}${rest.basePath ?? ""}/`, close: () => server.close() };
}
