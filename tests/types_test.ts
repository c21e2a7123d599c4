// Types flow from a task function to its wrapper and Result (SPEC §2 "Tasks"). `deno check`
// (run by `npm test` and `npm run check` over tests/) fails if any @ts-expect-error line below
// stops being an error; the tests also run each line, so the file is exercised at runtime.
import { test } from "node:test";
import assert from "node:assert/strict";
import { MemoryHuey } from "../mod.ts";
import { MiniHuey } from "../mini.ts";
import { crontab } from "../crontab.ts";
import type { Result, ResultGroup } from "../result.ts";
import { Task } from "../task.ts";

function setup() {
  const huey = new MemoryHuey("types", { immediate: true });
  const add = huey.task(function add(a: number, b: number) {
    return a + b;
  });
  return { huey, add };
}

test("a task wrapper takes its function's argument types", async () => {
  const { add } = setup();
  const ok: Result<number> = await add(1, 2);
  assert.equal(await ok.get(), 3);
  // @ts-expect-error: a string where a number is expected
  await add("1", 2);
  // @ts-expect-error: a missing argument
  await add(1);
  // @ts-expect-error: one argument too many
  await add(1, 2, 3);
  // @ts-expect-error: schedule() args are checked too
  await add.schedule({ args: ["1", 2], delay: 0 });
  // @ts-expect-error: map() items are argument lists or single arguments of the right type
  await add.map([["a", 1]]);
  const group: ResultGroup<number> = await add.map([[1, 2], [3, 4]]);
  assert.deepEqual(await group.get(), [3, 7]);
});

test("Result.get() resolves to the task's return type (or null)", async () => {
  const { add } = setup();
  const result = await add(1, 2);
  const value: number | null = await result.get();
  assert.equal(value, 3);
  // @ts-expect-error: a Result<number> does not give a string
  const wrong: string = await result.get();
  assert.equal(wrong, 3);
  const asyncTask = setup().huey.task(function later(text: string) {
    return Promise.resolve(text.length);
  });
  const length: number | null = await (await asyncTask("four")).get();
  assert.equal(length, 4);
});

test("s() accepts the leading arguments a pipeline stage leaves for the previous value", () => {
  const { add } = setup();
  const full: Task<number> = add.s(1, 2);
  const partial: Task<number> = add.s(1);
  assert.ok(full instanceof Task && partial instanceof Task);
  // @ts-expect-error: still type-checked
  add.s("one");
});

test("context: true leaves the Task out of the call signature", async () => {
  const { huey } = setup();
  const withTask = huey.task(function withTask(n: number, task: Task) {
    return `${n}:${task.name}`;
  }, { context: true });
  assert.equal(await (await withTask(1)).get(), "1:withTask");
  // @ts-expect-error: the Task is not passed by the caller
  await withTask(1, new Task({ name: "withTask" }));
});

test("periodic and context tasks have the call signatures of their functions", async () => {
  const { huey } = setup();
  const periodic = huey.periodicTask(crontab(), function periodic() {
    return 1;
  });
  await periodic();
  // @ts-expect-error: a periodic task takes no arguments
  await periodic(1);
  const query = huey.contextTask({ enter: () => "db", exit: () => {} }, function query(
    db: string,
    sql: string,
  ) {
    return `${db}:${sql}`;
  }, { asArgument: true });
  assert.equal(await (await query("select 1")).get(), "db:select 1");
  // @ts-expect-error: the context value is not passed by the caller
  await query(1);
});

test("MiniHuey tasks are typed like their functions", async () => {
  const mini = new MiniHuey();
  const add = mini.task(function add(a: number, b: number) {
    return a + b;
  });
  const sum: number = await add(1, 2);
  assert.equal(sum, 3);
  // @ts-expect-error: a string where a number is expected
  await add("1", 2);
  // @ts-expect-error: resolves to a number
  const text: string = await add(1, 2);
  assert.equal(text, 3);
});
