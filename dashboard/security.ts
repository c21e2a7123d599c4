/**
 * The dashboard's guards: who may use it (a bearer token or user and
 * password, compared in constant time), the session cookie a `?token=`
 * visit sets, the CSRF token every action form carries (an HMAC of a
 * secret), the same-origin check of actions, and the security headers of
 * every response.
 *
 * @module
 */
import type { DashboardAuth } from "./options.ts";

const encoder = new TextEncoder();

/** The session cookie's name. */
export const SESSION_COOKIE = "huey_dashboard";

/** The headers every response carries (scripts and styles only from the dashboard itself). */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": "default-src 'none'; script-src 'self'; style-src 'self'; " +
    "img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; " +
    "base-uri 'none'",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "same-origin",
  "cache-control": "no-store",
};

function base64url(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Whether two byte strings are equal, in a time that depends only on their length. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i] ^ b[i];
  return difference === 0;
}

/** Signs with the dashboard's secret: the CSRF token, the session cookie, constant-time checks. */
export class Signer {
  #key: ReturnType<typeof crypto.subtle.importKey>;

  /** @param secret The secret (random bytes when `null`). */
  constructor(secret: string | null) {
    const bytes = secret === null
      ? crypto.getRandomValues(new Uint8Array(32))
      : encoder.encode(secret);
    this.#key = crypto.subtle.importKey(
      "raw",
      bytes,
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"],
    );
  }

  /** The HMAC of a text. */
  async sign(text: string): Promise<Uint8Array> {
    return new Uint8Array(await crypto.subtle.sign("HMAC", await this.#key, encoder.encode(text)));
  }

  /** The HMAC of a text, as base64url. */
  async token(text: string): Promise<string> {
    return base64url(await this.sign(text));
  }

  /**
   * Whether two texts are equal, compared through their HMACs: the time it
   * takes says nothing of where they differ, nor of their lengths.
   */
  async equal(a: string, b: string): Promise<boolean> {
    const [signedA, signedB] = await Promise.all([this.sign(a), this.sign(b)]);
    return sameBytes(signedA, signedB);
  }
}

/** A request's cookies, by name. */
function cookies(request: Request): Map<string, string> {
  const found = new Map<string, string>();
  for (const part of (request.headers.get("cookie") ?? "").split(";")) {
    const at = part.indexOf("=");
    if (at > 0) found.set(part.slice(0, at).trim(), part.slice(at + 1).trim());
  }
  return found;
}

/** The user and password of an `Authorization: Basic` header, if any. */
function basicCredentials(header: string): { user: string; password: string } | null {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header);
  if (!match) return null;
  let decoded: string;
  try {
    decoded = new TextDecoder().decode(Uint8Array.from(atob(match[1]), (c) => c.charCodeAt(0)));
  } catch {
    return null;
  }
  const colon = decoded.indexOf(":");
  if (colon < 0) return null;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** What a request's credentials are worth. */
export type AuthOutcome =
  | { ok: true; setCookie?: string }
  | { ok: false; challenge: string };

/**
 * Checks a request's credentials against `auth`: a bearer token, HTTP Basic
 * (the token as password, or the user and password), the session cookie,
 * or a `?token=` query (which sets the cookie).
 */
export async function authenticate(
  request: Request,
  auth: DashboardAuth | null,
  signer: Signer,
  cookiePath: string,
): Promise<AuthOutcome> {
  if (auth === null) return { ok: true };
  const challenge = 'Basic realm="huey dashboard", charset="UTF-8"';
  const header = request.headers.get("authorization") ?? "";
  const basic = basicCredentials(header);
  if ("token" in auth) {
    const session = await signer.token(`session:${auth.token}`);
    const cookie = cookies(request).get(SESSION_COOKIE);
    if (cookie !== undefined && await signer.equal(cookie, session)) return { ok: true };
    const bearer = /^Bearer\s+(.+)$/i.exec(header)?.[1];
    const offered = bearer ?? basic?.password ?? null;
    if (offered !== null && await signer.equal(offered, auth.token)) return { ok: true };
    const query = new URL(request.url).searchParams.get("token");
    if (query !== null && await signer.equal(query, auth.token)) {
      const path = cookiePath === "" ? "/" : cookiePath;
      return {
        ok: true,
        setCookie: `${SESSION_COOKIE}=${session}; Path=${path}; HttpOnly; SameSite=Strict`,
      };
    }
    return { ok: false, challenge };
  }
  if (basic !== null) {
    const [user, password] = await Promise.all([
      signer.equal(basic.user, auth.username),
      signer.equal(basic.password, auth.password),
    ]);
    if (user && password) return { ok: true };
  }
  return { ok: false, challenge };
}

/**
 * Whether a POST comes from the dashboard's own pages: a browser says
 * where a request comes from (`Sec-Fetch-Site`, or else `Origin`); one
 * from another site is refused. A request with neither header does not
 * come from a browser, so it cannot be forged by one (it still needs the
 * CSRF token).
 */
export function isSameOrigin(request: Request): boolean {
  const site = request.headers.get("sec-fetch-site");
  if (site !== null) return site === "same-origin";
  const origin = request.headers.get("origin");
  if (origin === null) return true;
  return origin === new URL(request.url).origin;
}
