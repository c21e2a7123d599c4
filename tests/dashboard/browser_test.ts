/**
 * The dashboard in a real browser (issue 14 item 5): Chromium, driven by
 * playwright-core, opens the dashboard a real consumer serves
 * (`--dashboard 127.0.0.1:0 --dashboard-token ...`) on SQLite and on Redis,
 * and checks that the overview's counts and chart move without a reload,
 * that each action works and shows, that a wrong token is refused, that a
 * forged cross-site POST is refused, and that an `<img onerror>` argument
 * renders as text and runs nothing (no dialog, no console error).
 *
 * With `HUEY_SCREENSHOTS=1`, the SQLite run saves the main pages to
 * docs/dashboard/.
 *
 * @module
 */
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import process from "node:process";
import { after, before, test } from "node:test";
import { chromiumSkip, launchOptions } from "../_chromium.ts";
import { quietLogs } from "../_helpers.ts";
import { type RedisServer, redisSkip, startRedis } from "../_redis_server.ts";
import {
  FAST,
  inScenario,
  killAll,
  ROOT,
  type StorageChoice,
  waitFor,
} from "../consumer/_consumer.ts";

quietLogs();
const XSS = "<img src=x onerror=alert(1)>";
const TOKEN = "browser-test-token";
const SCREENSHOTS = process.env.HUEY_SCREENSHOTS === "1";

let redis: RedisServer | undefined;
before(async () => {
  if (!redisSkip && !chromiumSkip) redis = await startRedis();
});
after(async () => {
  await killAll();
  await redis?.stop();
});

const STORAGES: { kind: string; skip?: string; choice: () => StorageChoice }[] = [
  { kind: "sqlite", choice: () => ({ kind: "sqlite" }) },
  { kind: "redis", skip: redisSkip, choice: () => ({ kind: "redis", url: redis!.url }) },
];

/** A page on another origin that posts a form to the dashboard as soon as it loads. */
async function forgerySite(action: string, fields: Record<string, string>) {
  const inputs = Object.entries(fields)
    .map(([name, value]) => `<input type="hidden" name="${name}" value="${value}">`).join("");
  const server = createServer((_request, response) => {
    response.writeHead(200, { "content-type": "text/html" }).end(
      `<!doctype html><form method="post" action="${action}">${inputs}</form>` +
        "<script>document.forms[0].submit()</script>",
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "localhost", resolve));
  return {
    url: `http://localhost:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

for (const { kind, skip, choice } of STORAGES) {
  test(
    `on ${kind}, the dashboard a consumer serves moves live, steers the queue and runs nothing a task sends`,
    { skip: chromiumSkip ?? skip, timeout: 180_000 },
    async () => {
      const { chromium } = await import("playwright-core");
      await inScenario(choice(), async (scenario) => {
        const consumer = scenario.start([
          ...FAST,
          "-w",
          "2",
          "-c",
          "1",
          "--dashboard",
          "127.0.0.1:0",
          "--dashboard-token",
          TOKEN,
        ]);
        const url = await waitFor(
          () => /Dashboard served at (\S+)/.exec(consumer.output())?.[1],
          "the consumer to log its dashboard URL",
        );
        const { app } = scenario;
        const shots = SCREENSHOTS && kind === "sqlite";
        const storage = app.huey.storage;
        const browser = await chromium.launch(launchOptions());
        const problems: string[] = [];
        try {
          // A wrong token is refused.
          const stranger = await browser.newContext({
            httpCredentials: { username: "me", password: "wrong" },
          });
          const refused = await (await stranger.newPage()).goto(url);
          assert.equal(refused?.status(), 401);
          await stranger.close();

          const context = await browser.newContext({
            httpCredentials: { username: "me", password: TOKEN },
            viewport: { width: 1100, height: 800 },
          });
          const page = await context.newPage();
          page.on("dialog", (dialog) => {
            problems.push(`dialog: ${dialog.message()}`);
            void dialog.dismiss();
          });
          page.on("console", (message) => {
            if (message.type() === "error") problems.push(`console: ${message.text()}`);
          });
          page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
          const count = (key: string) => page.locator(`[data-count="${key}"]`);

          // The overview moves without a reload.
          await page.goto(url);
          await page.locator('#live[data-state="live"]').waitFor();
          await page.evaluate(() => (globalThis as { stayed?: boolean }).stayed = true);
          await count("consumers").filter({ hasText: /^1$/ }).waitFor();
          await app.add.schedule({ args: [1, 2], delay: 3600 });
          await count("scheduled").filter({ hasText: /^1$/ }).waitFor();
          await app.fails(XSS);
          await count("failures").filter({ hasText: /^1$/ }).waitFor();
          const completed = Number(await page.locator("#chart").getAttribute("data-completed"));
          // The consumer publishes each outcome to the event log, which the chart counts.
          await app.add.map([[1, 1], [2, 2], [3, 3]]);
          await waitFor(
            async () =>
              Number(await page.locator("#chart").getAttribute("data-completed")) >= completed + 3,
            "the chart to count the new events",
          );
          assert.ok(await page.locator("#chart svg polyline.completed").count() === 1);
          assert.equal(
            await page.evaluate(() => (globalThis as { stayed?: boolean }).stayed),
            true,
            "the page reloaded",
          );
          if (shots) await shoot(page, "overview");

          // The failure: the argument renders as text; retry, then purge.
          await page.getByRole("link", { name: "Failures", exact: true }).click();
          const row = page.locator("tbody tr").filter({ hasText: "task fails" });
          await row.first().waitFor();
          assert.ok((await row.first().innerText()).includes(XSS), "the argument as text");
          assert.equal(await page.locator("img").count(), 0);
          if (shots) await shoot(page, "failures");
          await row.first().getByRole("button", { name: "Retry" }).click();
          await page.getByText("The task was enqueued again.").waitFor();
          await waitFor(
            async () => (await app.huey.failureCount()) === 1,
            "the retried task to fail again",
          );
          await page.reload();
          await page.locator("summary", { hasText: /^Purge all 1 failures/ }).click();
          await page.getByRole("button", { name: /^Purge all 1 failures$/ }).click();
          await page.getByText("The failures were purged.").waitFor();
          await page.getByText("No task failed for good.").waitFor();
          assert.equal(await app.huey.failureCount(), 0);

          // A dead letter: requeue it (its task runs), then purge another.
          const letter = app.add.s(20, 22);
          await storage.addDeadLetter(app.huey.serializeTask(letter), `set aside ${XSS}`);
          await page.getByRole("link", { name: "Dead letters" }).click();
          await page.getByText(`set aside ${XSS}`).waitFor();
          if (shots) await shoot(page, "dead-letters");
          await page.getByRole("button", { name: "Requeue" }).click();
          await page.getByText("The message was enqueued again.").waitFor();
          assert.equal(await app.huey.result(letter.id, { blocking: true, timeout: 30 }), 42);
          await storage.addDeadLetter(new Uint8Array([1, 2, 3]), "bad bytes");
          await page.reload();
          await page.locator("summary", { hasText: "Purge all dead letters" }).click();
          await page.getByRole("button", { name: "Purge all dead letters" }).click();
          await page.getByText("No dead letter.").waitFor();
          assert.equal((await app.huey.deadLetters()).length, 0);

          // Revoke every call of a task by name, then restore it.
          await page.getByRole("link", { name: "Revocations" }).click();
          await page.getByLabel("Task name (every call)").fill("add");
          await page.locator("form", { has: page.getByLabel("Task name (every call)") })
            .getByRole("button", { name: "Revoke" }).click();
          await page.getByText("Revoked.").waitFor();
          assert.equal(await app.huey.isRevokedByName("add"), true);
          const addRow = page.locator("tbody tr").filter({
            has: page.getByRole("cell", { name: "add", exact: true }),
          });
          await addRow.getByRole("button", { name: "Restore" }).click();
          await page.getByText("The revocation was lifted.").waitFor();
          assert.equal(await app.huey.isRevokedByName("add"), false);

          // The scheduled task's page, by the search form; revoke it there.
          const [scheduled] = await app.huey.scheduled();
          await page.getByLabel("Task id").first().fill(scheduled.id);
          await page.getByRole("button", { name: "Open" }).click();
          await page.getByText(/^scheduled for /).waitFor();
          if (shots) await shoot(page, "task");
          await page.getByRole("button", { name: "Revoke" }).click();
          await page.getByText("Revoked.").waitFor();
          assert.equal(await app.huey.isRevoked(scheduled.id), true);
          await page.getByRole("link", { name: "Periodic" }).click();
          await page.getByRole("cell", { name: "tick" }).waitFor();
          await page.getByText("* * * * *").waitFor();

          // A forged POST from another site is refused, although it has the token.
          await app.fails("forged");
          await waitFor(async () => (await app.huey.failureCount()) === 1, "a failure to purge");
          await page.goto(`${url}failures`);
          const csrf = await page.locator('input[name="csrf"]').first().getAttribute("value");
          const forger = await forgerySite(`${url}actions/purge-failures`, { csrf: csrf! });
          try {
            const forged = page.waitForResponse((response) =>
              response.url().endsWith("/actions/purge-failures")
            );
            await page.goto(forger.url);
            assert.equal((await forged).status(), 403);
          } finally {
            await forger.close();
          }
          assert.equal(await app.huey.failureCount(), 1, "the forged POST purged the failures");
          assert.deepEqual(problems.filter((line) => !line.includes("403")), []);
          await context.close();
        } finally {
          await browser.close();
        }
      });
    },
  );
}

/** Saves a screenshot of the page to docs/dashboard/NAME.png. */
async function shoot(
  page: { screenshot(options: { path: string; fullPage: boolean }): Promise<unknown> },
  name: string,
) {
  if (!SCREENSHOTS) return;
  await page.screenshot({ path: join(ROOT, "docs", "dashboard", `${name}.png`), fullPage: true });
}
