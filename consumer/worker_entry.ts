/**
 * The module a thread or process worker runs: it imports the user's module,
 * finds its Huey, runs the startup hooks and the worker loop, and tells the
 * consumer which task it runs (for hard timeouts).
 *
 * @module
 * @internal
 */
import { Buffer } from "node:buffer";
import process from "node:process";
import { setImmediate } from "node:timers";
import { getLogger } from "../logger.ts";
import { parentChannel, parentProcessChannel } from "../_runtime.ts";
import { setUpLogging } from "./logging.ts";
import { loadHuey } from "./load.ts";
import type { FromWorker, InitMessage, ToWorker } from "./protocol.ts";
import { runHooks, runWorkerLoop } from "./worker_loop.ts";

const logger = getLogger("huey.consumer");
const inProcess = process.env.HUEY_WORKER === "process";
const stop = new AbortController();
const interrupt = new AbortController();
let started = false;

const channel = inProcess ? parentProcessChannel(() => stop.abort()) : await parentChannel();

function send(message: FromWorker): void {
  channel.post(message);
}

/** Tasks finished but not yet told to the consumer. */
let finished: string[] = [];

/**
 * Tells the consumer a task finished: with the next task's start, or in one
 * message for all finished in this turn of the event loop.
 */
function tellFinished(taskId: string): void {
  finished.push(taskId);
  if (finished.length === 1) setImmediate(sendFinished);
}

/** Sends the tasks finished and not yet told, if any. */
function sendFinished(): void {
  const taskIds = takeFinished();
  if (taskIds) send({ type: "finish", taskIds });
}

function takeFinished(): string[] | undefined {
  if (finished.length === 0) return undefined;
  const taken = finished;
  finished = [];
  return taken;
}

function onStop(graceful: boolean): void {
  if (!graceful) interrupt.abort();
  stop.abort();
  if (!started) finish(0);
}

function finish(code: number): void {
  sendFinished();
  channel.close(code, { type: "stopped" } satisfies FromWorker);
}

if (inProcess) {
  // The consumer decides: a Ctrl-C in a terminal reaches the whole process group.
  process.on("SIGINT", () => {});
  process.on("SIGHUP", () => {});
  process.on("SIGTERM", () => onStop(false));
}

async function run(init: InitMessage): Promise<void> {
  setUpLogging({ ...init.logging, context: inProcess ? String(process.pid) : init.name });
  let huey;
  try {
    huey = await loadHuey(init.moduleUrl, init.exportName);
  } catch (error) {
    send({ type: "failed", error: (error as Error).message });
    return finish(1);
  }
  started = true;
  await runHooks(huey.startupHooks.hooks, "Startup");
  send({ type: "ready" });
  await runWorkerLoop(huey, {
    ...init.loop,
    stop: stop.signal,
    interrupt: interrupt.signal,
    onStart: (task) =>
      send({
        type: "start",
        taskId: task.id,
        receipt: huey.receiptOf(task),
        data: task.timeout === null
          ? undefined
          : Buffer.from(huey.serializeTask(task)).toString("base64"),
        timeout: task.timeout,
        finished: takeFinished(),
      }),
    onFinish: (task) => tellFinished(task.id),
  });
  if (!interrupt.signal.aborted) await runHooks(huey.shutdownHooks.hooks, "Shutdown");
  await huey.close().catch((error) => logger.exception("Could not close the storage", error));
  finish(0);
}

channel.onMessage((message) => {
  const command = message as ToWorker;
  if (command.type === "init") void run(command);
  else if (command.type === "stop") onStop(command.graceful);
});
