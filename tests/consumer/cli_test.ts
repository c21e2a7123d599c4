/**
 * The consumer's command line, run for real: help, version, bad flags and
 * values, modules that cannot be used, export names, log file and levels,
 * lock flushing, and SIGHUP.
 *
 * @module
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { FLAGS } from "../../consumer/options.ts";
import { VERSION } from "../../version.ts";
import {
  FAST,
  FIXTURE,
  inScenario,
  killAll,
  ROOT,
  runCli,
  startCli,
  waitFor,
} from "./_consumer.ts";

after(killAll);

const SQLITE = { kind: "sqlite" } as const;
const CLEAN_EXIT = { code: 0, signal: null };

test("--help lists every flag with its default and exits 0", async () => {
  for (const args of [["--help"], ["-h"]]) {
    const { code, stdout } = await runCli(args);
    assert.equal(code, 0);
    assert.match(stdout, /^Usage: huey-consumer <module>\[:export\] \[options\]/);
    for (const [long, short, , , fallback] of FLAGS) {
      const line = stdout.split("\n").find((each) => each.includes(`--${long}`));
      assert.ok(line, `--${long} is listed`);
      if (short) {
        assert.ok(line.includes(`-${short}, --${long}`), `-${short} is listed with --${long}`);
      }
      if (fallback) {
        assert.ok(line.endsWith(`(default: ${fallback})`), `--${long} shows its default: ${line}`);
      }
    }
  }
});

test("--version prints the version and exits 0", async () => {
  const { code, stdout } = await runCli(["--version"]);
  assert.equal(code, 0);
  assert.equal(stdout.trim(), `huey-consumer ${VERSION}`);
});

test("a bad flag or value prints a one-line error and the usage, and exits 2", () =>
  inScenario(SQLITE, async ({ env }) => {
    const cases: [string[], RegExp][] = [
      [[FIXTURE, "-b", "0.5"], /option -b\/--backoff must be a number >= 1, got '0\.5'$/],
      [[FIXTURE, "-s", "7"], /option -s\/--scheduler-interval must be .* divides 60, got '7'$/],
      [[FIXTURE, "-w", "0"], /option -w\/--workers must be an integer >= 1, got '0'$/],
      [[FIXTURE, "-w", "two"], /option -w\/--workers must be an integer >= 1, got 'two'$/],
      [
        [FIXTURE, "-k", "proces"],
        /option -k\/--worker-type must be thread, process or greenlet .*, got 'proces'$/,
      ],
      [[FIXTURE, "--worker", "4"], /: unknown option --worker \(did you mean --workers\?\)$/],
      [[FIXTURE, "--nope"], /: unknown option --nope$/],
      [[FIXTURE, "-x"], /: unknown option -x$/],
      [[FIXTURE, "--delay"], /: option -d\/--delay needs a value \(for one that starts with/],
      [[FIXTURE, "--verbose=yes"], /: option -v\/--verbose takes no value$/],
      [[FIXTURE, "-v", "-q"], /--verbose and --quiet/],
      [[FIXTURE, "other.ts"], /unexpected argument 'other\.ts'/],
      [[], /missing the module/],
    ];
    const runs = await Promise.all(cases.map(([args]) => runCli([...args, ...FAST], env)));
    for (const [index, { code, stderr }] of runs.entries()) {
      const [args, reason] = cases[index];
      const [first, second] = stderr.split("\n");
      assert.equal(code, 2, `${args.join(" ")}: ${stderr}`);
      assert.match(first, /^huey-consumer: error: /, args.join(" "));
      assert.match(first, reason, args.join(" "));
      assert.match(second, /^Usage: huey-consumer/, args.join(" "));
    }
  }));

test("a module that cannot be loaded or exports no Huey exits 1 with the reason", () =>
  inScenario(SQLITE, async ({ env }) => {
    const fixtures = join(ROOT, "tests", "fixtures");
    const cases: [string, RegExp][] = [
      [join(fixtures, "missing.ts"), /Cannot load module .*missing\.ts/],
      [join(fixtures, "broken.ts"), /Cannot load module .*broken\.ts: .*broken on purpose/],
      [join(fixtures, "no_huey.ts"), /no_huey\.ts exports no Huey as 'huey' or 'default'/],
      [`${FIXTURE}:notAHuey`, /app\.ts exports no Huey as 'notAHuey'/],
    ];
    const runs = await Promise.all(cases.map(([target]) => runCli([target], env)));
    for (const [index, { code, stderr }] of runs.entries()) {
      const [target, reason] = cases[index];
      assert.equal(code, 1, `${target}: ${stderr}`);
      assert.match(stderr, /^huey-consumer: error: /, target);
      assert.match(stderr, reason, target);
      assert.doesNotMatch(stderr, /Usage:/, target);
    }
  }));

test("a module that loads in the consumer but not in its thread or process workers exits 1 with the reason", () =>
  inScenario(SQLITE, async ({ env }) => {
    const target = join(ROOT, "tests", "fixtures", "worker_broken.ts");
    for (const workerType of ["thread", "process"]) {
      const { code, stderr } = await runCli([target, ...FAST, "-k", workerType, "-w", "2"], env);
      assert.equal(code, 1, `${workerType}: ${stderr}`);
      assert.match(
        stderr,
        /huey-consumer: error: Cannot load module .*refuses to load in a worker/,
        workerType,
      );
    }
  }));

test("module:exportName picks that export; -l writes the log there and -v adds DEBUG lines", () =>
  inScenario(SQLITE, async ({ app, dir, env, waitMarkers }) => {
    const logfile = join(dir, "consumer.log");
    const args = [`${FIXTURE}:otherHuey`, ...FAST, "-n", "-k", "thread", "-l", logfile, "-v"];
    const consumer = startCli(args, env);
    try {
      await waitMarkers("startup");
      const result = await app.stamp.schedule({ delay: 0.5 });
      assert.ok(await result.get({ blocking: true, timeout: 60 }));
      await waitFor(
        () => readFileSync(logfile, "utf8").includes("DEBUG:huey.consumer"),
        "a DEBUG line",
      );
      assert.deepEqual(await consumer.stop("SIGINT"), CLEAN_EXIT);
      const log = readFileSync(logfile, "utf8");
      assert.match(log, /INFO:huey\.consumer:MainThread:Huey consumer started with 1 thread/);
      assert.match(log, /DEBUG:huey\.consumer:MainThread:Enqueued 1 scheduled task/);
      assert.doesNotMatch(consumer.stderr(), /huey\.consumer/, "nothing logged to stderr");
    } finally {
      await consumer.kill();
    }
  }));

test("-q logs only warnings and worse; -f releases the module's stale locks at start and says so", () =>
  inScenario(SQLITE, async ({ app, start, waitMarkers }) => {
    const lock = app.huey.lockTask("fixture-lock");
    await lock.acquire();
    const consumer = start([...FAST, "-n", "-k", "greenlet", "-q", "-f"]);
    await waitMarkers("startup");
    assert.equal(await app.huey.isLocked("fixture-lock"), false);
    const result = await app.add(1, 1);
    assert.equal(await result.get({ blocking: true, timeout: 60 }), 2);
    assert.deepEqual(await consumer.stop("SIGINT"), CLEAN_EXIT);
    assert.match(
      consumer.stderr(),
      /WARNING:huey\.consumer:MainThread:Found stale lock fixture-lock: released/,
    );
    assert.doesNotMatch(consumer.stderr(), /INFO:/);
  }));

test("-L releases the named locks too, and -S logs short lines", () =>
  inScenario(SQLITE, async ({ app, start, waitMarkers }) => {
    await app.huey.lockTask("nightly").acquire();
    await app.huey.lockTask("hourly").acquire();
    const consumer = start([...FAST, "-n", "-k", "greenlet", "-S", "-L", "nightly,hourly"]);
    await waitMarkers("startup");
    assert.equal(await app.huey.isLocked("nightly"), false);
    assert.equal(await app.huey.isLocked("hourly"), false);
    assert.deepEqual(await consumer.stop("SIGINT"), CLEAN_EXIT);
    const lines = consumer.stderr().split("\n");
    assert.ok(
      lines.some((line) => /^\d\d:\d\d:\d\d Found stale lock nightly: released$/.test(line)),
    );
    assert.ok(
      lines.some((line) => /^\d\d:\d\d:\d\d Found stale lock hourly: released$/.test(line)),
    );
    assert.ok(
      lines.some((line) => /^\d\d:\d\d:\d\d Huey consumer started with 1 greenlet/.test(line)),
    );
  }));

test("SIGHUP restarts the workers: their shutdown hooks, then their startup hooks run again", () =>
  inScenario(SQLITE, async ({ app, start, markers, waitMarkers }) => {
    const consumer = start([...FAST, "-n", "-k", "thread", "-w", "2"]);
    await waitMarkers("startup", 2);
    consumer.signal("SIGHUP");
    await waitMarkers("startup", 4);
    assert.equal(markers().filter((line) => line.startsWith("shutdown")).length, 2);
    const result = await app.add(4, 4);
    assert.equal(await result.get({ blocking: true, timeout: 60 }), 8);
    assert.deepEqual(await consumer.stop("SIGINT"), CLEAN_EXIT);
  }));
