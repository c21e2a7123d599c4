/**
 * The consumer: the command line that runs your tasks, and the `Consumer`
 * class behind it.
 *
 * ```console
 * $ deno run -A consumer.ts app.ts -w 4          # Deno
 * $ npx huey-consumer app.js -w 4                # Node
 * ```
 *
 * @module
 */
import process from "node:process";
import { ConfigurationError } from "./errors.ts";
import { getLogger } from "./logger.ts";
import { VERSION } from "./version.ts";
import { isMainModule } from "./_runtime.ts";
import { Consumer } from "./consumer/supervisor.ts";
import { levelFor, setUpLogging } from "./consumer/logging.ts";
import { loadHuey, moduleUrl } from "./consumer/load.ts";
import { parseCommandLine, usage, UsageError } from "./consumer/options.ts";
import { permissionProblem, runtimeProblem } from "./consumer/preflight.ts";
import { useCompileCache } from "./consumer/compile_cache.ts";

export { Consumer } from "./consumer/supervisor.ts";
export type { RunOptions, WorkerLogging } from "./consumer/supervisor.ts";
export type { ConsumerOptions, WorkerType } from "./consumer/options.ts";
export { Scheduler } from "./consumer/scheduler.ts";
export type { SchedulerOptions } from "./consumer/scheduler.ts";

const PROGRAM = "huey-consumer";
const logger = getLogger("huey.consumer");

function fail(code: number, message: string, withUsage = false): number {
  process.stderr.write(`${PROGRAM}: error: ${message}\n${withUsage ? usage(PROGRAM) + "\n" : ""}`);
  return code;
}

/** The stack of an error's cause (with `-v`): where a module threw while it loaded. */
function causeStack(error: unknown): string {
  const cause = (error as Error).cause;
  return cause instanceof Error && cause.stack ? `\n${cause.stack}` : "";
}

/**
 * Runs the consumer command line.
 *
 * @param args The arguments after the program's name.
 * @returns The exit code: 0 after a stop by signal, 1 when the runtime is
 * too old, a permission is missing, the module cannot be used or the
 * storage refuses the consumer (e.g. a wrong password), 2 for a bad flag or value.
 */
export async function main(args: string[] = process.argv.slice(2)): Promise<number> {
  let command;
  try {
    command = parseCommandLine(args);
  } catch (error) {
    if (error instanceof UsageError) return fail(2, error.message, true);
    throw error;
  }
  if (command.help) {
    process.stdout.write(usage(PROGRAM) + "\n");
    return 0;
  }
  if (command.version) {
    process.stdout.write(`${PROGRAM} ${VERSION}\n`);
    return 0;
  }
  const problem = runtimeProblem() ?? permissionProblem(command.options.workerType);
  if (problem) return fail(1, problem);
  useCompileCache(); // before the app module and the workers load theirs
  const logging = { verbose: command.verbose, simple: command.simple, logfile: command.logfile };
  setUpLogging({ ...logging, level: levelFor(command.verbose), context: "MainThread" });
  command.options.dashboardToken ??= process.env.HUEY_DASHBOARD_TOKEN || undefined;
  const url = moduleUrl(command.modulePath);
  let huey;
  try {
    huey = await loadHuey(url, command.exportName);
  } catch (error) {
    return fail(1, (error as Error).message + (command.verbose ? causeStack(error) : ""));
  }
  let consumer: Consumer;
  try {
    consumer = new Consumer(huey, {
      ...command.options,
      module: { url, exportName: command.exportName },
    }, logging);
  } catch (error) {
    if (error instanceof ConfigurationError) return fail(2, error.message, true);
    throw error;
  }
  let interrupts = 0;
  process.on("SIGINT", () => {
    interrupts++;
    logger.info(interrupts === 1 ? "Received SIGINT" : "Received a second SIGINT: stopping now");
    void consumer.stop({ graceful: interrupts === 1 });
  });
  process.on("SIGTERM", () => {
    logger.info("Received SIGTERM");
    void consumer.stop({ graceful: false });
  });
  process.on("SIGHUP", () => {
    logger.info("Received SIGHUP");
    void consumer.restart();
  });
  try {
    await consumer.run();
  } catch (error) {
    if (error instanceof ConfigurationError) return fail(2, error.message);
    // A worker could not start (e.g. it could not import the module).
    return fail(1, (error as Error).message);
  }
  await huey.close().catch((error) => logger.exception("Could not close the storage", error));
  return 0;
}

if (isMainModule(import.meta)) process.exit(await main());
