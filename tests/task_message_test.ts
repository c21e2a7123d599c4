// Our addition (SPEC §5.4, §7 "Stepping over bad messages", issue 10 item 3): decoding checks
// every field of the wire format (docs/wire-format.md §4), in next stages and error handlers
// too, so that a message with a wrongly typed field goes to the dead letters once, with a
// reason naming the field, instead of failing every time it is delivered.
//
// The fuzz test is exhaustive over a table: every field, at the top and nested in onComplete
// and onError, gets every wrong value of the table, written as raw JSON (bad tags included).
import { test } from "node:test";
import assert from "node:assert/strict";
import { Huey } from "../huey.ts";
import { MemoryStorage } from "../storage/memory.ts";
import { quietLogs } from "./_helpers.ts";
import { goodFields, json } from "./_raw_messages.ts";

quietLogs();

const NAN = '{"$":"nan"}';
const INF = '{"$":"inf"}';
const DATE = '{"$":"date","v":"2030-01-01T00:00:00.000Z"}';

/** Wrong values per field, as raw JSON; `undefined` (the tag) stands for "missing". */
const WRONG: Record<string, string[]> = {
  id: ["5", '""', "null", "[]", "{}", '{"$":"undefined"}', "true"],
  name: ["5", '""', "null", '["add"]', "{}", '{"$":"undefined"}'],
  args: ['"1,2"', "5", "null", '{"0":1}', '{"$":"set","v":[1]}', '{"$":"undefined"}'],
  eta: [
    '"2030-01-01T00:00:00Z"',
    "1893456000000",
    "{}",
    "[]",
    "true",
    NAN,
    '{"$":"date","v":"tomorrow"}',
    '{"$":"date","v":null}',
    '{"$":"date","v":5}',
    '{"$":"date"}',
    '{"$":"datetime","v":"2030-01-01T00:00:00Z"}',
  ],
  retries: ['"x"', "-1", "1.5", "null", NAN, INF, "[]", "{}", "true", '{"$":"bigint","v":"1"}'],
  retryDelay: ['"x"', "-1", "null", INF, NAN, "{}", DATE, "1e300"],
  retryBackoff: ['"2"', "0.5", "0", "-2", "null", INF, NAN, "[]", "{}", "true"],
  retryJitter: ['"0.1"', "-0.1", "1.5", "null", NAN, INF, "[]", "{}"],
  retryDelayMax: ['"60"', "0", "-1", "1e300", INF, NAN, "[]", "{}", DATE],
  retried: ['"1"', "-1", "0.5", "null", NAN, INF, "[]", "{}", "true"],
  priority: ['"high"', NAN, INF, '{"$":"-inf"}', "[]", "true", "{}"],
  expires: ['"60"', INF, '{"$":"date","v":null}', "[]", "{}", "true", NAN, "1e300"],
  expiresResolved: ['"2030-01-01T00:00:00Z"', "5", "{}", '{"$":"date","v":null}', "[]"],
  timeout: ["-1", "0", '"5"', INF, NAN, "{}", "[]", "3000000"],
  onComplete: ["5", '"add"', "[]", "true", "{}"],
  onError: ["5", '"add"', "[]", "true", '{"name":"add"}'],
};

interface BadMessage {
  data: Uint8Array;
  /** The field's path, as the reason must name it. */
  path: string;
  value: string;
}

/** Every wrong value of every field, at the top and one level down in onComplete and onError. */
function badMessages(): BadMessage[] {
  const bad: BadMessage[] = [];
  let n = 0;
  for (const [field, values] of Object.entries(WRONG)) {
    for (const value of values) {
      for (const parent of ["", "onComplete", "onError"]) {
        const id = `bad-${++n}`;
        const fields = goodFields(id);
        if (parent === "") {
          fields[field] = value;
        } else {
          const child = goodFields(`${id}-child`);
          child[field] = value;
          fields[parent] = json(child);
        }
        bad.push({
          data: new TextEncoder().encode(json(fields)),
          path: parent ? `${parent}.${field}` : field,
          value,
        });
      }
    }
  }
  // Bad tags inside the arguments (strict base64, bigint, map entries) name where they are.
  const inArgs: [string, string][] = [
    ['[{"$":"bytes","v":"aGk=!"}]', "args[0]"],
    ['[1,{"$":"bytes","v":"aGk"}]', "args[1]"],
    ['[{"$":"bigint","v":""}]', "args[0]"],
    ['[{"$":"bigint","v":"0x10"}]', "args[0]"],
    ['[{"k":{"$":"map","v":[[1]]}}]', "args[0].k"],
    ['[{"$":"nope"}]', "args[0]"],
  ];
  for (const [args, path] of inArgs) {
    bad.push({
      data: new TextEncoder().encode(json(goodFields(`bad-${++n}`, args))),
      path,
      value: args,
    });
  }
  return bad;
}

/**
 * Whether a dead letter's reason names the field: `field 'eta'`, `... at eta`, or a
 * field inside it (an empty `onComplete` lacks `onComplete.id`).
 */
function namesField(reason: string, path: string): boolean {
  return [`'${path}'`, `'${path}.`].some((text) => reason.includes(text)) ||
    reason.endsWith(` at ${path}`);
}

function world() {
  let now = Date.now();
  const storage = new MemoryStorage(`fuzz-${crypto.randomUUID()}`, { clock: () => now });
  const huey = new Huey(storage.name, { storage });
  const ran: number[] = [];
  huey.task(function add(a: number, b: number) {
    ran.push(a);
    return a + b;
  });
  return { huey, ran, expireLeases: () => (now += 31_000) };
}

test("every wrongly typed field of the wire format sends its message to the dead letters once, naming the field; good messages all run", async () => {
  const { huey, ran, expireLeases } = world();
  const bad = badMessages();
  const goodIds: string[] = [];
  for (const [i, message] of bad.entries()) {
    await huey.storage.enqueue(message.data);
    const id = `good-${i}`;
    goodIds.push(id);
    const good = { ...goodFields(id, `[${i},1]`), retries: "2", retryDelay: "0", priority: "1.5" };
    await huey.storage.enqueue(new TextEncoder().encode(json(good)));
  }
  const thrown: unknown[] = [];
  // The worker's loop, run past two lease timeouts: what is never acknowledged comes back.
  for (let round = 0; round < 3; round++) {
    while (true) {
      const task = await huey.dequeue().catch((error) => void thrown.push(error));
      if (!task) break;
      await huey.execute(task).catch((error) => thrown.push(error));
    }
    expireLeases();
  }
  assert.deepEqual(thrown, [], "nothing threw out of the loop");
  assert.deepEqual(ran, bad.map((_, i) => i), "every good message ran, once");
  for (const id of goodIds) assert.equal(await huey.result(id), Number(id.slice(5)) + 1);

  const letters = await huey.deadLetters();
  assert.equal(letters.length, bad.length, "each bad message is dead-lettered once");
  const text = new TextDecoder();
  for (const [i, message] of bad.entries()) {
    const letter = letters[i];
    const where = `${message.path} = ${message.value}`;
    assert.equal(text.decode(letter.data), text.decode(message.data), where);
    assert.ok(namesField(letter.reason, message.path), `${where}: ${letter.reason}`);
  }
  assert.equal(await huey.pendingCount(), 0);
});

test("a wrong field's reason says the field, the value and what is allowed", () => {
  const { huey } = world();
  const cases: [Record<string, string>, string][] = [
    [
      { eta: '"2030-01-01"' },
      `Invalid task message: field 'eta' must be a date tag or null, got "2030-01-01"`,
    ],
    [{ retries: '"x"' }, `Invalid task message: field 'retries' must be an integer >= 0, got "x"`],
    [
      { retryBackoff: "0.5" },
      "Invalid task message: field 'retryBackoff' must be a finite number >= 1, got 0.5",
    ],
    [
      { retryJitter: "2" },
      "Invalid task message: field 'retryJitter' must be a number from 0 to 1, got 2",
    ],
    [
      { priority: '"high"' },
      `Invalid task message: field 'priority' must be a finite number or null, got "high"`,
    ],
    [
      { timeout: "-1" },
      "Invalid task message: field 'timeout' must be a number > 0 and at most 2147483, or null, got -1",
    ],
    [
      { onComplete: json({ ...goodFields("c"), expiresResolved: '"soon"' }) },
      `Invalid task message: field 'onComplete.expiresResolved' must be a date tag or null, got "soon"`,
    ],
    [
      { eta: '{"$":"date","v":"tomorrow"}' },
      'Message could not be decoded: the payload of a "date" tag must be an ISO 8601 time, got "tomorrow" at eta',
    ],
    [
      { args: '[{"$":"bytes","v":"!!!!"}]' },
      'Message could not be decoded: the payload of a "bytes" tag must be standard base64, got "!!!!" at args[0]',
    ],
  ];
  for (const [fields, reason] of cases) {
    const data = new TextEncoder().encode(json({ ...goodFields("x"), ...fields }));
    assert.throws(() => huey.deserializeTask(data), { name: "HueyError", message: reason });
  }
  assert.throws(
    () => huey.deserializeTask(new TextEncoder().encode("[1]")),
    { message: "Invalid task message: expected an object, got an array" },
  );
});

test("optional fields may be left out, and keys the format does not know are ignored", () => {
  const { huey } = world();
  const data = new TextEncoder().encode('{"id":"a","name":"add","args":[1,2],"future":{"x":1}}');
  const task = huey.deserializeTask(data);
  assert.deepEqual(
    [task.eta, task.retries, task.retryDelay, task.priority, task.expires, task.timeout],
    [null, 0, 0, null, null, null],
  );
  assert.equal(task.next, null);
  assert.equal(task.errorHandler, null);
});
