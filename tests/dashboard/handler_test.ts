// The dashboard's handler (issue 14, SPEC §10): routing under a base path, every page renders
// what the storage holds, lists are paged without reading the whole queue, values from tasks
// are escaped, large values are cut, and responses carry the security headers.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ConfigurationError } from "../../mod.ts";
import { dashboard, escapeHtml } from "../../dashboard.ts";
import { nextRun } from "../../dashboard/tasks.ts";
import { crontab } from "../../mod.ts";
import { executeNext, makeHuey, quietLogs } from "../_helpers.ts";
import { setup, XSS } from "./_dashboard.ts";

quietLogs();

const PAGES = [
  "/",
  "/pending",
  "/scheduled",
  "/running",
  "/failures",
  "/dead-letters",
  "/revocations",
  "/periodic",
  "/results",
];

test("every page answers under the base path, with the security headers and its own assets", async () => {
  const { get, page } = setup({ basePath: "/admin/huey" });
  for (const path of PAGES) {
    const response = await get(path);
    assert.equal(response.status, 200, path);
    assert.equal(response.headers.get("content-type"), "text/html; charset=utf-8");
    const csp = response.headers.get("content-security-policy") ?? "";
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline/);
    assert.equal(response.headers.get("x-content-type-options"), "nosniff");
    const text = await response.text();
    assert.match(text, /href="\/admin\/huey\/assets\/dashboard\.css"/);
    assert.match(text, /src="\/admin\/huey\/assets\/dashboard\.js"/);
    assert.doesNotMatch(text, /<script>|<style>| style="| on\w+="/, `${path} has inline code`);
    assert.ok(new TextEncoder().encode(text).length < 150_000, `${path} is over 150 kB`);
    let depth = 0;
    for (const [tag] of text.matchAll(/<\/?form\b/g)) {
      depth += tag === "<form" ? 1 : -1;
      assert.ok(
        depth <= 1,
        `${path} nests a form in a form (its button would submit the outer one)`,
      );
    }
  }
  const css = await get("/assets/dashboard.css");
  assert.equal(css.headers.get("content-type"), "text/css; charset=utf-8");
  assert.match(await css.text(), /prefers-color-scheme: dark/);
  const js = await get("/assets/dashboard.js");
  assert.equal(js.headers.get("content-type"), "text/javascript; charset=utf-8");
  assert.match(await js.text(), /EventSource/);
  assert.match(await page("/metrics"), /^huey_queue_pending 0$/m);
});

test("requests outside the base path, unknown pages and assets are 404; the bare base path redirects", async () => {
  const { handle, get } = setup({ basePath: "/huey" });
  for (const url of ["http://h/", "http://h/other", "http://h/hueyx/"]) {
    const response = await handle(new Request(url));
    assert.equal(response.status, 404, url);
    await response.body?.cancel();
  }
  for (const path of ["/nope", "/assets/other.js", "/actions/nope"]) {
    const response = await get(path);
    assert.equal(response.status, 404, path);
    await response.body?.cancel();
  }
  const bare = await handle(new Request("http://h/huey?x=1"));
  assert.equal(bare.status, 308);
  assert.equal(bare.headers.get("location"), "/huey/?x=1");
  const put = await get("/pending", { method: "PUT" });
  assert.equal(put.status, 405);
  await put.body?.cancel();
});

test("an <img onerror> argument, task name, error and reason render as text on every page", async () => {
  const { huey, add, boom, page, publish } = setup();
  await boom(XSS);
  const failing = await huey.dequeue();
  await huey.execute(failing!);
  const waiting = await add(XSS, 1);
  await huey.storage.addDeadLetter(new TextEncoder().encode(XSS), XSS);
  await publish([{
    type: "error",
    id: waiting.id,
    name: XSS,
    retries: 0,
    at: new Date(),
    consumer: XSS,
    worker: "1",
    error: XSS,
    traceback: XSS,
  }]);
  const texts = await Promise.all(
    [...PAGES, `/tasks/${waiting.id}`, `/tasks/${failing!.id}`, `/results?id=${XSS}`].map((path) =>
      page(path)
    ),
  );
  for (const text of texts) {
    assert.doesNotMatch(text, /<img/, "an unescaped <img");
  }
  const pending = await page("/pending");
  assert.ok(pending.includes(escapeHtml(JSON.stringify([XSS, 1]))), "the argument as text");
  const failures = await page("/failures");
  assert.ok(failures.includes(escapeHtml(`Error: boom ${XSS}`)));
  const task = await page(`/tasks/${waiting.id}`);
  assert.ok(task.includes("&lt;img src=x onerror=alert(1)&gt;"));
});

test("escapeHtml escapes the five characters of HTML", () => {
  assert.equal(
    escapeHtml(`<a href="x" title='y'>&</a>`),
    "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;",
  );
});

test("the pending list is paged, reads only up to its page's end, and counts the whole queue", async () => {
  const { huey, add, page } = setup({ pageSize: 10 });
  for (let i = 0; i < 25; i++) await add(`item ${i}`, i);
  const limits: (number | undefined)[] = [];
  const read = huey.storage.enqueuedItems.bind(huey.storage);
  huey.storage.enqueuedItems = (limit?: number) => {
    limits.push(limit);
    return read(limit);
  };
  const first = await page("/pending");
  assert.match(first, /item 0/);
  assert.match(first, /item 9/);
  assert.doesNotMatch(first, /item 10\b/);
  assert.match(first, /1–10 of 25/);
  assert.match(first, /href="\/pending\?offset=10">Next/);
  assert.doesNotMatch(first, /Previous/);
  const third = await page("/pending?offset=20");
  assert.match(third, /item 24/);
  assert.doesNotMatch(third, /item 19\b/);
  assert.match(third, /21–25 of 25/);
  assert.doesNotMatch(third, /Next/);
  assert.match(third, /href="\/pending\?offset=10">← Previous/);
  assert.deepEqual(limits, [11, 31]);
});

test("large values are cut in lists and shown whole on the task's page", async () => {
  const { add, page } = setup();
  const big = "x".repeat(5000);
  const result = await add(big, 1);
  const list = await page("/pending");
  assert.ok(!list.includes(big), "the whole value in the list");
  assert.match(list, /x…/);
  const task = await page(`/tasks/${result.id}`);
  assert.ok(task.includes(big));
});

test("the overview shows the counts, the consumers' heartbeat, and the chart's last hour from the events", async () => {
  const { huey, add, boom, page, publish } = setup();
  await add(1, 2);
  await boom(1);
  await huey.storage.putHeartbeat(
    "host:42",
    new TextEncoder().encode(JSON.stringify({
      id: "host:42",
      host: "host",
      pid: 42,
      workers: 2,
      workerType: "thread",
      startedAt: Date.now(),
      lastSeen: Date.now(),
      running: [{ id: "t-1", name: "slowpoke", startedAt: Date.now() }],
    })),
    30,
  );
  const now = new Date();
  const event = (type: "complete" | "error", retries = 0) => ({
    type,
    id: "t-1",
    name: "slowpoke",
    retries,
    at: now,
    consumer: "host:42",
    worker: "1",
  });
  await publish([event("complete"), event("complete"), event("error"), event("error", 1)]);
  const text = await page("/");
  assert.match(text, /data-count="pending">2</);
  assert.match(text, /data-count="running">1</);
  assert.match(text, /data-count="consumers">1</);
  assert.match(text, /host:42/);
  assert.match(text, /slowpoke/);
  const series = JSON.parse(
    /data-series="([^"]+)"/.exec(text)![1].replace(/&quot;/g, '"'),
  ) as { completed: number[]; failed: number[] };
  assert.equal(series.completed.length, 60);
  assert.equal(series.completed.at(-1), 2);
  assert.equal(series.failed.at(-1), 2);
  assert.equal(series.completed.slice(0, -1).reduce((a, b) => a + b, 0), 0);
});

test("the task page shows where a task is, its outcome, its progress and its events", async () => {
  const { huey, add, page, publish } = setup();
  const result = await add(1, 42);
  assert.match(await page(`/tasks/${result.id}`), /<dd>pending<\/dd>/);
  await executeNext(huey);
  await huey.storage.putData(`progress:${result.id}`, huey.serializer.serialize({ done: 3 }));
  await publish([{
    type: "complete",
    id: result.id,
    name: "add",
    retries: 0,
    at: new Date(),
    consumer: "host:1",
    worker: "2",
    duration: 0.25,
  }]);
  const text = await page(`/tasks/${encodeURIComponent(result.id)}`);
  assert.match(text, /returned/);
  assert.match(text, /<pre>42<\/pre>/);
  assert.match(text, /\{&quot;done&quot;:3\}/);
  assert.match(text, /0\.250 s/);
  assert.match(text, /host:1 \/ 2/);
  const lookup = await page(`/results?id=${result.id}`);
  assert.match(lookup, /<pre>42<\/pre>/);
  assert.equal(await result.get(), 42, "the dashboard peeks: the result is still there");
  const search = await setup().get(`/tasks?id=${result.id}`);
  assert.equal(search.status, 303);
  assert.equal(search.headers.get("location"), `/tasks/${result.id}`);
});

test("the periodic page shows each periodic task's crontab and next run", async () => {
  const { page } = setup();
  const text = await page("/periodic");
  assert.match(text, /nightly/);
  assert.match(text, /\*\/15 3 \* \* \*/);
  assert.match(text, /<time datetime="[^"]*T03:(00|15|30|45):00\.000Z">/);
  const at = nextRun(crontab({ minute: "30", hour: "4" }), new Date("2026-01-01T04:30:00Z"), true);
  assert.equal(at?.toISOString(), "2026-01-02T04:30:00.000Z");
});

test("bad options are ConfigurationErrors naming the option", () => {
  const huey = makeHuey();
  for (
    const [option, value] of [
      ["basePath", "huey"],
      ["basePath", "/huey/"],
      ["auth", { token: "" }],
      ["auth", { username: "a" }],
      ["readOnly", "yes"],
      ["pageSize", 0],
      ["pageSize", 501],
      ["refreshInterval", 0],
      ["secret", "short"],
    ] as const
  ) {
    assert.throws(
      () => dashboard(huey, { [option]: value }),
      (error: Error) => error instanceof ConfigurationError && error.message.includes(option),
      option,
    );
  }
});
