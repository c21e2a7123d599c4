/**
 * Leveled loggers named like huey's (`huey`, `huey.consumer`), writing one
 * line per record in huey's format to standard error, or to a sink the
 * consumer sets (a log file).
 *
 * @module
 */

import { LogBatch, writeStandardError } from "./_log_batch.ts";

/** Log levels, as in Python's logging. */
const LEVELS = { DEBUG: 10, INFO: 20, WARNING: 30, ERROR: 40 } as const;

/** A level name. */
export type LevelName = keyof typeof LEVELS;

/** One log record. */
export interface LogRecord {
  /** The record's time. */
  time: Date;
  /** Its level. */
  level: LevelName;
  /** The logger's name, e.g. `huey.consumer`. */
  logger: string;
  /** The message. */
  message: string;
  /** The error logged with it, if any. */
  error?: unknown;
}

/**
 * Where records go and which pass; set once by the consumer. A program that
 * only uses the library (a producer) logs warnings and errors only; the
 * consumer logs INFO lines too (`-v`: DEBUG, `-q`: WARNING).
 */
export interface LogConfig {
  /** Records below this level are dropped. @default "WARNING" */
  level: LevelName;
  /**
   * Writes a formatted record. The default writes to standard error, the
   * lines of one event-loop turn in one write (all written when the process exits).
   */
  write: (line: string) => void;
  /** Formats a record. */
  format: (record: LogRecord, context: string) => string;
  /** Names the thread, worker or process, e.g. `MainThread` or `Worker-1`. */
  context: string;
}

function pad(value: number, width = 2): string {
  return String(value).padStart(width, "0");
}

/** The second whose date and time {@linkcode secondText} holds (a consumer logs many lines a second). */
let stampSecond = NaN;
let secondText = "";

/** `2024-01-01 12:00:00,123`: the local date and time of epoch ms `time`, to the millisecond. */
function stamp(time: number): string {
  const second = Math.floor(time / 1000);
  if (second !== stampSecond) {
    const t = new Date(time);
    stampSecond = second;
    secondText = `${t.getFullYear()}-${pad(t.getMonth() + 1)}-${pad(t.getDate())} ` +
      `${pad(t.getHours())}:${pad(t.getMinutes())}:${pad(t.getSeconds())},`;
  }
  return secondText + pad(time - second * 1000, 3);
}

/** The last prefix {@linkcode linePrefix} built, and what it was built for. */
const lastPrefix = { time: NaN, level: "", logger: "", context: "", text: "" };

/**
 * `[2024-01-01 12:00:00,123] INFO:huey.consumer:Worker-1:`, the start of a line
 * of {@linkcode defaultFormat}: kept while the millisecond, level, logger and
 * context stay the same (a busy consumer logs many lines a millisecond).
 */
function linePrefix(time: number, level: LevelName, logger: string, context: string): string {
  const last = lastPrefix;
  if (
    time !== last.time || level !== last.level || logger !== last.logger || context !== last.context
  ) {
    last.text = `[${stamp(time)}] ${level}:${logger}:${context}:`;
    last.time = time;
    last.level = level;
    last.logger = logger;
    last.context = context;
  }
  return last.text;
}

/** huey's default format: `[2024-01-01 12:00:00,123] INFO:huey.consumer:Worker-1:message`. */
export function defaultFormat(record: LogRecord, context: string): string {
  const prefix = linePrefix(record.time.getTime(), record.level, record.logger, context);
  return prefix + record.message + errorText(record.error);
}

/** huey's simple format (`-S`): `12:00:00 message`. */
export function simpleFormat(record: LogRecord): string {
  const t = record.time;
  return `${pad(t.getHours())}:${pad(t.getMinutes())}:${pad(t.getSeconds())} ${record.message}${
    errorText(record.error)
  }`;
}

function errorText(error: unknown): string {
  if (error === undefined) return "";
  return "\n" + (error instanceof Error ? error.stack ?? String(error) : String(error));
}

/** The active configuration; `configureLogging` changes it. */
const config: LogConfig = {
  level: "WARNING",
  write: new LogBatch(writeStandardError).write,
  format: defaultFormat,
  context: "MainThread",
};

/** Whether a level was set with `configureLogging` (the consumer then leaves it alone). */
let levelChosen = false;

/**
 * Changes where and how records are written.
 *
 * @param changes The settings to change.
 */
export function configureLogging(changes: Partial<LogConfig>): void {
  if (changes.level !== undefined) levelChosen = true;
  Object.assign(config, changes);
}

/**
 * Lets a running consumer log its INFO lines (start-up, tasks executed),
 * unless a level was chosen with `configureLogging`.
 *
 * @internal Called by `Consumer.run()`.
 */
export function useConsumerLevel(): void {
  if (!levelChosen) config.level = "INFO";
}

/** A named logger. */
export interface Logger {
  /** Logs at DEBUG. */
  debug(message: string): void;
  /** Logs at INFO. */
  info(message: string): void;
  /** Logs at WARNING, with the error's stack when one is given. */
  warning(message: string, error?: unknown): void;
  /** Logs at ERROR. */
  error(message: string): void;
  /** Logs at ERROR with the error's stack. */
  exception(message: string, error: unknown): void;
  /** Whether a record at this level is written now (skip building a costly message when not). */
  isEnabledFor(level: LevelName): boolean;
}

/**
 * The logger of this name.
 *
 * @param name e.g. `huey` or `huey.consumer`.
 * @returns A logger writing through the shared configuration.
 */
export function getLogger(name: string): Logger {
  const log = (level: LevelName, message: string, error?: unknown): void => {
    if (LEVELS[level] < LEVELS[config.level]) return;
    if (config.format === defaultFormat && error === undefined) {
      // The common line, without a record: a consumer at INFO writes two a task.
      return config.write(linePrefix(Date.now(), level, name, config.context) + message);
    }
    const record = { time: new Date(), level, logger: name, message, error };
    config.write(config.format(record, config.context));
  };
  return {
    debug: (message) => log("DEBUG", message),
    info: (message) => log("INFO", message),
    warning: (message, error) => log("WARNING", message, error),
    error: (message) => log("ERROR", message),
    exception: (message, error) => log("ERROR", message, error),
    isEnabledFor: (level) => LEVELS[level] >= LEVELS[config.level],
  };
}
