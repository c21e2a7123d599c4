/**
 * Batched log writes: a consumer at INFO logs two lines per task, and one
 * write (a system call) per line costs more than a trivial task. A
 * {@linkcode LogBatch} keeps the lines of one event-loop turn and writes them
 * in order with one call at the end of the turn; {@linkcode flushLogs} writes
 * what every batch holds at once, and runs by itself when the process exits,
 * so that no line is lost.
 *
 * @module
 * @internal
 */
import { Buffer } from "node:buffer";
import { writeSync } from "node:fs";
import process from "node:process";
import { setImmediate } from "node:timers";

/** The batches holding lines not written yet. */
const pending = new Set<LogBatch>();
let flushedOnExit = false;

/** A cell to wait on (nothing wakes it): a pause of a millisecond while a pipe is full. */
const pauseCell = new Int32Array(new SharedArrayBuffer(4));

/**
 * Writes lines to standard error, all of them, before it returns. A pipe's
 * buffer (64 KiB) holds less than a busy turn's lines, and a runtime's
 * `process.stderr` keeps what does not fit to write later, which is lost
 * if the process exits first; here a full pipe is waited for, as Python's
 * blocking writes do.
 *
 * @param text Lines joined with `"\n"`, without the final newline.
 */
export function writeStandardError(text: string): void {
  const bytes = Buffer.from(text + "\n");
  for (let offset = 0; offset < bytes.length;) {
    try {
      offset += writeSync(2, bytes, offset);
    } catch (error) {
      if ((error as { code?: string }).code !== "EAGAIN") throw error;
      Atomics.wait(pauseCell, 0, 0, 1);
    }
  }
}

/** Writes what every batch holds, in the order each got its lines. */
export function flushLogs(): void {
  for (const batch of [...pending]) batch.flush();
}

/** Lines for one sink, written together once per event-loop turn. */
export class LogBatch {
  #lines: string[] = [];
  readonly #sink: (text: string) => void;

  /**
   * @param sink Writes several lines at once: the lines joined with `"\n"`,
   * without a final newline (what `console.error` adds).
   */
  constructor(sink: (text: string) => void) {
    this.#sink = sink;
  }

  /** Adds a line (without its newline); it is written at the end of this turn. */
  write = (line: string): void => {
    if (this.#lines.push(line) > 1) return;
    pending.add(this);
    setImmediate(this.flush);
    if (!flushedOnExit) {
      flushedOnExit = true;
      process.on("exit", flushLogs);
    }
  };

  /** Writes the lines held now, in one call to the sink. */
  flush = (): void => {
    if (this.#lines.length === 0) return;
    const text = this.#lines.join("\n");
    this.#lines = [];
    pending.delete(this);
    try {
      this.#sink(text);
    } catch (error) {
      // A log file that cannot be written must not end the process: say so where it can be seen.
      console.error(`Could not write the log (${(error as Error)?.message}):\n${text}`);
    }
  };
}
