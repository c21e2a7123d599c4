/**
 * Serving over `node:http` (Deno, Node and Bun alike) on a `[host:]port`:
 * what the consumer's `--metrics` and `--dashboard` and the
 * `huey-dashboard` bin share.
 *
 * @module
 * @internal
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** Where a server listens. */
export interface ListenAddress {
  /** The host or address to bind. */
  readonly host: string;
  /** The port; 0 picks a free one. */
  readonly port: number;
}

/** The host a `port` alone binds: only this machine can connect. */
export const DEFAULT_HOST = "127.0.0.1";

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
  const host = match[1]?.replace(/^\[(.*)\]$/, "$1") || DEFAULT_HOST;
  return { host, port };
}

/** Whether a host is this machine's loopback (only local programs can connect). */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** A running server. */
export interface HttpServer {
  /** `http://host:port`, with the port it got (no trailing slash). */
  readonly origin: string;
  /** Stops listening and ends open connections. */
  close(): Promise<void>;
}

/** What answers the server's requests. */
export type NodeListener = (request: IncomingMessage, response: ServerResponse) => void;

/**
 * Listens on an address with a `node:http` listener.
 *
 * @throws {Error} The address cannot be bound (in use, not this machine's).
 */
export async function listen(listener: NodeListener, address: ListenAddress): Promise<HttpServer> {
  const server = createServer(listener);
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
    origin: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      }),
  };
}
