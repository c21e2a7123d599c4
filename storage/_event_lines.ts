/**
 * The lines of the event log as the storages keep them: each the JSON
 * text of one event, or a pair line, which holds a task's `executing` and
 * `complete` events (a consumer writes one for a task that ran and
 * completed before its `executing` event was stored: `pairText` of
 * `event.ts`, half the bytes of two events). A pair line is the
 * `executing` event with the type {@linkcode PAIR_TYPE} and two more
 * fields: `duration` (seconds the task ran) and `end` (the `complete`
 * event's `at`, epoch ms). The storages count it as two events (for the cap
 * and the seqs) and their readers give back the two, so no reader of the
 * log ever meets one.
 *
 * @module
 * @internal
 */

/** The `type` of a pair line: never an event's type. */
export const PAIR_TYPE = "executing+complete";

/** What a pair line's text starts with: its `type` field. */
export const PAIR_START = `{"type":"${PAIR_TYPE}"`;

/** Whether a line of the log is a pair line: it holds two events. */
export function isPairLine(line: string): boolean {
  return line.startsWith(PAIR_START);
}

/** How many events lines of the log hold: a pair line holds two. */
export function eventCount(lines: readonly string[]): number {
  let count = lines.length;
  for (const line of lines) if (isPairLine(line)) count++;
  return count;
}

/**
 * The events' texts that lines of the log hold, in order: each pair line
 * becomes its `executing` and `complete` events (fields in the order of
 * `event.ts`), the other lines stay as they are (a pair line that is not
 * JSON stays too, for the reader's decoding to refuse). Gives back `lines`
 * itself when there is no pair.
 *
 * @example
 * ```ts
 * import { expandEventLines } from "./_event_lines.ts";
 * const pair = '{"type":"executing+complete","id":"1","name":"add","retries":0,"at":1000,' +
 *   '"consumer":"h:1","worker":"1","duration":0.5,"end":1500}';
 * const [executing, complete] = expandEventLines([pair]).map((line) => JSON.parse(line));
 * console.assert(executing.type === "executing" && complete.at === 1500);
 * ```
 */
export function expandEventLines(lines: string[]): string[] {
  let expanded: string[] | null = null;
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index];
    const pair = isPairLine(line) ? splitPair(line) : null;
    if (pair === null) expanded?.push(line);
    else {
      expanded ??= lines.slice(0, index);
      expanded.push(pair[0], pair[1]);
    }
  }
  return expanded ?? lines;
}

/** The `executing` and `complete` texts of a pair line, or `null` for one that is not JSON. */
function splitPair(line: string): [string, string] | null {
  let pair;
  try {
    pair = JSON.parse(line);
  } catch {
    return null;
  }
  const { id, name, retries, at, consumer, worker, duration, end } = pair;
  return [
    JSON.stringify({ type: "executing", id, name, retries, at, consumer, worker }),
    JSON.stringify({ type: "complete", id, name, retries, at: end, consumer, worker, duration }),
  ];
}
