/**
 * The lines of the event log as the storages keep them: each the JSON
 * text of one event, or a pairs line, which holds the `executing` and
 * `complete` events of runs of one consumer (a consumer writes one for
 * the tasks that ran and completed before their `executing` events were
 * stored: see `event_publisher.ts`). A pairs line is
 * `{"type":"executing+complete","consumer":C,"at":T,"runs":[...]}`, the
 * runs as a flat array of {@linkcode PairRuns}, their times counted from
 * `T` (epoch ms) in small whole numbers: about 60 bytes a run instead of
 * two events of 170, and quick to write. The storages count it as two events a run (for the cap
 * and the seqs) and their readers give back those events, so no reader of
 * the log ever meets one.
 *
 * @module
 * @internal
 */

/** The `type` of a pairs line: never an event's type. */
export const PAIR_TYPE = "executing+complete";

/** What a pairs line's text starts with: its `type` field. */
export const PAIR_START = `{"type":"${PAIR_TYPE}"`;

/**
 * The runs of a pairs line, flat, {@linkcode RUN_FIELDS} values a run:
 * the task's `id`, `name`, `retries` (left when it started), the `worker`
 * that ran it, `start` (ms after the runs' `at` when it started: the
 * `executing` event's `at`), `duration` (microseconds it ran: the
 * `complete` event's, in seconds) and `end` (ms after `start` when it
 * completed: the `complete` event's `at`).
 */
export type PairRuns = (string | number)[];

/** How many values a run takes in {@linkcode PairRuns}. */
export const RUN_FIELDS = 7;

/** The index of `start` in a run of {@linkcode PairRuns}. */
export const RUN_START = 4;

/** Runs whose times count from `at` (epoch ms): what a pairs line holds. */
export interface TimedRuns {
  /** Epoch ms the runs' `start` count from. */
  readonly at: number;
  /** The runs, see {@linkcode PairRuns}. */
  readonly runs: PairRuns;
}

/**
 * The pairs line of runs of a consumer.
 *
 * @example
 * ```ts
 * import { expandEventLines, pairsLine } from "./_event_lines.ts";
 * const line = pairsLine("h:1", { at: 1000, runs: ["7", "add", 0, "1", 0, 500_000, 500] });
 * const [executing, complete] = expandEventLines([line]).map((text) => JSON.parse(text));
 * console.assert(executing.type === "executing" && complete.at === 1500 && complete.duration === 0.5);
 * ```
 *
 * @param consumer `host:pid` of the consumer whose workers ran them.
 * @param runs The runs and the time they count from.
 */
export function pairsLine(consumer: string, { at, runs }: TimedRuns): string {
  const fields = `,"consumer":${JSON.stringify(consumer)},"at":${at}`;
  return `${PAIR_START}${fields},"runs":${JSON.stringify(runs)}}`;
}

/** Whether a line of the log is a pairs line: it holds two events a run. */
export function isPairLine(line: string): boolean {
  return line.startsWith(PAIR_START);
}

/** How many events lines of the log hold: a pairs line holds two a run. */
export function eventCount(lines: readonly string[]): number {
  let count = 0;
  for (const line of lines) count += isPairLine(line) ? splitPairs(line)?.length ?? 1 : 1;
  return count;
}

/**
 * The events' texts that lines of the log hold, in order: each pairs line
 * becomes the `executing` and `complete` events of each of its runs, in
 * the order of the runs (fields in the order of `event.ts`), the other
 * lines stay as they are (a pairs line that is not one, say not JSON,
 * stays too, for the reader's decoding to refuse). Gives back `lines`
 * itself when there is no pairs line.
 */
export function expandEventLines(lines: string[]): string[] {
  let expanded: string[] | null = null;
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index];
    const events = isPairLine(line) ? splitPairs(line) : null;
    if (events === null) expanded?.push(line);
    else {
      expanded ??= lines.slice(0, index);
      for (const event of events) expanded.push(event);
    }
  }
  return expanded ?? lines;
}

/** The events' texts of a pairs line, or `null` for a line that is not one. */
function splitPairs(line: string): string[] | null {
  let pairs;
  try {
    pairs = JSON.parse(line);
  } catch {
    return null;
  }
  const { consumer, at: base, runs } = pairs;
  if (!Array.isArray(runs) || runs.length % RUN_FIELDS !== 0) return null;
  const events: string[] = [];
  for (let index = 0; index < runs.length; index += RUN_FIELDS) {
    const [id, name, retries, worker, start, micros, end] = runs.slice(index, index + RUN_FIELDS);
    const at = base + start;
    const duration = micros / 1e6;
    events.push(
      JSON.stringify({ type: "executing", id, name, retries, at, consumer, worker }),
      JSON.stringify({
        type: "complete",
        id,
        name,
        retries,
        at: at + end,
        consumer,
        worker,
        duration,
      }),
    );
  }
  return events;
}
