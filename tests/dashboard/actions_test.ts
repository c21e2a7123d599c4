// The dashboard's actions (issue 14, SPEC §10): retry a failure and purge them, requeue a dead
// letter and purge them, revoke and restore a task id or a task name; each redirects back to
// its page with a notice, which the page shows.
import { test } from "node:test";
import assert from "node:assert/strict";
import { executeNext, quietLogs } from "../_helpers.ts";
import { setup } from "./_dashboard.ts";

quietLogs();

test("retry-failure enqueues the failed task again and the failures page says so", async () => {
  const { huey, boom, csrf, post, page } = setup();
  const result = await boom("once");
  await executeNext(huey).catch(() => {});
  assert.equal((await huey.failures()).length, 1);
  const response = await post("/actions/retry-failure", { id: result.id, csrf: await csrf() });
  assert.equal(response.status, 303);
  assert.equal(response.headers.get("location"), "/failures?done=retried");
  assert.equal((await huey.failures()).length, 0);
  assert.deepEqual((await huey.pending()).map((task) => task.id), [result.id]);
  assert.match(await page("/failures?done=retried"), /The task was enqueued again/);
  const again = await post("/actions/retry-failure", { id: result.id, csrf: await csrf() });
  assert.equal(again.headers.get("location"), "/failures?done=retry-missing");
  const missing = await post("/actions/retry-failure", { csrf: await csrf() });
  assert.equal(missing.status, 400);
  assert.match(await missing.text(), /no id/);
});

test("purge-failures removes every failure record", async () => {
  const { huey, boom, csrf, post } = setup();
  for (let i = 0; i < 3; i++) await boom(i);
  for (let i = 0; i < 3; i++) await executeNext(huey).catch(() => {});
  assert.equal(await huey.failureCount(), 3);
  const response = await post("/actions/purge-failures", { csrf: await csrf() });
  assert.equal(response.headers.get("location"), "/failures?done=failures-purged");
  assert.equal(await huey.failureCount(), 0);
});

test("requeue-dead-letter enqueues the message again, purge-dead-letters empties the list", async () => {
  const { huey, add, csrf, post, page } = setup({ basePath: "/huey" });
  const task = add.s(1, 2);
  const id = await huey.storage.addDeadLetter(huey.serializeTask(task), "worker died twice");
  await huey.storage.addDeadLetter(new Uint8Array([1, 2, 3]), "bad bytes");
  const list = await page("/dead-letters");
  assert.match(list, /worker died twice/);
  assert.match(list, /unreadable message \(3 bytes\)/);
  const response = await post("/actions/requeue-dead-letter", { id, csrf: await csrf() });
  assert.equal(response.headers.get("location"), "/huey/dead-letters?done=requeued");
  assert.deepEqual((await huey.pending()).map((item) => item.id), [task.id]);
  assert.equal((await huey.deadLetters()).length, 1);
  await post("/actions/purge-dead-letters", { csrf: await csrf() });
  assert.equal((await huey.deadLetters()).length, 0);
});

test("revoke and restore take a task id or a task name, and go back to the page they came from", async () => {
  const { huey, add, csrf, post, page } = setup();
  const result = await add(1, 2);
  const token = await csrf();
  const back = `/tasks/${result.id}`;
  const revoked = await post("/actions/revoke", { id: result.id, back, csrf: token });
  assert.equal(revoked.headers.get("location"), `${back}?done=revoked`);
  assert.equal(await huey.isRevoked(result.id), true);
  assert.match(await page(back), /Restore/);
  await post("/actions/restore", { id: result.id, back, csrf: token });
  assert.equal(await huey.isRevoked(result.id), false);
  await post("/actions/revoke", { name: "add", csrf: token });
  assert.equal(await huey.isRevokedByName("add"), true);
  assert.match(await page("/revocations"), /<td>add<\/td>\s*<td><strong class="bad">yes/);
  const restored = await post("/actions/restore", { name: "add", csrf: token });
  assert.equal(restored.headers.get("location"), "/revocations?done=restored");
  assert.equal(await huey.isRevokedByName("add"), false);
  const none = await post("/actions/restore", { name: "add", csrf: token });
  assert.equal(none.headers.get("location"), "/revocations?done=restore-missing");
  for (const fields of [{}, { id: "a", name: "b" }] as Record<string, string>[]) {
    const bad = await post("/actions/revoke", { ...fields, csrf: token });
    assert.equal(bad.status, 400);
    await bad.body?.cancel();
  }
  const offsite = await post("/actions/revoke", { id: "x", back: "//evil.example/", csrf: token });
  assert.equal(offsite.headers.get("location"), "/revocations?done=revoked");
});
