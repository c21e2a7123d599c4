/**
 * What a log call costs a consumer: the processor time of `logger.info()`
 * per call at INFO (formatted and written) and at WARNING (dropped), with
 * a turn of the event loop every 100 calls as a busy consumer has. Standard
 * error is where the lines go: send it to a file or a pipe to measure that.
 *
 * Usage: `node scripts/bench_log_calls.ts 2>/tmp/log.txt` (or `deno run -A`, `bun`)
 *
 * @module
 */
import process from "node:process";
import { setImmediate } from "node:timers";
import { configureLogging, getLogger, type LevelName } from "../logger.ts";
import { summarize } from "./_bench_stats.ts";

const CALLS = 200_000;
const REPEAT = 5;
const logger = getLogger("huey.consumer");

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Microseconds of processor time per call at `level`. */
async function perCall(level: LevelName, calls: number): Promise<number> {
  configureLogging({ level });
  const before = process.cpuUsage();
  for (let i = 0; i < calls; i++) {
    // As the executor does: no message is built for a level that is off.
    if (logger.isEnabledFor("INFO")) logger.info(`Executing echo: 0b0b5a9c-6a8e-4a1b-${i}`);
    if (i % 100 === 99) await nextTurn();
  }
  await nextTurn();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / calls;
}

await perCall("INFO", CALLS / 10);
const info: number[] = [];
const quiet: number[] = [];
for (let round = 0; round < REPEAT; round++) {
  info.push(await perCall("INFO", CALLS));
  quiet.push(await perCall("WARNING", CALLS));
}
const text = (values: number[]): string => {
  const { median, min, max } = summarize(values);
  return `${median.toFixed(3)} µs (${min.toFixed(3)}-${max.toFixed(3)})`;
};
console.log(`logger.info() per call: at INFO ${text(info)}, at WARNING ${text(quiet)}`);
