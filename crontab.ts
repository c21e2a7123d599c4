/**
 * `crontab()`: builds the validator a periodic task runs on, as huey's
 * `crontab()` does, plus ranges with steps and an optional time zone.
 *
 * @module
 */
import { checkBoolean, checkOption, show } from "./_options.ts";
import { ConfigurationError } from "./errors.ts";

/** The options of {@linkcode crontab}: one cron field each, plus `strict` and `timezone`. */
export interface CrontabOptions {
  /**
   * Months, 1-12.
   * @default {"*"}
   */
  month?: string | number;
  /**
   * Days of the month, 1-31.
   * @default {"*"}
   */
  day?: string | number;
  /**
   * Days of the week, 0-7, where both 0 and 7 mean Sunday. `*\/n` is rejected.
   * @default {"*"}
   */
  dayOfWeek?: string | number;
  /**
   * Hours, 0-23.
   * @default {"*"}
   */
  hour?: string | number;
  /**
   * Minutes, 0-59.
   * @default {"*"}
   */
  minute?: string | number;
  /**
   * Throw on a piece that is not `*`, `n`, `a-b`, `*\/n` or `a-b/n`;
   * `false` ignores such a piece, as huey does (a field of only such pieces
   * then never matches).
   * @default {true}
   */
  strict?: boolean;
  /**
   * IANA time zone (or `"local"`) the date is read in. When unset, the
   * validator's second argument decides, and UTC when that is unset too.
   * @default {undefined}
   */
  timezone?: string;
}

/**
 * Tells whether a date falls on the schedule. Seconds are ignored.
 *
 * @param date The moment to test.
 * @param timezone IANA time zone or `"local"` to read the date in, unless the
 *   crontab has its own `timezone`. Defaults to UTC.
 * @returns `true` when month, day, day of week, hour and minute all match.
 */
export type CrontabValidator = (date: Date, timezone?: string) => boolean;

type FieldName = "month" | "day" | "dayOfWeek" | "hour" | "minute";

/** Allowed values of each field; `acceptable` is what `*` means. */
const FIELDS: Record<FieldName, { min: number; max: number; acceptable: number[] }> = {
  month: { min: 1, max: 12, acceptable: span(1, 12, 1) },
  day: { min: 1, max: 31, acceptable: span(1, 31, 1) },
  dayOfWeek: { min: 0, max: 7, acceptable: span(0, 6, 1) },
  hour: { min: 0, max: 23, acceptable: span(0, 23, 1) },
  minute: { min: 0, max: 59, acceptable: span(0, 59, 1) },
};

const OPTION_NAMES: ReadonlySet<string> = new Set([
  ...Object.keys(FIELDS),
  "strict",
  "timezone",
]);

/** `*`, `n`, `a-b`, `*\/n` or `a-b/n`, whole piece; `n/m` is filtered out after matching. */
const PIECE = /^(?:(\*)|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/;

/** The wall-clock fields a crontab compares, in one time zone. */
interface DateFields {
  month: number;
  day: number;
  /** 0 = Sunday. */
  weekday: number;
  hour: number;
  minute: number;
}

type FieldReader = (date: Date) => DateFields;

const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

const readers = new Map<string, FieldReader>();

/**
 * Builds a schedule for a periodic task, like huey's `crontab()`. Each field
 * is a comma-separated list of pieces: `*`, `n`, `a-b`, `*\/n` (every n-th
 * value counted from the field's first one) or `a-b/n` (every n-th value from
 * a to b). Numbers are taken as strings. Unlike Vixie cron, the day and the
 * day of week must both match.
 *
 * @param options The fields, `strict` and `timezone`; see {@linkcode CrontabOptions}.
 * @returns A function telling whether a `Date` is on the schedule.
 * @throws {ConfigurationError} When a piece is not valid (unless `strict:
 *   false`), a value is out of its field's range, a step is 0, `dayOfWeek`
 *   has `*\/n`, `timezone` is not a known time zone, or an option has the
 *   wrong type or is unknown; the message names the field and the piece.
 * @example
 * ```ts
 * import { crontab } from "./crontab.ts";
 * const weekdayMornings = crontab({ minute: "0", hour: "9", dayOfWeek: "1-5" });
 * console.assert(weekdayMornings(new Date(Date.UTC(2024, 0, 8, 9, 0)))); // a Monday
 * console.assert(!weekdayMornings(new Date(Date.UTC(2024, 0, 7, 9, 0)))); // a Sunday
 * ```
 */
export function crontab(options: CrontabOptions = {}): CrontabValidator {
  checkOption(typeof options === "object" && options !== null, "options", options, "an object");
  for (const key of Object.keys(options)) {
    if (!OPTION_NAMES.has(key)) {
      throw new ConfigurationError(
        `Unknown crontab option "${key}": expected one of ${[...OPTION_NAMES].join(", ")}`,
      );
    }
  }
  const {
    month = "*",
    day = "*",
    dayOfWeek = "*",
    hour = "*",
    minute = "*",
    strict = true,
    timezone,
  } = options;
  checkBoolean("strict", strict);
  const own = timezone === undefined ? undefined : readerFor(timezone);
  const months = parseField("month", month, strict);
  const days = parseField("day", day, strict);
  const weekdays = parseField("dayOfWeek", dayOfWeek, strict);
  const hours = parseField("hour", hour, strict);
  const minutes = parseField("minute", minute, strict);

  const validate = function validate(date: Date, timezone?: string): boolean {
    if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
      throw new TypeError(`Expected date to be a valid Date, received ${show(date)}`);
    }
    const fields = (own ?? readerFor(timezone ?? "UTC"))(date);
    return months[fields.month] && days[fields.day] && weekdays[fields.weekday] &&
      hours[fields.hour] && minutes[fields.minute];
  };
  const text = `${minute} ${hour} ${day} ${month} ${dayOfWeek}`;
  specs.set(validate, timezone === undefined ? text : `${text} (${timezone})`);
  return validate;
}

/** The crontab line of each validator `crontab()` built. */
const specs = new WeakMap<CrontabValidator, string>();

/**
 * A validator's schedule as a crontab line (`minute hour day month
 * dayOfWeek`, then its time zone if it has one), or `null` for a function
 * `crontab()` did not build.
 */
export function crontabText(validator: CrontabValidator): string | null {
  return specs.get(validator) ?? null;
}

/**
 * Parses one field into a lookup table indexed by value (day of week: 0-6).
 * Pieces are read as in huey, with two differences: a piece must match
 * whole, and `a-b/n` honours its step.
 */
function parseField(name: FieldName, raw: string | number, strict: boolean): boolean[] {
  const { min, max, acceptable } = FIELDS[name];
  if (typeof raw === "number") {
    if (!Number.isInteger(raw) || raw < min || raw > max) {
      throw new ConfigurationError(
        `Crontab ${name} must be an integer in ${min}-${max}, received ${raw}`,
      );
    }
    raw = String(raw);
  } else {
    checkOption(typeof raw === "string", name, raw, "a string or a number");
  }
  const table = new Array<boolean>(name === "dayOfWeek" ? 7 : max + 1).fill(false);
  const add = (value: number): void => {
    table[name === "dayOfWeek" ? value % 7 : value] = true;
  };
  const inRange = (value: string): number => {
    const number = Number(value);
    if (number < min || number > max) {
      throw new ConfigurationError(`Crontab ${name} must be in ${min}-${max}, received ${value}`);
    }
    return number;
  };

  for (const piece of raw.split(",")) {
    const match = PIECE.exec(piece);
    if (match === null || (match[2] !== undefined && match[3] === undefined && match[4])) {
      if (strict) {
        throw new ConfigurationError(
          `${JSON.stringify(piece)} is not a valid input for crontab ${name}: ` +
            "expected *, n, a-b, */n or a-b/n",
        );
      }
      continue;
    }
    const [, star, low, high, stepText] = match;
    const step = stepText === undefined ? 1 : Number(stepText);
    if (star !== undefined && stepText !== undefined && name === "dayOfWeek") {
      throw new ConfigurationError(
        `Crontab dayOfWeek does not accept ${JSON.stringify(piece)}: use a range with a step, ` +
          `such as "0-6/${stepText}"`,
      );
    }
    if (step < 1) {
      throw new ConfigurationError(
        `Crontab ${name} step must be >= 1, received ${JSON.stringify(piece)}`,
      );
    }
    if (star !== undefined) {
      acceptable.forEach((value, index) => {
        if (index % step === 0) add(value);
      });
    } else if (high === undefined) {
      add(inRange(low));
    } else {
      for (const value of span(inRange(low), inRange(high), step)) add(value);
    }
  }
  return table;
}

/** `from`, `from + step`, ... up to `to` inclusive; empty when `from > to`. */
function span(from: number, to: number, step: number): number[] {
  const values: number[] = [];
  for (let value = from; value <= to; value += step) values.push(value);
  return values;
}

/** The reader for a zone: UTC getters, local getters, or a cached `Intl.DateTimeFormat`. */
function readerFor(timezone: string): FieldReader {
  checkOption(typeof timezone === "string", "timezone", timezone, "a string");
  let reader = readers.get(timezone);
  if (reader !== undefined) return reader;
  if (timezone === "UTC") {
    reader = (date) => ({
      month: date.getUTCMonth() + 1,
      day: date.getUTCDate(),
      weekday: date.getUTCDay(),
      hour: date.getUTCHours(),
      minute: date.getUTCMinutes(),
    });
  } else if (timezone === "local") {
    reader = (date) => ({
      month: date.getMonth() + 1,
      day: date.getDate(),
      weekday: date.getDay(),
      hour: date.getHours(),
      minute: date.getMinutes(),
    });
  } else {
    reader = zoneReader(timezone);
  }
  readers.set(timezone, reader);
  return reader;
}

/** Reads the fields through `Intl`, which knows every IANA zone and its DST rules. */
function zoneReader(timezone: string): FieldReader {
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone: timezone,
      hourCycle: "h23",
      month: "numeric",
      day: "numeric",
      weekday: "short",
      hour: "numeric",
      minute: "numeric",
    });
  } catch (cause) {
    throw new ConfigurationError(
      `Option 'timezone' must be an IANA time zone name or "local", got ${show(timezone)}`,
      { cause },
    );
  }
  return (date) => {
    const fields: DateFields = { month: 0, day: 0, weekday: 0, hour: 0, minute: 0 };
    for (const { type, value } of format.formatToParts(date)) {
      if (type === "weekday") fields.weekday = WEEKDAYS[value];
      else if (type === "month" || type === "day" || type === "minute") {
        fields[type] = Number(value);
      } else if (type === "hour") fields.hour = Number(value) % 24;
    }
    return fields;
  };
}
