/**
 * The consumer's `--metrics [host:]port`: a small `node:http` server (Deno,
 * Node and Bun alike) that answers `GET /metrics` with `metrics(huey)`.
 *
 * @module
 * @internal
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { getLogger } from "../logger.ts";
import { metrics, METRICS_CONTENT_TYPE, type MetricsSource } from "../metrics.ts";

/** Where a server listens. */
export interface ListenAddress {
  /** The host or address to bind. */
  readonly host: string;
  /** The port; 0 picks a free one. */
  readonly port: number;
}

/** The host a `port` alone binds: only this machine can scrape. */
export const DEFAULT_METRICS_HOST = "127.0.0.1";

/** What `[host:]port` looks like (a host in brackets for IPv6: `[::1]:9100`). */
const ADDRESS = /^(?:(\[[^\]]+\]|[^:[\]]+):)?(\d+)$/;

/**
 * Reads `[host:]port` (the host defaults to 127.0.0.1); `null` when it is
 * not one (the port must be a whole number from 0 to 65535).
 */
export function parseListenAddress(text: string): ListenAddress | null {
  const match = ADDRESS.exec(text.trim());
  if (!match) return null;
  const port = Number(match[2]);
  if (port > 65535) return null;
  const host = match[1]?.replace(/^\[(.*)\]$/, "$1") || DEFAULT_METRICS_HOST;
  return { host, port };
}

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
  const server = createServer((request, response) => {
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
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(address.port, address.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = address.host.includes(":") ? `[${address.host}]` : address.host;
  return {
    url: `http://${host}:${port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      }),
  };
}
