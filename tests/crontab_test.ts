import { test } from "node:test";
import assert from "node:assert/strict";
import { crontab, crontabText } from "../crontab.ts";
import { ConfigurationError } from "../errors.ts";
import type { CrontabValidator } from "../crontab.ts";

/** A UTC date; `month` is 1-based as in cron. */
function utc(year: number, month: number, day: number, hour = 0, minute = 0): Date {
  return new Date(Date.UTC(year, month - 1, day, hour, minute));
}

/** The values among `from..to` whose date the validator accepts. */
function matching(
  validate: CrontabValidator,
  from: number,
  to: number,
  dateOf: (value: number) => Date,
  timezone?: string,
): number[] {
  const hits: number[] = [];
  for (let value = from; value <= to; value++) {
    if (validate(dateOf(value), timezone)) hits.push(value);
  }
  return hits;
}

const minutesOf = (validate: CrontabValidator): number[] =>
  matching(validate, 0, 59, (minute) => utc(2011, 1, 1, 0, minute));
const hoursOf = (validate: CrontabValidator): number[] =>
  matching(validate, 0, 23, (hour) => utc(2011, 1, 1, hour));
/** Days of January 2011, which starts on a Saturday. */
const januaryDaysOf = (validate: CrontabValidator): number[] =>
  matching(validate, 1, 31, (day) => utc(2011, 1, day));
/** Day of week of each day of the week starting Sunday 2 January 2011. */
const weekdaysOf = (validate: CrontabValidator): number[] =>
  matching(validate, 0, 6, (weekday) => utc(2011, 1, 2 + weekday));

test("crontab month '1,4,*/6,8-9' matches months 1, 4, 7, 8 and 9", () => {
  const validate = crontab({ month: "1,4,*/6,8-9" });
  assert.deepEqual(matching(validate, 1, 12, (month) => utc(2011, month, 1)), [1, 4, 7, 8, 9]);
});

test("crontab day '*/6,1,4,8-9' counts */6 from the 1st of the month", () => {
  const validate = crontab({ day: "*/6,1,4,8-9" });
  assert.deepEqual(januaryDaysOf(validate), [1, 4, 7, 8, 9, 13, 19, 25, 31]);
});

test("crontab day '*/10' matches 1, 11, 21, 31 in January and 1, 11, 21 in February", () => {
  const validate = crontab({ day: "*/10" });
  assert.deepEqual(januaryDaysOf(validate), [1, 11, 21, 31]);
  assert.deepEqual(matching(validate, 1, 28, (day) => utc(2011, 2, day)), [1, 11, 21]);
});

test("crontab hour '8-9,*/6,1,4' counts */6 from midnight", () => {
  assert.deepEqual(hoursOf(crontab({ hour: "8-9,*/6,1,4" })), [0, 1, 4, 6, 8, 9, 12, 18]);
});

test("crontab hour given as the number 0 matches midnight and not noon", () => {
  const validate = crontab({ hour: 0 });
  assert.equal(validate(utc(2011, 1, 1, 0, 0)), true);
  assert.equal(validate(utc(2011, 1, 1, 12, 0)), false);
});

test("crontab minute '4,8-9,*/6,1' and '*/16' match huey's minutes", () => {
  assert.deepEqual(
    minutesOf(crontab({ minute: "4,8-9,*/6,1" })),
    [0, 1, 4, 6, 8, 9, 12, 18, 24, 30, 36, 42, 48, 54],
  );
  assert.deepEqual(minutesOf(crontab({ minute: "*/16" })), [0, 16, 32, 48]);
});

test("crontab dayOfWeek '0,2' matches the Sundays and Tuesdays of January 2011", () => {
  const validate = crontab({ dayOfWeek: "0,2" });
  assert.deepEqual(januaryDaysOf(validate), [2, 4, 9, 11, 16, 18, 23, 25, 30]);
});

test("crontab dayOfWeek 0 and 7 both mean Sunday", () => {
  const sundays = [2, 9, 16, 23, 30];
  assert.deepEqual(januaryDaysOf(crontab({ dayOfWeek: "0" })), sundays);
  assert.deepEqual(januaryDaysOf(crontab({ dayOfWeek: "7" })), sundays);
  assert.deepEqual(januaryDaysOf(crontab({ dayOfWeek: 7 })), sundays);
});

test("crontab with every field set matches only when all fields match", () => {
  const validate = crontab({
    month: "1,5",
    day: "1,4,7",
    dayOfWeek: "0,6",
    hour: "*/4",
    minute: "1-5,10-15,50",
  });
  assert.equal(validate(utc(2011, 5, 1, 4, 11)), true);
  assert.equal(validate(utc(2011, 5, 7, 20, 50)), true);
  assert.equal(validate(utc(2011, 1, 1, 0, 1)), true);

  assert.equal(validate(utc(2011, 6, 4, 4, 11)), false, "month");
  assert.equal(validate(utc(2011, 1, 6, 4, 11)), false, "day");
  assert.equal(validate(utc(2011, 1, 4, 4, 11)), false, "day of week");
  assert.equal(validate(utc(2011, 1, 1, 1, 11)), false, "hour");
  assert.equal(validate(utc(2011, 1, 1, 4, 6)), false, "minute");
});

test("crontab day and dayOfWeek must both match, unlike Vixie cron", () => {
  // 13 May 2011 was a Friday; 13 January 2011 a Thursday.
  const fridayThe13th = crontab({ day: "13", dayOfWeek: "5" });
  assert.equal(fridayThe13th(utc(2011, 5, 13)), true);
  assert.equal(fridayThe13th(utc(2011, 1, 13)), false);
  assert.equal(fridayThe13th(utc(2011, 1, 14)), false);
});

test("crontab throws ConfigurationError for out-of-range values and dayOfWeek '*/3', even not strict", () => {
  for (const strict of [true, false]) {
    assert.throws(() => crontab({ minute: "61", strict }), ConfigurationError);
    assert.throws(() => crontab({ minute: "0-61", strict }), ConfigurationError);
    assert.throws(() => crontab({ dayOfWeek: "*/3", strict }), ConfigurationError);
  }
});

test("crontab names the field, the value and the allowed range when a value is out of range", () => {
  const cases: [Parameters<typeof crontab>[0], RegExp][] = [
    [{ month: "0" }, /month.*1-12.*\b0\b/],
    [{ month: "13" }, /month.*1-12.*13/],
    [{ day: "32" }, /day.*1-31.*32/],
    [{ day: "0-5" }, /day.*1-31.*\b0\b/],
    [{ hour: "24" }, /hour.*0-23.*24/],
    [{ minute: "5-60/5" }, /minute.*0-59.*60/],
    [{ dayOfWeek: "8" }, /dayOfWeek.*0-7.*8/],
    [{ hour: 24 }, /hour.*0-23.*24/],
    [{ minute: -1 }, /minute.*0-59.*-1/],
    [{ minute: 1.5 }, /minute.*integer.*1\.5/],
  ];
  for (const [options, message] of cases) {
    assert.throws(
      () => crontab(options),
      { name: "ConfigurationError", message },
      String(message),
    );
  }
});

test("crontab is strict by default: an invalid piece throws naming the field and the piece", () => {
  assert.throws(() => crontab({ hour: "9am" }), {
    name: "ConfigurationError",
    message: /"9am" is not a valid input for crontab hour/,
  });
  for (const piece of ["abc", "*abc", "a-b", "1-c", "0x9"]) {
    assert.throws(
      () => crontab({ minute: piece }),
      {
        name: "ConfigurationError",
        message: new RegExp(`"${piece.replace("*", "\\*")}" is not a valid input.*minute`),
      },
      piece,
    );
  }
});

test("crontab with strict: false ignores invalid pieces, as huey does", () => {
  assert.equal(typeof crontab({ minute: "*abc", strict: false }), "function");
  assert.deepEqual(hoursOf(crontab({ hour: "9am,10", strict: false })), [10]);
});

test("crontab field made only of junk never matches when not strict", () => {
  for (const junk of ["*abc", "", "abc,x-y", "5/2"]) {
    const validate = crontab({ hour: junk, strict: false });
    assert.deepEqual(hoursOf(validate), [], JSON.stringify(junk));
  }
  assert.throws(() => crontab({ hour: "" }), /"" is not a valid input.*hour/);
  assert.throws(() => crontab({ hour: "5/2" }), /"5\/2" is not a valid input/);
});

test("crontab treats '*/15abc' and '1-2-3' as junk, not as huey's prefix matches", () => {
  const lenient = (minute: string) => crontab({ minute, strict: false });
  assert.deepEqual(minutesOf(lenient("*/15abc")), []);
  assert.deepEqual(minutesOf(lenient("1-2-3")), []);
  assert.deepEqual(minutesOf(lenient("1-2-3,7")), [7]);
  assert.throws(() => crontab({ minute: "*/15abc" }), /"\*\/15abc" is not a valid/);
  assert.throws(() => crontab({ minute: "1-2-3" }), /"1-2-3" is not a valid/);
});

test("crontab reads '1, 2' as 1 only, because ' 2' is junk", () => {
  assert.deepEqual(minutesOf(crontab({ minute: "1, 2", strict: false })), [1]);
  assert.throws(() => crontab({ minute: "1, 2" }), /" 2" is not a valid input/);
});

test("crontab honours steps in ranges: '10-40/5' is 10, 15, ..., 40", () => {
  const expected = [10, 15, 20, 25, 30, 35, 40];
  assert.deepEqual(minutesOf(crontab({ minute: "10-40/5" })), expected);
  assert.deepEqual(minutesOf(crontab({ minute: "10-40/5", strict: true })), expected);
  assert.deepEqual(hoursOf(crontab({ hour: "1-23/6,0" })), [0, 1, 7, 13, 19]);
  assert.deepEqual(januaryDaysOf(crontab({ day: "2-31/10" })), [2, 12, 22]);
  assert.deepEqual(minutesOf(crontab({ minute: "5-5/3" })), [5]);
});

test("crontab throws ConfigurationError for a step of 0", () => {
  const error = (message: RegExp) => ({ name: "ConfigurationError", message });
  assert.throws(() => crontab({ minute: "*/0" }), error(/minute.*>= 1/));
  assert.throws(() => crontab({ hour: "1-5/0" }), error(/hour.*>= 1/));
});

test("crontab '*/100' on minutes matches minute 0 only", () => {
  assert.deepEqual(minutesOf(crontab({ minute: "*/100" })), [0]);
});

test("crontab reads leading zeros as decimal: '01' is 1, '08-09' is 8 and 9", () => {
  assert.deepEqual(minutesOf(crontab({ minute: "01,08-09" })), [1, 8, 9]);
});

test("crontab dayOfWeek '5-7' is Friday, Saturday and Sunday", () => {
  assert.deepEqual(weekdaysOf(crontab({ dayOfWeek: "5-7" })), [0, 5, 6]);
  assert.deepEqual(weekdaysOf(crontab({ dayOfWeek: "6-7" })), [0, 6]);
});

test("crontab dayOfWeek '1-5/2' is Monday, Wednesday and Friday", () => {
  assert.deepEqual(weekdaysOf(crontab({ dayOfWeek: "1-5/2" })), [1, 3, 5]);
});

test("crontab dayOfWeek '0-7' and '*' match every day", () => {
  const everyDay = [0, 1, 2, 3, 4, 5, 6];
  assert.deepEqual(weekdaysOf(crontab({ dayOfWeek: "0-7" })), everyDay);
  assert.deepEqual(weekdaysOf(crontab({ dayOfWeek: "*" })), everyDay);
});

test("crontab reversed range such as '5-1' never matches", () => {
  assert.deepEqual(minutesOf(crontab({ minute: "5-1" })), []);
  assert.deepEqual(minutesOf(crontab({ minute: "5-1/2" })), []);
  assert.deepEqual(weekdaysOf(crontab({ dayOfWeek: "5-1", strict: true })), []);
});

test("crontab with no options matches every minute and ignores seconds", () => {
  const always = crontab();
  assert.equal(always(utc(1999, 12, 31, 23, 59)), true);
  const nine = crontab({ hour: "9", minute: "0" });
  assert.equal(nine(new Date(Date.UTC(2024, 0, 1, 9, 0, 59, 999))), true);
  assert.equal(nine(new Date(Date.UTC(2024, 0, 1, 9, 1, 0, 0))), false);
});

test("crontab reads dates in UTC by default and when passed 'UTC'", () => {
  const validate = crontab({ hour: "3", minute: "30" });
  const date = utc(2024, 7, 1, 3, 30);
  assert.equal(validate(date), true);
  assert.equal(validate(date, "UTC"), true);
  assert.equal(validate(utc(2024, 7, 1, 4, 30)), false);
});

test("crontab timezone option reads the date in that zone, across daylight saving time", () => {
  const validate = crontab({ hour: "9", minute: "0", timezone: "America/New_York" });
  assert.equal(validate(utc(2024, 1, 15, 14, 0)), true, "EST is UTC-5");
  assert.equal(validate(utc(2024, 7, 15, 13, 0)), true, "EDT is UTC-4");
  assert.equal(validate(utc(2024, 7, 15, 14, 0)), false);
  assert.equal(validate(utc(2024, 1, 15, 9, 0)), false);
  // The crontab's own zone wins over the validator's second argument.
  assert.equal(validate(utc(2024, 1, 15, 14, 0), "Asia/Tokyo"), true);
  assert.equal(validate(utc(2024, 1, 15, 14, 0), "local"), true);
});

test("crontab matches a repeated wall-clock hour twice on the day clocks go back", () => {
  const validate = crontab({ hour: "1", timezone: "America/New_York" });
  // 3 November 2024: 01:00-01:59 happens at 05:xxZ (EDT) and again at 06:xxZ (EST).
  assert.deepEqual(matching(validate, 0, 23, (hour) => utc(2024, 11, 3, hour, 30)), [5, 6]);
});

test("crontab second argument reads the date in an IANA zone, date and weekday included", () => {
  // 20:00Z on Wednesday 31 January 2024 is 05:00 on Thursday 1 February in Tokyo.
  const validate = crontab({ month: "2", day: "1", dayOfWeek: "4", hour: "5" });
  const date = utc(2024, 1, 31, 20, 0);
  assert.equal(validate(date, "Asia/Tokyo"), true);
  assert.equal(validate(date), false);
  // Kolkata is UTC+5:30, so minutes move too.
  assert.equal(crontab({ hour: "5", minute: "30" })(utc(2024, 1, 1, 0, 0), "Asia/Kolkata"), true);
});

test("crontab second argument 'local' reads the date with the process's local time", () => {
  const date = utc(2024, 3, 10, 7, 45);
  const validate = crontab({
    month: date.getMonth() + 1,
    day: date.getDate(),
    dayOfWeek: date.getDay(),
    hour: date.getHours(),
    minute: date.getMinutes(),
  });
  assert.equal(validate(date, "local"), true);
  const localZone = new Intl.DateTimeFormat().resolvedOptions().timeZone;
  assert.equal(validate(date, localZone), true);
});

test("crontab throws ConfigurationError naming timezone for an unknown time zone", () => {
  assert.throws(
    () => crontab({ timezone: "Mars/Olympus_Mons" }),
    { name: "ConfigurationError", message: /timezone.*"Mars\/Olympus_Mons"/ },
  );
  const validate = crontab();
  assert.throws(
    () => validate(utc(2024, 1, 1), "Nowhere/Town"),
    { name: "ConfigurationError", message: /timezone.*"Nowhere\/Town"/ },
  );
});

test("crontab throws ConfigurationError for options of the wrong type and unknown options, TypeError for bad dates", () => {
  const loose = crontab as (options: unknown) => CrontabValidator;
  const error = (message: RegExp) => ({ name: "ConfigurationError", message });
  assert.throws(() => loose({ hour: {} }), error(/'hour'.*string or a number.*an object/));
  assert.throws(() => loose({ strict: "yes" }), error(/'strict'.*boolean.*"yes"/));
  assert.throws(() => loose({ timezone: 5 }), error(/'timezone'.*5/));
  assert.throws(() => loose({ dayOfMonth: "1" }), error(/dayOfMonth/));
  assert.throws(() => loose(null), error(/options/));
  assert.throws(() => crontab()(new Date(Number.NaN)), { name: "TypeError", message: /date/ });
});

test("crontabText gives a crontab()'s line, with its time zone, and null for another function", () => {
  assert.equal(crontabText(crontab()), "* * * * *");
  assert.equal(crontabText(crontab({ minute: "*/15", hour: 3 })), "*/15 3 * * *");
  assert.equal(
    crontabText(crontab({ minute: "0", dayOfWeek: "1-5", timezone: "Europe/Paris" })),
    "0 * * * 1-5 (Europe/Paris)",
  );
  assert.equal(crontabText(() => true), null);
});
