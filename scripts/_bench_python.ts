/**
 * Python huey's consumer on the same Redis, with the same worker settings
 * as huey's CLI workload (`_bench_cli.ts`): `cliTasks` tasks of a trivial
 * task (it returns its argument; results stored) are enqueued by Python
 * first (not timed), then `huey_consumer.py` is spawned and timed from the
 * spawn until Redis holds every result (`HLEN huey.results.<name>`, read
 * every 20 ms), then stopped with SIGINT.
 *
 * It needs huey's source and a Python with the `redis` package, no `pip`:
 * `HUEY_SRC` names a checkout of huey (e.g. its 2.6.0 tag:
 * `git clone -b 2.6.0 https://github.com/coleifer/huey`), `HUEY_PYTHON` the
 * interpreter (default: Debian's `/usr/bin/python3`, with
 * `apt-get install python3-redis`).
 *
 * @module
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { createClient } from "@redis/client";
import { cliFigure, cliFlags, type CliSetup, timeConsumerCommand } from "./_bench_cli.ts";
import type { BenchConfig, LogLevel, Measurement } from "./_bench_common.ts";
import { run } from "./_process.ts";

/** Where Python huey comes from. */
export interface PythonHuey {
  /** A checkout of huey's source (the folder holding `huey/`). */
  source: string;
  /** The Python interpreter. */
  python: string;
  /** huey's version, from its `huey/__init__.py`. */
  version: string;
}

/** Debian's interpreter, which `apt-get install python3-redis` serves. */
const DEBIAN_PYTHON = "/usr/bin/python3";

/**
 * Python huey as `HUEY_SRC` and `HUEY_PYTHON` (or `source`) name it, or
 * `null` when no source is given.
 *
 * @throws {RangeError} The folder does not hold huey's source.
 */
export function pythonHuey(source = process.env.HUEY_SRC): PythonHuey | null {
  if (!source) return null;
  const init = join(source, "huey", "__init__.py");
  if (!existsSync(init)) {
    throw new RangeError(
      `HUEY_SRC must be a checkout of huey (with huey/__init__.py), got ${source}`,
    );
  }
  const version = readFileSync(init, "utf8").match(/__version__ = '([^']+)'/)?.[1] ?? "unknown";
  const python = process.env.HUEY_PYTHON ?? (existsSync(DEBIAN_PYTHON) ? DEBIAN_PYTHON : "python3");
  return { source, python, version };
}

/** The app module Python's consumer loads: a RedisHuey and its `echo` task. */
const APP = `import os
from huey import RedisHuey

huey = RedisHuey(os.environ["BENCH_QUEUE"], url=os.environ["BENCH_REDIS_URL"])


@huey.task()
def echo(value):
    return value


def enqueue(count):
    echo.map(range(count))
`;

let queues = 0;

/** One run of Python huey's consumer (`huey_consumer.py bench_python_app.huey -w N -k TYPE [-q]`). */
export async function pythonEndToEnd(
  config: BenchConfig,
  side: PythonHuey,
  setup: CliSetup,
  logging: LogLevel,
  logFile: string,
): Promise<Measurement> {
  writeFileSync(join(config.folder, "bench_python_app.py"), APP);
  // Python huey drops every character but [a-z0-9] from queue names.
  const queue = `pybench${Date.now().toString(36)}${++queues}`;
  const env = {
    PYTHONPATH: [side.source, config.folder].join(":"),
    BENCH_QUEUE: queue,
    BENCH_REDIS_URL: config.redisUrl,
  };
  const tasks = String(config.cliTasks);
  await run(
    side.python,
    ["-c", `import bench_python_app as a; a.enqueue(${tasks})`],
    config.folder,
    env,
  );
  const client = createClient({ url: config.redisUrl });
  await client.connect();
  try {
    const consumer = join(side.source, "huey", "bin", "huey_consumer.py");
    const command: [string, string[]] = [
      side.python,
      [consumer, "bench_python_app.huey", ...cliFlags(setup, logging)],
    ];
    const count = () => client.hLen(`huey.results.${queue}`);
    const value = await timeConsumerCommand(
      command,
      config.cliTasks,
      count,
      logFile,
      env,
      config.folder,
    );
    return cliFigure(setup, logging, value);
  } finally {
    await client.del([`huey.results.${queue}`, `huey.redis.${queue}`, `huey.schedule.${queue}`]);
    await client.close();
  }
}
