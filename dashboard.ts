/**
 * The dashboard: a web UI to watch and steer a Huey's queue (see
 * docs/dashboard.md), and the `huey-dashboard` command line that serves it
 * alone.
 *
 * ```console
 * $ deno run -A jsr:@huey/huey/dashboard app.ts --port 8080   # Deno
 * $ npx huey-dashboard app.js --port 8080                     # Node
 * ```
 *
 * A separate entry from `mod.ts`: an app that only enqueues and runs tasks
 * does not load the dashboard's pages, styles and script.
 *
 * @module
 */
import process from "node:process";
import { parseArgs } from "node:util";
import { isMainModule } from "./_runtime.ts";
import { ConfigurationError } from "./errors.ts";
import { VERSION } from "./version.ts";
import { loadHuey, moduleUrl } from "./consumer/load.ts";
import { parseListenAddress } from "./_listen.ts";
import { serveDashboard } from "./dashboard/server.ts";
import type { DashboardHuey } from "./dashboard/source.ts";

export { dashboard } from "./dashboard/handler.ts";
export type { DashboardHandler } from "./dashboard/handler.ts";
export type { DashboardAuth, DashboardOptions } from "./dashboard/options.ts";
export { serveDashboard, toNodeListener } from "./dashboard/server.ts";
export type { DashboardServer, ServeDashboardOptions } from "./dashboard/server.ts";
export type { DashboardHuey } from "./dashboard/source.ts";
export { escapeHtml } from "./dashboard/html.ts";

const PROGRAM = "huey-dashboard";

const USAGE = `Usage: ${PROGRAM} <module>[:export] [options]

Serves the dashboard of the Huey the module exports (\`huey\`, then \`default\`).

Options:
  --port PORT        the port (default: 8080; 0 picks a free one)
  --host HOST        the address to bind (default: 127.0.0.1; others need a token)
  --token TOKEN      the token the dashboard asks for (default: $HUEY_DASHBOARD_TOKEN)
  --base-path PATH   serve under this path, e.g. /huey (default: /)
  --read-only        show everything, change nothing
  -h, --help         show this help and exit
  --version          show the version and exit`;

function fail(code: number, message: string): number {
  process.stderr.write(`${PROGRAM}: error: ${message}\n`);
  return code;
}

/**
 * Runs the `huey-dashboard` command line: serves the dashboard until
 * SIGINT or SIGTERM.
 *
 * @param args The arguments after the program's name.
 * @returns The exit code: 0 after a stop by signal, 1 when the module
 *   cannot be used or the address bound, 2 for a bad flag or value.
 */
export async function main(args: string[] = process.argv.slice(2)): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        port: { type: "string" },
        host: { type: "string" },
        token: { type: "string" },
        "base-path": { type: "string" },
        "read-only": { type: "boolean" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean" },
      },
    });
  } catch (error) {
    return fail(2, `${(error as Error).message}\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (values.version) {
    process.stdout.write(`${PROGRAM} ${VERSION}\n`);
    return 0;
  }
  if (positionals.length !== 1) {
    return fail(2, `expected one module that exports your Huey\n${USAGE}`);
  }
  const address = parseListenAddress(`${values.host ?? "127.0.0.1"}:${values.port ?? "8080"}`);
  if (address === null) {
    return fail(2, `--host and --port must make an address, got '${values.host}:${values.port}'`);
  }
  const token = values.token ?? (process.env.HUEY_DASHBOARD_TOKEN || undefined);
  const match = /^(.*?)(?::([A-Za-z_$][\w$]*))?$/.exec(positionals[0])!;
  let huey;
  try {
    huey = await loadHuey(moduleUrl(match[1]), match[2]);
  } catch (error) {
    return fail(1, (error as Error).message);
  }
  let server;
  try {
    server = await serveDashboard(huey as unknown as DashboardHuey, {
      ...address,
      auth: token === undefined ? null : { token },
      basePath: values["base-path"] === "/" ? "" : values["base-path"],
      readOnly: values["read-only"] ?? false,
    });
  } catch (error) {
    if (error instanceof ConfigurationError) return fail(2, error.message);
    return fail(1, `cannot listen on ${address.host}:${address.port}: ${(error as Error).message}`);
  }
  process.stdout.write(`Dashboard served at ${server.url}\n`);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await server.close();
  await huey.close().catch(() => {});
  return 0;
}

if (isMainModule(import.meta)) process.exit(await main());
