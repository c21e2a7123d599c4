// The chord membership on the wire (docs/wire-format.md): a member's last stage carries
// `chord: { id, size, index, callback }`; every part of it is checked when the message is read,
// and the callback's tasks must be registered, so that a bad membership goes to the dead
// letters with a reason naming the field instead of failing at the chord's end.
import { test } from "node:test";
import assert from "node:assert/strict";
import { HueyError } from "../mod.ts";
import { makeHuey, quietLogs } from "./_helpers.ts";
import { goodFields, json } from "./_raw_messages.ts";

quietLogs();

function setup() {
  const huey = makeHuey();
  huey.task(function add(a: number, b: number) {
    return a + b;
  });
  return huey;
}

/** A message of `add` whose `chord` field is this raw JSON. */
function withChord(chord: string): Uint8Array {
  return new TextEncoder().encode(json({ ...goodFields("member"), chord }));
}

const CALLBACK = json(goodFields("callback", "[]"));

test("a good chord membership is read back whole; null and an absent field mean none", () => {
  const huey = setup();
  const task = huey.deserializeTask(
    withChord(`{"id":"c1","size":3,"index":2,"callback":${CALLBACK}}`),
  );
  assert.deepEqual(
    [task.chord?.id, task.chord?.size, task.chord?.index, task.chord?.callback.id],
    ["c1", 3, 2, "callback"],
  );
  assert.equal(huey.deserializeTask(withChord("null")).chord, null);
  const absent = new TextEncoder().encode(json(goodFields("plain")));
  assert.equal(huey.deserializeTask(absent).chord, null);
});

test("every wrong part of a chord membership is rejected with a reason naming the field", () => {
  const huey = setup();
  const cases: [string, string][] = [
    ["5", "chord"],
    ["[]", "chord"],
    [`{"id":"","size":1,"index":0,"callback":${CALLBACK}}`, "chord.id"],
    [`{"id":7,"size":1,"index":0,"callback":${CALLBACK}}`, "chord.id"],
    [`{"id":"c","size":0,"index":0,"callback":${CALLBACK}}`, "chord.size"],
    [`{"id":"c","size":1.5,"index":0,"callback":${CALLBACK}}`, "chord.size"],
    [`{"id":"c","size":2,"index":2,"callback":${CALLBACK}}`, "chord.index"],
    [`{"id":"c","size":2,"index":-1,"callback":${CALLBACK}}`, "chord.index"],
    [`{"id":"c","size":2,"index":"0","callback":${CALLBACK}}`, "chord.index"],
    [`{"id":"c","size":1,"index":0}`, "chord.callback"],
    [`{"id":"c","size":1,"index":0,"callback":5}`, "chord.callback"],
    [
      `{"id":"c","size":1,"index":0,"callback":${json({ ...goodFields("cb"), retries: "-1" })}}`,
      "chord.callback.retries",
    ],
  ];
  for (const [chord, field] of cases) {
    assert.throws(
      () => huey.deserializeTask(withChord(chord)),
      (error: unknown) => error instanceof HueyError && error.message.includes(`field '${field}'`),
      `${chord} must be rejected naming ${field}`,
    );
  }
  const nested = json({
    ...goodFields("stage"),
    chord: `{"id":"c","size":1,"index":5,"callback":${CALLBACK}}`,
  });
  assert.throws(
    () =>
      huey.deserializeTask(
        new TextEncoder().encode(json({ ...goodFields("m"), onComplete: nested })),
      ),
    /field 'onComplete\.chord\.index'/,
  );
});

test("a chord callback of an unknown task is rejected when the member's message is read", () => {
  const huey = setup();
  const callback = json({ ...goodFields("cb"), name: '"nope"' });
  assert.throws(
    () => huey.deserializeTask(withChord(`{"id":"c","size":1,"index":0,"callback":${callback}}`)),
    /Unknown task "nope" \(chord callback of "add"\)/,
  );
});
