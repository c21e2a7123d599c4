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
import { flushLogs } from "../_log_batch.ts";
import { loadHuey } from "./load.ts";
import type { FromWorker, InitMessage, ToWorker } from "./protocol.ts";
import { WORKER } from "./host.ts";
import { runWorker } from "./worker_loop.ts";

const logger = getLogger("huey.consumer");
const inProcess = process.env.HUEY_WORKER === "process";
const stop = new AbortController();
const interrupt = new AbortController();
let started = false;

const channel = inProcess ? parentProcessChannel(() => stop.abort()) : await parentChannel();

function send(message: FromWorker): void {
  channel.post(message);
}

/** Tasks done but not yet told to the consumer. */
let done: string[] = [];

/**
 * Tells the consumer a task is done: with the next task's start, or in one
 * message for all done in this turn of the event loop.
 */
function tellDone(taskId: string): void {
  done.push(taskId);
  if (done.length === 1) setImmediate(sendDone);
}

/** Sends the tasks done and not yet told, if any. */
function sendDone(): void {
  const taskIds = takeDone();
  if (taskIds) send({ type: "done", taskIds });
}

function takeDone(): string[] | undefined {
  if (done.length === 0) return undefined;
  const taken = done;
  done = [];
  return taken;
}

function onStop(graceful: boolean): void {
  if (!graceful) interrupt.abort();
  stop.abort();
  if (!started) exit(0);
}

/**
 * Tells the consumer what is left and that this worker stopped (`recycle`:
 * it ran its max tasks and wants a successor), and ends it.
 */
function exit(code: number, recycle = false): void {
  flushLogs();
  sendDone();
  channel.close(code, { type: "stopped", ...(recycle && { recycle }) } satisfies FromWorker);
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
    return exit(1);
  }
  started = true;
  const worker = huey[WORKER];
  worker.events.start(init.consumer, init.name);
  const recycle = await runWorker(huey, {
    ...init.loop,
    stop: stop.signal,
    interrupt: interrupt.signal,
    onStart: (task) =>
      send({
        type: "start",
        taskId: task.id,
        name: task.name,
        receipt: worker.receiptOf(task),
        data: task.timeout === null
          ? undefined
          : Buffer.from(worker.encode(task)).toString("base64"),
        timeout: task.timeout,
        done: takeDone(),
      }),
    onDone: (task) => tellDone(task.id),
  }, () => send({ type: "ready" }));
  await worker.events.stop();
  await huey.close().catch((error) => logger.exception("Could not close the storage", error));
  exit(0, recycle && !stop.signal.aborted);
}

channel.onMessage((message) => {
  const command = message as ToWorker;
  if (command.type === "init") void run(command);
  else if (command.type === "stop") onStop(command.graceful);
});
