// Our addition (SPEC §5.4, §7 "Dead letters", "Stepping over bad messages"): a message that
// cannot be decoded, is badly signed, or names an unknown task is moved aside with the
// reason; dequeue() goes on to the next message.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Serializer, SignedSerializer } from "../serializer.ts";
import { executeNext, makeHuey, quietLogs } from "./_helpers.ts";

const logs = quietLogs();

const garbage = new Uint8Array([0xff, 0x00, 0x13, 0x37]);

function setup(options = {}) {
  const huey = makeHuey(options);
  const add = huey.task(function add(a: number, b: number) {
    return a + b;
  });
  return { huey, add };
}

test("dequeue() moves undecodable and unknown-task messages aside and returns the next good task", async () => {
  const { huey, add } = setup();
  const unknown = huey.serializer.serialize({ ...add.s(1, 2).toData(), name: "vanished" });
  await huey.storage.enqueue(garbage);
  await huey.storage.enqueue(unknown);
  const good = await add(2, 3);
  logs.length = 0;
  const task = await huey.dequeue();
  assert.equal(task?.id, good.id);
  assert.equal(await huey.execute(task!), 5);

  const letters = await huey.deadLetters();
  assert.equal(letters.length, 2);
  const [first, second] = letters;
  assert.equal(typeof first.id, "string");
  assert.notEqual(first.id, second.id);
  assert.deepEqual([...first.data], [...garbage]);
  assert.match(first.reason, /decode/i);
  assert.deepEqual([...second.data], [...unknown]);
  assert.match(second.reason, /Unknown task "vanished"/);
  assert.ok(first.at instanceof Date);
  assert.equal(logs.filter((line) => line.includes("dead letters")).length, 2);
  assert.equal(await huey.pendingCount(), 0);
});

test("dequeue() resolves to null when only bad messages were queued, and none are lost", async () => {
  const { huey } = setup();
  await huey.storage.enqueue(garbage);
  await huey.storage.enqueue(huey.serializer.serialize({ not: "a task" }));
  assert.equal(await huey.dequeue(), null);
  const reasons = (await huey.deadLetters()).map((letter) => letter.reason);
  assert.equal(reasons.length, 2);
  assert.match(
    reasons[1],
    /Invalid task message: field 'id' must be a non-empty string, got undefined/,
  );
  assert.equal(await huey.pendingCount(), 0);
});

test("a message that is not signed is rejected by a SignedSerializer and moved aside", async () => {
  const { huey, add } = setup({ serializer: new SignedSerializer({ secret: "s3cret" }) });
  const unsigned = makeHuey();
  const forged = unsigned.serializer.serialize(add.s(1, 1).toData());
  await huey.storage.enqueue(forged);
  assert.equal(await huey.dequeue(), null);
  const [letter] = await huey.deadLetters();
  assert.match(letter.reason, /sign/i);
});

test("requeueDeadLetter() puts a message back on the queue once its task is known", async () => {
  const { huey, add } = setup();
  await huey.storage.enqueue(
    huey.serializer.serialize({ ...add.s(4, 5).toData(), name: "lateTask" }),
  );
  assert.equal(await huey.dequeue(), null);
  const [letter] = await huey.deadLetters();
  huey.task(function lateTask(a: number, b: number) {
    return a * b;
  });
  assert.equal(await huey.requeueDeadLetter(letter.id), true);
  assert.deepEqual(await huey.deadLetters(), []);
  assert.equal(await huey.pendingCount(), 1);
  assert.equal(await executeNext(huey), 20);
  assert.equal(await huey.requeueDeadLetter(letter.id), false);
  assert.equal(await huey.requeueDeadLetter("no-such-letter"), false);
});

test("requeueDeadLetter() keeps the message's priority; an undecodable message goes back with 0", async () => {
  const { huey, add } = setup();
  const urgent = huey.serializer.serialize({
    ...add.s(1, 1).withOptions({ priority: 7 }).toData(),
    name: "lateTask",
  });
  await huey.storage.enqueue(urgent, 7);
  await huey.storage.enqueue(garbage, 3);
  assert.equal(await huey.dequeue(), null);
  huey.task(function lateTask(a: number, b: number) {
    return a + b;
  });
  for (const letter of await huey.deadLetters()) {
    assert.equal(await huey.requeueDeadLetter(letter.id), true);
  }
  await add(2, 2); // priority 0, enqueued after both
  await huey.storage.enqueue(huey.serializer.serialize(add.s(3, 3).toData()), 1);
  const order = [];
  for (let task = await huey.dequeue(); task; task = await huey.dequeue()) {
    order.push(task.args);
    await huey.execute(task);
  }
  // lateTask (7), then add(3, 3) (1), then the garbage (0, dead again) before add(2, 2) (0).
  assert.deepEqual(order, [[1, 1], [3, 3], [2, 2]]);
  assert.equal((await huey.deadLetters()).length, 1);
});

test("deadLetters({ limit }) lists the oldest first, and purgeDeadLetters() empties the list", async () => {
  const { huey } = setup();
  for (const byte of [1, 2, 3]) await huey.storage.enqueue(new Uint8Array([byte, 0xff]));
  assert.equal(await huey.dequeue(), null);
  const limited = await huey.deadLetters({ limit: 2 });
  assert.deepEqual(limited.map((letter) => letter.data[0]), [1, 2]);
  assert.equal(await huey.purgeDeadLetters(), 3);
  assert.deepEqual(await huey.deadLetters(), []);
  assert.equal(await huey.purgeDeadLetters(), 0);
});

test("readSchedule() moves an undecodable scheduled message aside and resolves to the rest", async () => {
  const { huey, add } = setup();
  await huey.storage.addToSchedule(garbage, 0);
  const good = await add.schedule({ args: [1, 1], eta: new Date(1000) });
  await executeNext(huey, new Date(0));
  const due = await huey.readSchedule(new Date(2000));
  assert.deepEqual(due.map((task) => task.id), [good.id]);
  assert.equal((await huey.deadLetters()).length, 1);
  assert.equal(await huey.scheduledCount(), 0);
  await huey.enqueue(due[0]);
  assert.equal(await executeNext(huey), 2);
});

test("with acks: false, bad messages are moved aside the same way", async () => {
  const { huey, add } = setup({ acks: false });
  await huey.storage.enqueue(garbage);
  await add(1, 2);
  assert.equal(await executeNext(huey), 3);
  assert.equal((await huey.deadLetters()).length, 1);
});

test("a message that inflates past maxMessageBytes goes to the dead letters, and the next one runs", async () => {
  const { huey, add } = setup({ maxMessageBytes: 256 * 1024 });
  const bomb = new Serializer({ compression: true }).serialize({
    ...add.s(1, 2).toData(),
    args: ["x".repeat(4 * 1024 * 1024)],
  });
  await huey.storage.enqueue(bomb);
  const good = await add(2, 3);
  assert.equal(await executeNext(huey), 5);
  assert.equal(await good.get(), 5);
  const [letter] = await huey.deadLetters();
  assert.deepEqual([...letter.data], [...bomb]);
  assert.match(letter.reason, /decompresses to more than 262144 bytes \(maxMessageBytes\)/);
});
