// The dashboard's security (issue 14, SPEC §10): auth by token (bearer, Basic, ?token= then a
// cookie) or user and password, refused otherwise; actions need the CSRF token and the same
// origin; read-only hides and refuses them; a non-loopback address needs auth.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ConfigurationError } from "../../mod.ts";
import { serveDashboard } from "../../dashboard.ts";
import { checkExposure } from "../../dashboard/options.ts";
import { resolveConsumerOptions } from "../../consumer/options.ts";
import { makeHuey, quietLogs } from "../_helpers.ts";
import { setup } from "./_dashboard.ts";

quietLogs();

const basic = (user: string, password: string) => `Basic ${btoa(`${user}:${password}`)}`;

test("a token dashboard refuses requests without the token, and takes it as bearer, Basic password or ?token=", async () => {
  const { get } = setup({ auth: { token: "s3cret-token" } });
  for (
    const headers of [
      {},
      { authorization: "Bearer wrong" },
      { authorization: basic("any", "wrong") },
      { authorization: "Bearer s3cret-token-and-more" },
    ] as Record<string, string>[]
  ) {
    const response = await get("/", { headers });
    assert.equal(response.status, 401, JSON.stringify(headers));
    assert.match(response.headers.get("www-authenticate") ?? "", /^Basic realm=/);
    await response.body?.cancel();
  }
  const wrongQuery = await get("/?token=nope");
  assert.equal(wrongQuery.status, 401);
  await wrongQuery.body?.cancel();
  for (const authorization of ["Bearer s3cret-token", basic("me", "s3cret-token")]) {
    const response = await get("/pending", { headers: { authorization } });
    assert.equal(response.status, 200, authorization);
    await response.body?.cancel();
  }
  const login = await get("/pending?token=s3cret-token&offset=0");
  assert.equal(login.status, 303);
  assert.equal(login.headers.get("location"), "/pending?offset=0");
  const cookie = login.headers.get("set-cookie") ?? "";
  assert.match(cookie, /^huey_dashboard=[\w-]+; Path=\/; HttpOnly; SameSite=Strict$/);
  assert.ok(!cookie.includes("s3cret-token"), "the cookie is not the token");
  const session = cookie.split(";")[0];
  const withCookie = await get("/pending", { headers: { cookie: session } });
  assert.equal(withCookie.status, 200);
  await withCookie.body?.cancel();
  const forged = await get("/pending", { headers: { cookie: "huey_dashboard=forged" } });
  assert.equal(forged.status, 401);
  await forged.body?.cancel();
});

test("a user and password dashboard takes HTTP Basic with both, and nothing else", async () => {
  const { get } = setup({ auth: { username: "admin", password: "pa:ss" } });
  for (const authorization of [basic("admin", "wrong"), basic("other", "pa:ss"), "Bearer pa:ss"]) {
    const response = await get("/", { headers: { authorization } });
    assert.equal(response.status, 401, authorization);
    await response.body?.cancel();
  }
  const response = await get("/", { headers: { authorization: basic("admin", "pa:ss") } });
  assert.equal(response.status, 200);
  await response.body?.cancel();
});

test("an action without the CSRF token, with a wrong one, or from another site is refused (403)", async () => {
  const { add, huey, csrf, post, origin } = setup();
  const result = await add(1, 2);
  const token = await csrf();
  assert.ok(token.length > 20);
  const refusals: Array<[Record<string, string>, Record<string, string> | undefined]> = [
    [{ id: result.id }, undefined],
    [{ id: result.id, csrf: "wrong" }, undefined],
    [{ id: result.id, csrf: token }, {
      origin: "https://evil.example",
      "sec-fetch-site": "cross-site",
    }],
    [{ id: result.id, csrf: token }, { "sec-fetch-site": "same-site" }],
    [{ id: result.id, csrf: token }, { origin: "https://evil.example" }],
  ];
  for (const [fields, headers] of refusals) {
    const response = await post("/actions/revoke", fields, headers);
    assert.equal(response.status, 403, JSON.stringify([fields, headers]));
    await response.body?.cancel();
  }
  assert.equal(await huey.isRevoked(result.id), false);
  const done = await post("/actions/revoke", { id: result.id, csrf: token }, { origin });
  assert.equal(done.status, 303);
  assert.equal(await huey.isRevoked(result.id), true);
});

test("a read-only dashboard shows no action and refuses every one (403)", async () => {
  const { add, boom, huey, page, post, origin } = setup({ readOnly: true });
  const result = await add(1, 2);
  await boom(1);
  for (
    const path of [
      "/",
      "/pending",
      "/failures",
      "/dead-letters",
      "/revocations",
      `/tasks/${result.id}`,
    ]
  ) {
    const text = await page(path);
    assert.doesNotMatch(text, /method="post"/, path);
    assert.doesNotMatch(text, /name="csrf"/, path);
  }
  for (
    const action of [
      "revoke",
      "restore",
      "retry-failure",
      "purge-failures",
      "requeue-dead-letter",
      "purge-dead-letters",
    ]
  ) {
    const response = await post(`/actions/${action}`, { id: result.id }, { origin });
    assert.equal(response.status, 403, action);
    await response.body?.cancel();
  }
  assert.equal(await huey.isRevoked(result.id), false);
  assert.equal(await huey.storage.queueSize(), 2);
});

test("a dashboard on an address other than the loopback needs auth, or refuses to start", async () => {
  for (const host of ["127.0.0.1", "localhost", "::1", "127.0.0.2"]) checkExposure(host, null);
  for (const host of ["0.0.0.0", "::", "192.168.1.2", "example.com"]) {
    assert.throws(
      () => checkExposure(host, null),
      (error: Error) =>
        error instanceof ConfigurationError && error.message.includes(host) &&
        error.message.includes("auth"),
    );
    checkExposure(host, { token: "t" });
  }
  await assert.rejects(
    serveDashboard(makeHuey(), { host: "0.0.0.0", port: 0 }),
    ConfigurationError,
  );
  assert.throws(
    () => resolveConsumerOptions({ dashboard: "0.0.0.0:0" }),
    (error: Error) =>
      error instanceof ConfigurationError && /HUEY_DASHBOARD_TOKEN/.test(error.message),
  );
  assert.deepEqual(
    resolveConsumerOptions({ dashboard: "0.0.0.0:0", dashboardToken: "t" }).dashboard,
    { host: "0.0.0.0", port: 0 },
  );
  assert.deepEqual(resolveConsumerOptions({ dashboard: "8080" }).dashboard, {
    host: "127.0.0.1",
    port: 8080,
  });
});
