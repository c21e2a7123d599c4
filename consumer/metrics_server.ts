/**
 * The consumer's `--metrics [host:]port`: a small `node:http` server (Deno,
 * Node and Bun alike) that answers `GET /metrics` with `metrics(huey)`.
 *
 * @module
 * @internal
 */
import { getLogger } from "../logger.ts";
import { metrics, METRICS_CONTENT_TYPE, type MetricsSource } from "../metrics.ts";
import { listen, type ListenAddress } from "../_listen.ts";

export { type ListenAddress, parseListenAddress } from "../_listen.ts";

/** A running metrics server. */
export interface MetricsServer {
  /** `http://host:port/metrics`, with the port it got. */
  readonly url: string;
  /** Stops listening and ends open connections. */
  close(): Promise<void>;
}

const logger = getLogger("huey.consumer");

/**
 * Serves `metrics(huey)` at `GET /metrics` (404 elsewhere, 405 for other
 * methods, 500 with the reason when the storage cannot be read).
 *
 * @throws {Error} The address cannot be bound (in use, not this machine's).
 */
export async function serveMetrics(
  huey: MetricsSource,
  address: ListenAddress,
): Promise<MetricsServer> {
  const server = await listen((request, response) => {
    const path = (request.url ?? "/").split("?", 1)[0];
    if (path !== "/metrics") {
      response.writeHead(404, { "content-type": "text/plain" }).end("Not found: try /metrics\n");
      return;
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain" })
        .end("Method not allowed\n");
      return;
    }
    metrics(huey).then(
      (page) => response.writeHead(200, { "content-type": METRICS_CONTENT_TYPE }).end(page),
      (error) => {
        logger.warning(`Could not read the metrics: ${(error as Error).message}`);
        response.writeHead(500, { "content-type": "text/plain" })
          .end(`Could not read the metrics: ${(error as Error).message}\n`);
      },
    );
  }, address);
  return { url: `${server.origin}/metrics`, close: () => server.close() };
}
