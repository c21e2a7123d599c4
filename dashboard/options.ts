/**
 * The dashboard's options, their defaults and their checks.
 *
 * @module
 */
import { checkBoolean, checkOption, checkText } from "../_options.ts";
import { ConfigurationError } from "../errors.ts";
import { isLoopback } from "../_listen.ts";

/** Who may use the dashboard: a bearer token, or a user name and password (HTTP Basic). */
export type DashboardAuth = { token: string } | { username: string; password: string };

/** Options of `dashboard(huey, options)`. */
export interface DashboardOptions {
  /**
   * The path the dashboard is mounted under (`/admin/huey`); every link and
   * form starts with it, and requests outside it get a 404. @default ""
   */
  basePath?: string;
  /**
   * Who may use it. `{ token }`: an `Authorization: Bearer <token>` header,
   * HTTP Basic with the token as password, or one visit of
   * `?token=<token>`, which sets a session cookie. `{ username, password }`:
   * HTTP Basic. `null`: anyone who can connect (keep it on 127.0.0.1).
   * @default null
   */
  auth?: DashboardAuth | null;
  /** Shows everything, changes nothing: no action buttons, and actions answer 403. @default false */
  readOnly?: boolean;
  /** The title of every page. @default "huey" and the queue's name */
  title?: string;
  /**
   * The secret the CSRF tokens and session cookies are signed with. Give the
   * same one to every process behind one address; by default each process
   * draws its own at random. @default random
   */
  secret?: string;
  /** Rows per page of a list (at most 500). @default 50 */
  pageSize?: number;
  /** Seconds between the live updates the overview receives. @default 1 */
  refreshInterval?: number;
}

/** Options with their defaults applied and checked. */
export interface ResolvedDashboardOptions {
  readonly basePath: string;
  readonly auth: DashboardAuth | null;
  readonly readOnly: boolean;
  readonly title: string;
  readonly secret: string | null;
  readonly pageSize: number;
  readonly refreshInterval: number;
}

/** The most rows a page may show. */
export const MAX_PAGE_SIZE = 500;

/**
 * Applies the defaults and checks the options.
 *
 * @throws {ConfigurationError} An option has a bad value; the message names it.
 */
export function resolveDashboardOptions(
  queueName: string,
  options: DashboardOptions = {},
): ResolvedDashboardOptions {
  const {
    basePath = "",
    auth = null,
    readOnly = false,
    title = `huey: ${queueName}`,
    secret,
    pageSize = 50,
    refreshInterval = 1,
  } = options;
  checkOption(
    basePath === "" || (typeof basePath === "string" && /^\/[^?#]*[^/?#]$/.test(basePath)),
    "basePath",
    basePath,
    "a path that starts with / and does not end with / (e.g. /admin/huey), or an empty string",
  );
  checkOption(
    auth === null || isToken(auth) || isUserPassword(auth),
    "auth",
    auth,
    "{ token } or { username, password } with non-empty strings, or null",
  );
  checkBoolean("readOnly", readOnly);
  checkText("title", title);
  if (secret !== undefined) {
    checkOption(
      typeof secret === "string" && secret.length >= 16,
      "secret",
      secret,
      "a string of at least 16 characters",
    );
  }
  checkOption(
    Number.isInteger(pageSize) && pageSize >= 1 && pageSize <= MAX_PAGE_SIZE,
    "pageSize",
    pageSize,
    `an integer from 1 to ${MAX_PAGE_SIZE}`,
  );
  checkOption(
    typeof refreshInterval === "number" && refreshInterval > 0 && refreshInterval <= 60,
    "refreshInterval",
    refreshInterval,
    "a number of seconds > 0 and <= 60",
  );
  return {
    basePath,
    auth,
    readOnly,
    title,
    secret: secret ?? null,
    pageSize,
    refreshInterval,
  };
}

function isToken(auth: unknown): auth is { token: string } {
  const token = (auth as { token?: unknown } | null)?.token;
  return typeof token === "string" && token !== "";
}

function isUserPassword(auth: unknown): auth is { username: string; password: string } {
  const { username, password } = (auth ?? {}) as { username?: unknown; password?: unknown };
  return typeof username === "string" && username !== "" && typeof password === "string" &&
    password !== "";
}

/**
 * Checks that a dashboard on `host` is not open to others: any address but
 * this machine's loopback needs `auth`.
 *
 * @throws {ConfigurationError} `host` is not a loopback address and `auth` is `null`.
 */
export function checkExposure(host: string, auth: DashboardAuth | null | undefined): void {
  if (auth == null && !isLoopback(host)) {
    throw new ConfigurationError(
      `The dashboard refuses to listen on ${host} without auth: anyone who can reach it could ` +
        "retry, revoke and purge tasks. Set auth ({ token } or { username, password }; the " +
        "consumer's --dashboard-token or HUEY_DASHBOARD_TOKEN), or listen on 127.0.0.1",
    );
  }
}
