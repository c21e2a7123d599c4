import { test } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createHash, createHmac } from "node:crypto";
import { Serializer, type SerializerLike, SignedSerializer } from "../serializer.ts";
import { CancelExecution, ConfigurationError, HueyError } from "../errors.ts";
import { isTuple, tuple } from "../tuple.ts";

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
const bytesOf = (value: string): Uint8Array => new TextEncoder().encode(value);

function roundTrip(value: unknown, serializer: SerializerLike = new Serializer()): unknown {
  return serializer.deserialize(serializer.serialize(value));
}

// huey's test_serializer.py: None, 0, 1, b'a' * 1024, a list and a dict.
const HUEY_VALUES: unknown[] = [
  null,
  0,
  1,
  new Uint8Array(1024).fill(0x61),
  [1, "two", [3]],
  { k1: "v1", k2: [1, 2], k3: { nested: true } },
];

test("Serializer round-trips huey's test values", () => {
  for (const value of HUEY_VALUES) assert.deepEqual(roundTrip(value), value);
});

test("Serializer with gzip compression round-trips and writes gzip", () => {
  const serializer = new Serializer({ compression: true });
  for (const value of HUEY_VALUES) assert.deepEqual(roundTrip(value, serializer), value);
  assert.equal(serializer.serialize(HUEY_VALUES[4])[0], 0x1f);
});

test("Serializer with zlib compression round-trips and writes zlib", () => {
  const serializer = new Serializer({ compression: true, useZlib: true, compressionLevel: 9 });
  for (const value of HUEY_VALUES) assert.deepEqual(roundTrip(value, serializer), value);
  assert.equal(serializer.serialize(HUEY_VALUES[4])[0], 0x78);
});

test("a compressing Serializer reads uncompressed data and vice versa", () => {
  const plain = new Serializer();
  const gzip = new Serializer({ compression: true });
  const zlib = new Serializer({ compression: true, useZlib: true });
  for (const value of HUEY_VALUES) {
    for (const writer of [plain, gzip, zlib]) {
      for (const reader of [plain, gzip, zlib]) {
        assert.deepEqual(reader.deserialize(writer.serialize(value)), value);
      }
    }
  }
});

test("compression shrinks repetitive data", () => {
  const value = "a".repeat(10_000);
  const plain = new Serializer().serialize(value);
  assert.ok(new Serializer({ compression: true }).serialize(value).length < plain.length / 10);
});

test("a compressionLevel outside 0..9 throws a ConfigurationError naming compressionLevel", () => {
  for (const compressionLevel of [-1, 10, 1.5, Number.NaN]) {
    assert.throws(() => new Serializer({ compressionLevel }), {
      name: "ConfigurationError",
      message: new RegExp(`^Option 'compressionLevel' must be an integer from 0 to 9, got `),
    });
  }
  assert.doesNotThrow(() => new Serializer({ compression: true, compressionLevel: 0 }));
});

test("a non-boolean compression or useZlib throws a ConfigurationError naming the option", () => {
  const bad = "yes" as unknown as boolean;
  assert.throws(
    () => new Serializer({ compression: bad }),
    { name: "ConfigurationError", message: /Option 'compression' must be a boolean, got "yes"/ },
  );
  assert.throws(() => new Serializer({ useZlib: bad }), /Option 'useZlib' must be a boolean/);
});

test("plain JSON values are written as they are", () => {
  const value = { a: [1, "x", true, null, -2.5], b: { c: "d" } };
  assert.equal(text(new Serializer().serialize(value)), JSON.stringify(value));
});

test("undefined round-trips at the top level, in arrays and as a property value", () => {
  assert.equal(roundTrip(undefined), undefined);
  assert.equal(text(new Serializer().serialize(undefined)), '{"$":"undefined"}');
  const array = roundTrip([1, undefined, 3]) as unknown[];
  assert.equal(array.length, 3);
  assert.ok(1 in array && array[1] === undefined);
  const object = roundTrip({ a: undefined, b: 1 }) as Record<string, unknown>;
  assert.ok(Object.hasOwn(object, "a"));
  assert.deepEqual(object, { a: undefined, b: 1 });
});

test("NaN, Infinity and -Infinity round-trip", () => {
  assert.ok(Number.isNaN(roundTrip(Number.NaN)));
  assert.deepEqual(roundTrip([Infinity, -Infinity, Number.NaN, 0]), [Infinity, -Infinity, NaN, 0]);
  assert.equal(text(new Serializer().serialize([Infinity])), '[{"$":"inf"}]');
});

test("BigInt round-trips, big and negative, as a decimal string", () => {
  const big = 2n ** 100n;
  assert.equal(roundTrip(big), big);
  assert.deepEqual(roundTrip({ n: [-5n, big] }), { n: [-5n, big] });
  assert.equal(text(new Serializer().serialize(-5n)), '{"$":"bigint","v":"-5"}');
});

test("a Date round-trips to an equal Date, and an invalid Date stays invalid", () => {
  const at = new Date("2024-02-29T12:34:56.789Z");
  const back = roundTrip({ at }) as { at: Date };
  assert.ok(back.at instanceof Date);
  assert.equal(back.at.getTime(), at.getTime());
  const invalid = roundTrip(new Date(Number.NaN)) as Date;
  assert.ok(invalid instanceof Date && Number.isNaN(invalid.getTime()));
  assert.equal(text(new Serializer().serialize(new Date(Number.NaN))), '{"$":"date","v":null}');
});

test("Map and Set round-trip with any keys and nested tagged values", () => {
  const map = new Map<unknown, unknown>([
    [1, new Date(0)],
    ["s", new Set([1n, undefined])],
    [new Date(1), "date key"],
  ]);
  const back = roundTrip(map) as Map<unknown, unknown>;
  assert.ok(back instanceof Map);
  assert.deepEqual(back, map);
  assert.deepEqual(roundTrip([new Set(["a", "b"])]), [new Set(["a", "b"])]);
});

test("Uint8Array round-trips as base64, views and Buffers included", () => {
  const whole = new Uint8Array([0, 1, 2, 254, 255]);
  assert.deepEqual(roundTrip(whole), whole);
  assert.deepEqual(roundTrip(whole.subarray(1, 3)), new Uint8Array([1, 2]));
  assert.deepEqual(roundTrip(new Uint8Array(0)), new Uint8Array(0));
  assert.deepEqual(roundTrip(Buffer.from("hi")), new Uint8Array([104, 105]));
  assert.equal(text(new Serializer().serialize(whole)), '{"$":"bytes","v":"AAEC/v8="}');
});

test("an Error keeps its class, name, message, stack, cause and own properties", () => {
  const cause = new RangeError("inner");
  const error = Object.assign(new TypeError("outer", { cause }), {
    code: "E_BAD",
    when: new Date(0),
  });
  const back = roundTrip({ error }) as { error: TypeError & { code: string; when: Date } };
  assert.ok(back.error instanceof TypeError);
  assert.equal(back.error.name, "TypeError");
  assert.equal(back.error.message, "outer");
  assert.equal(back.error.stack, error.stack);
  assert.equal(back.error.code, "E_BAD");
  assert.deepEqual(back.error.when, new Date(0));
  assert.ok(back.error.cause instanceof RangeError);
  assert.equal((back.error.cause as Error).stack, cause.stack);
});

test("an Error of a non-built-in class comes back as an Error with the same name", () => {
  const back = roundTrip(new CancelExecution({ retry: true, message: "stop" })) as Error & {
    retry: boolean;
  };
  assert.equal(Object.getPrototypeOf(back), Error.prototype);
  assert.equal(back.name, "CancelExecution");
  assert.equal(back.message, "stop");
  assert.equal(back.retry, true);
  assert.equal(String(back), "CancelExecution: stop");
});

test("an AggregateError keeps its errors", () => {
  const back = roundTrip(new AggregateError([new Error("a")], "many")) as AggregateError;
  assert.ok(back instanceof AggregateError);
  assert.equal(back.errors[0].message, "a");
});

test("a tuple stays a tuple at the top level and inside other values", () => {
  assert.ok(isTuple(roundTrip(tuple(1, "a"))));
  const back = roundTrip({ list: [tuple(1, undefined)], map: new Map([["t", tuple()]]) }) as {
    list: unknown[][];
    map: Map<string, unknown>;
  };
  assert.ok(isTuple(back.list[0]));
  assert.deepEqual([...back.list[0]], [1, undefined]);
  assert.ok(isTuple(back.map.get("t")));
  assert.equal(isTuple(roundTrip([1, 2])), false);
});

test('a user object with a "$" key round-trips and is never read as a tag', () => {
  const lookalike = { $: "date", v: "2020-01-01T00:00:00.000Z" };
  const value = [lookalike, { $: "object", v: { $: 1 } }, { a: { $: undefined } }];
  assert.deepEqual(roundTrip(value), value);
  assert.equal(
    text(new Serializer().serialize({ $: 1 })),
    '{"$":"object","v":{"$":1}}',
  );
});

test("an own __proto__ key round-trips without touching the prototype", () => {
  const value = JSON.parse('{"__proto__": {"polluted": true}, "d": 1}');
  const back = roundTrip({ ...value, when: new Date(0) }) as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(back), Object.prototype);
  assert.deepEqual(Object.getOwnPropertyDescriptor(back, "__proto__")?.value, { polluted: true });
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test("a class instance is written as its own enumerable properties, or its toJSON()", () => {
  class Point {
    x: number;
    y: number;
    constructor(x: number, y: number) {
      this.x = x;
      this.y = y;
    }
  }
  assert.deepEqual(roundTrip([new Point(1, 2)]), [{ x: 1, y: 2 }]);
  class Money {
    toJSON(): string {
      return "5 EUR";
    }
  }
  assert.deepEqual(roundTrip({ price: new Money() }), { price: "5 EUR" });
});

test("a function throws a TypeError that says where it is", () => {
  const serializer = new Serializer();
  assert.throws(() => serializer.serialize({ args: [1, () => 2] }), {
    name: "TypeError",
    message: "Cannot serialize a function at args[1]",
  });
  assert.throws(() => serializer.serialize(() => 1), /function at the top level/);
  assert.throws(() => serializer.serialize({ "a b": { c: [test] } }), /at \["a b"\]\.c\[0\]$/);
});

test("a symbol throws a TypeError that says where it is", () => {
  const serializer = new Serializer();
  assert.throws(() => serializer.serialize({ m: new Map([["k", Symbol("s")]]) }), {
    name: "TypeError",
    message: 'Cannot serialize a symbol at m.get("k")',
  });
  assert.throws(() => serializer.serialize(new Set([Symbol()])), /symbol at values\(\)\[0\]/);
});

test("a circular structure throws a TypeError; a shared reference does not", () => {
  const loop: Record<string, unknown> = { a: { b: [] } };
  (loop.a as { b: unknown[] }).b.push(loop);
  assert.throws(() => new Serializer().serialize(loop), {
    name: "TypeError",
    message: "Cannot serialize a circular structure at a.b[0]",
  });
  const shared = { n: 1 };
  assert.deepEqual(roundTrip([shared, shared]), [{ n: 1 }, { n: 1 }]);
});

test("deeply nested values round-trip", () => {
  let value: unknown = new Date(0);
  for (let i = 0; i < 1000; i++) value = [value];
  let back = roundTrip(value);
  for (let i = 0; i < 1000; i++) back = (back as unknown[])[0];
  assert.deepEqual(back, new Date(0));
});

test("undecodable bytes throw a HueyError with the cause", () => {
  const serializer = new Serializer({ compression: true });
  const broken = [bytesOf("{not json"), new Uint8Array([0x1f, 0x8b, 1, 2]), new Uint8Array()];
  for (const bytes of broken) {
    assert.throws(() => serializer.deserialize(bytes), (error: unknown) => {
      assert.ok(error instanceof HueyError);
      assert.match(error.message, /^Message could not be decoded: /);
      assert.ok(error.cause instanceof Error);
      return true;
    });
  }
  assert.throws(() => serializer.deserialize(bytesOf('{"$":"nope"}')), /unknown type tag "nope"/);
  assert.throws(() => serializer.deserialize(bytesOf('{"$":"date","v":1}')), HueyError);
});

test("the task message of add(1, 2) has the documented wire format", () => {
  const message = {
    id: "5c6f4f5e-8d1b-4f0e-9a53-2f1d3c2b1a00",
    name: "add",
    args: [1, 2],
    eta: null,
    retries: 0,
    retryDelay: 0,
    priority: null,
    expires: 60,
    expiresResolved: new Date("2025-01-01T12:01:00.000Z"),
    timeout: null,
    onComplete: null,
    onError: null,
  };
  const wire = '{"id":"5c6f4f5e-8d1b-4f0e-9a53-2f1d3c2b1a00","name":"add","args":[1,2],' +
    '"eta":null,"retries":0,"retryDelay":0,"priority":null,"expires":60,' +
    '"expiresResolved":{"$":"date","v":"2025-01-01T12:01:00.000Z"},"timeout":null,' +
    '"onComplete":null,"onError":null}';
  assert.equal(text(new Serializer().serialize(message)), wire);
  assert.deepEqual(new Serializer().deserialize(bytesOf(wire)), message);
});

const SECRET = "test secret";

test("SignedSerializer round-trips values, tagged ones included", () => {
  const serializer = new SignedSerializer({ secret: SECRET });
  for (const value of [...HUEY_VALUES, { at: new Date(0), t: tuple(1n) }, undefined]) {
    assert.deepEqual(roundTrip(value, serializer), value);
  }
});

test("SignedSerializer writes the JSON, a colon and the hex HMAC-SHA256", () => {
  const json = '{"a":[1,2]}';
  const key = createHash("sha256").update("salt" + SECRET).digest();
  const signature = createHmac("sha256", key).update(json).digest("hex");
  const serializer = new SignedSerializer({ secret: SECRET, salt: "salt" });
  assert.equal(text(serializer.serialize({ a: [1, 2] })), `${json}:${signature}`);
});

test("SignedSerializer rejects a message with a tampered byte", () => {
  const serializer = new SignedSerializer({ secret: SECRET });
  const bytes = serializer.serialize({ amount: 100 });
  bytes[bytes.indexOf(0x31)] = 0x39; // 100 -> 900
  assert.throws(() => serializer.deserialize(bytes), {
    name: "HueyError",
    message: "Message signature does not match: rejected (tampered, or signed with another secret)",
  });
});

test("SignedSerializer rejects an unsigned message", () => {
  const serializer = new SignedSerializer({ secret: SECRET });
  for (const value of [{ a: 1 }, "plain", 12]) {
    assert.throws(() => serializer.deserialize(new Serializer().serialize(value)), {
      name: "HueyError",
      message: "Message is not signed: rejected",
    });
  }
});

test("SignedSerializer rejects a message signed with another secret or salt", () => {
  const serializer = new SignedSerializer({ secret: SECRET });
  for (const other of [{ secret: "other" }, { secret: SECRET, salt: "other" }]) {
    const bytes = new SignedSerializer(other).serialize([1]);
    assert.throws(() => serializer.deserialize(bytes), /signature does not match/);
  }
});

test("SignedSerializer signs before compressing and reads either form", () => {
  const gzip = new SignedSerializer({ secret: SECRET, compression: true });
  const zlib = new SignedSerializer({ secret: SECRET, compression: true, useZlib: true });
  const plain = new SignedSerializer({ secret: SECRET });
  const value = { big: "x".repeat(1000), at: new Date(0) };
  assert.equal(gzip.serialize(value)[0], 0x1f);
  for (const writer of [gzip, zlib, plain]) {
    for (const reader of [gzip, zlib, plain]) {
      assert.deepEqual(reader.deserialize(writer.serialize(value)), value);
    }
  }
  assert.throws(() => new Serializer().deserialize(gzip.serialize(1)), /could not be decoded/);
});

test("SignedSerializer without a secret or salt throws ConfigurationError naming it", () => {
  const cases: [unknown, RegExp][] = [
    [{}, /Option 'secret'/],
    [{ secret: "" }, /Option 'secret'/],
    [{ secret: "s", salt: "" }, /Option 'salt'/],
    [undefined, /Option 'secret'/],
  ];
  for (const [options, message] of cases) {
    assert.throws(
      () => new SignedSerializer(options as { secret: string }),
      (error: unknown) => error instanceof ConfigurationError && message.test(error.message),
    );
  }
});

test("decompression stops at maxMessageBytes: a small message that inflates past it is rejected", () => {
  const limited = new Serializer({ maxMessageBytes: 1024 * 1024 });
  const bomb = "0".repeat(8 * 1024 * 1024);
  for (const useZlib of [false, true]) {
    const bytes = new Serializer({ compression: true, useZlib }).serialize(bomb);
    assert.ok(bytes.length < 64 * 1024, "it compresses to little");
    assert.throws(() => limited.deserialize(bytes), {
      name: "HueyError",
      message:
        "Message could not be decoded: it decompresses to more than 1048576 bytes (maxMessageBytes)",
    });
    assert.equal(new Serializer().deserialize(bytes), bomb, "the default 64 MiB allows it");
  }
  const plain = new Serializer().serialize("1".repeat(2 * 1024 * 1024));
  assert.throws(() => limited.deserialize(plain), /\d+ bytes, more than 1048576 bytes/);
  assert.equal(limited.deserialize(new Serializer().serialize("small")), "small");
  assert.throws(() => new Serializer({ maxMessageBytes: 0 }), {
    name: "ConfigurationError",
    message: "Option 'maxMessageBytes' must be an integer >= 1, got 0",
  });
});
