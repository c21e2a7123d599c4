/**
 * Enqueueing groups and chords: every member's first task goes to the queue
 * in one step (`enqueueMany`), after each chord member's last stage is given
 * its place in its chord (a nested chord's place goes to the last stage of
 * its callback). What a member's end then does is in chord_completion.ts.
 *
 * @module
 * @internal
 */
import { Chord, type ChordMember } from "./chord.ts";
import { ChordResult } from "./chord_result.ts";
import type { Group } from "./group.ts";
import { Result, ResultGroup, type ResultHost } from "./result.ts";
import type { ChordMembership, Task } from "./task.ts";

/** What enqueueing a group or chord asks of the Huey. */
export interface FanOutHost extends ResultHost {
  /** Enqueues several tasks at once, in order (in immediate mode: runs them). */
  enqueueMany(tasks: Task[]): Promise<unknown>;
  /** The Result of a task; a group of each stage's when it has a pipeline. */
  resultFor(task: Task): Result | ResultGroup;
}

/**
 * Enqueues a group's members.
 *
 * @param host The Huey.
 * @param group The group.
 * @returns A result per member, in order: a pipeline's last stage's, a
 *   chord's callback's last stage's.
 */
export async function enqueueGroup<T>(host: FanOutHost, group: Group<T>): Promise<ResultGroup<T>> {
  const heads: Task[] = [];
  const results = group.tasks.map((member) => planMember(host, member, null, heads));
  await host.enqueueMany(heads);
  return new ResultGroup(results);
}

/**
 * Enqueues a chord's members (nested chords' included).
 *
 * @param host The Huey.
 * @param chord The chord.
 * @returns The chord's result.
 */
export async function enqueueChord<R, T>(
  host: FanOutHost,
  chord: Chord<R, T>,
): Promise<ChordResult<R, T>> {
  const heads: Task[] = [];
  const result = planChord(host, chord, heads);
  await host.enqueueMany(heads);
  return result;
}

/** The last stage of a task's pipeline. */
function lastStage(task: Task): Task {
  let stage = task;
  while (stage.next !== null) stage = stage.next;
  return stage;
}

/**
 * Gives a member its place in a chord (when it is in one), adds its first
 * tasks to `heads`, and returns the result of what it ends with.
 */
function planMember<T>(
  host: FanOutHost,
  member: ChordMember<T>,
  membership: ChordMembership | null,
  heads: Task[],
): Result<T> {
  if (member instanceof Chord) {
    const tail = lastStage(member.callback);
    if (membership !== null) tail.chord = membership;
    planChord(host, member, heads);
    return new Result(host, tail as Task<T>);
  }
  const tail = lastStage(member);
  if (membership !== null) tail.chord = membership;
  heads.push(member);
  return new Result(host, tail as Task<T>);
}

/** Plans a chord's members under a new chord id; an empty chord's callback is enqueued at once with `[]`. */
function planChord<R, T>(host: FanOutHost, chord: Chord<R, T>, heads: Task[]): ChordResult<R, T> {
  const id = crypto.randomUUID();
  const size = chord.tasks.length;
  const callback = chord.callback.toData();
  const results = chord.tasks.map((member, index) =>
    planMember(host, member, { id, size, index, callback }, heads)
  );
  if (size === 0) {
    chord.callback.args = [...chord.callback.args, []];
    heads.push(chord.callback);
  }
  const callbackResult = new Result(host, chord.callback);
  const { next } = chord.callback;
  // The pipeline's first result is the callback's own: reads are destructive, one object caches.
  const rest = next === null ? null : host.resultFor(next);
  const pipeline = rest === null
    ? null
    : new ResultGroup([callbackResult, ...(rest instanceof Result ? [rest] : rest.results)]);
  return new ChordResult(new ResultGroup(results), callbackResult, pipeline);
}
