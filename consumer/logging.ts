/**
 * Sets up the consumer's log: huey's format (or the short one), the level
 * from `-v`/`-q`, standard error or a file.
 *
 * @module
 * @internal
 */
import { appendFileSync } from "node:fs";
import { configureLogging, defaultFormat, type LevelName, simpleFormat } from "../logger.ts";
import { LogBatch, writeStandardError } from "../_log_batch.ts";

/** How a consumer or worker logs. */
export interface LoggingSetup {
  /** The lowest level written. */
  level: LevelName;
  /** Short lines (time and message). */
  simple: boolean;
  /** Append to this file instead of standard error. */
  logfile?: string;
  /** Names the thread or process in each line. */
  context: string;
}

/** The level for `-v` (true), `-q` (false) or neither. */
export function levelFor(verbose: boolean | undefined): LevelName {
  return verbose === true ? "DEBUG" : verbose === false ? "WARNING" : "INFO";
}

/**
 * Applies a logging setup to every logger of this thread. Lines are written
 * once per event-loop turn, together (see `_log_batch.ts`).
 */
export function setUpLogging(setup: LoggingSetup): void {
  const { logfile } = setup;
  configureLogging({
    level: setup.level,
    context: setup.context,
    format: setup.simple ? simpleFormat : defaultFormat,
    write: new LogBatch(
      logfile ? (text) => appendFileSync(logfile, text + "\n") : writeStandardError,
    ).write,
  });
}
