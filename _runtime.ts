/**
 * The only module that knows which runtime runs the code (Deno, Node or
 * Bun). Everything else uses web-standard APIs and `node:` built-ins.
 *
 * @module
 * @internal
 */
import { spawn } from "node:child_process";
import { realpathSync } from "node:fs";
import process from "node:process";
import { fileURLToPath } from "node:url";

/** The JavaScript runtime the code runs on. */
export type RuntimeName = "deno" | "bun" | "node";

interface GlobalsLike {
  Deno?: { version?: { deno?: string } };
  Bun?: { version?: string };
}

function detect(): RuntimeName {
  const globals = globalThis as GlobalsLike;
  if (globals.Deno?.version?.deno) return "deno";
  if (globals.Bun?.version) return "bun";
  return "node";
}

/** The runtime, detected once. */
export const runtime: RuntimeName = detect();

/**
 * Resolves after `seconds`, or at once when `signal` aborts (without
 * rejecting: callers check `signal.aborted` themselves).
 *
 * @param seconds How long to wait.
 * @param signal Cuts the wait short.
 * @param unref Lets the process exit while waiting (Node and Bun timers).
 */
export function sleep(seconds: number, signal?: AbortSignal, unref = false): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, seconds * 1000));
    if (unref) unrefTimer(timer);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** Lets the process exit although this timer is pending. */
export function unrefTimer(timer: ReturnType<typeof setTimeout>): void {
  const handle = timer as unknown as { unref?: () => void } | number;
  if (typeof handle === "object" && typeof handle.unref === "function") handle.unref();
  else if (typeof handle === "number") {
    (globalThis as { Deno?: { unrefTimer?: (id: number) => void } }).Deno?.unrefTimer?.(handle);
  }
}

/** The `import.meta` fields this module reads. */
interface ImportMetaLike {
  url: string;
  main?: boolean;
}

/**
 * Whether the module of `meta` is the program's entry point (`import.meta.main`
 * where the runtime has it, else compared with `process.argv[1]`).
 */
export function isMainModule(meta: ImportMetaLike): boolean {
  if (typeof meta.main === "boolean") return meta.main;
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(fileURLToPath(meta.url)) === realpathSync(entry);
  } catch {
    return false;
  }
}

/** A message channel to a worker thread or a child process. */
export interface WorkerChannel {
  /** Sends a message (structured-clonable for threads, JSON for processes). */
  post(message: unknown): void;
  /** Receives the worker's messages. */
  onMessage(listener: (message: unknown) => void): void;
  /** Called once when the worker ends, by itself, by a crash or by `terminate()`. */
  onExit(listener: (reason: string) => void): void;
  /** Ends the worker at once. */
  terminate(): void;
  /** The process id of a process worker. */
  readonly pid?: number;
}

interface WebWorkerLike {
  postMessage(message: unknown): void;
  addEventListener(
    type: string,
    listener: (event: { data?: unknown; message?: string; preventDefault?: () => void }) => void,
  ): void;
  terminate(): void;
}

type WebWorkerConstructor = new (
  url: string | URL,
  options: { type: "module"; name?: string },
) => WebWorkerLike;

function once(listener: (reason: string) => void): (reason: string) => void {
  let called = false;
  return (reason) => {
    if (!called) {
      called = true;
      listener(reason);
    }
  };
}

/**
 * Starts a worker thread running the module at `url`: a Web Worker on Deno
 * and Bun, a `node:worker_threads` Worker on Node.
 */
export async function startThread(url: URL, name: string): Promise<WorkerChannel> {
  const exitListeners: ((reason: string) => void)[] = [];
  const exited = once((reason) => exitListeners.forEach((listener) => listener(reason)));
  const WebWorker = (globalThis as { Worker?: WebWorkerConstructor }).Worker;
  if (runtime !== "node" && WebWorker) {
    const worker = new WebWorker(url, { type: "module", name });
    worker.addEventListener("error", (event) => {
      // Unhandled, Deno rethrows a worker's error in this thread (the consumer would
      // crash), and a browser-like worker would run on: end it, as Node's are ended.
      event.preventDefault?.();
      worker.terminate();
      exited(`crashed: ${event.message ?? "error"}`);
    });
    worker.addEventListener("close", () => exited("exited"));
    return {
      post: (message) => worker.postMessage(message),
      onMessage: (listener) => worker.addEventListener("message", (event) => listener(event.data)),
      onExit: (listener) => exitListeners.push(listener),
      terminate: () => {
        worker.terminate();
        exited("terminated");
      },
    };
  }
  const { Worker } = await import("node:worker_threads");
  const worker = new Worker(url, { name });
  worker.on("error", (error) => exited(`crashed: ${error.message}`));
  worker.on("exit", (code) => exited(`exited with code ${code}`));
  return {
    post: (message) => worker.postMessage(message),
    onMessage: (listener) => worker.on("message", listener),
    onExit: (listener) => exitListeners.push(listener),
    terminate: () => {
      void worker.terminate();
    },
  };
}

/** Inside a thread or process worker: the channel to the consumer that started it. */
export interface ParentChannel {
  /** Sends a message to the consumer. */
  post(message: unknown): void;
  /** Receives the consumer's messages. */
  onMessage(listener: (message: unknown) => void): void;
  /**
   * Posts `last`, then ends the worker once every message posted has been
   * sent: a thread closes its port, a process exits with `code`.
   */
  close(code: number, last: unknown): void;
}

/** Inside a worker thread: the channel to the thread that started it. */
export async function parentChannel(): Promise<ParentChannel> {
  const { parentPort } = await import("node:worker_threads");
  if (parentPort) {
    return {
      post: (message) => parentPort.postMessage(message),
      onMessage: (listener) => parentPort.on("message", listener),
      close: (_code, last) => {
        parentPort.postMessage(last);
        parentPort.close();
      },
    };
  }
  const scope = globalThis as unknown as WebWorkerLike & { close(): void };
  return {
    post: (message) => scope.postMessage(message),
    onMessage: (listener) => scope.addEventListener("message", (event) => listener(event.data)),
    close: (_code, last) => {
      scope.postMessage(last);
      scope.close();
    },
  };
}

/** The command that runs a script file with the current runtime (with all permissions on Deno). */
export function scriptCommand(script: string): [string, string[]] {
  if (runtime === "deno") return [process.execPath, ["run", "-A", script]];
  return [process.execPath, [script]];
}

/**
 * Seconds a process worker that exited gets for its channel to close (its
 * last messages read) before it counts as ended anyway.
 */
const CHANNEL_CLOSE_GRACE = 1;

/**
 * Starts a child process running `script` with the current runtime, with an
 * IPC channel for messages (JSON; `child_process` IPC, which Deno, Node and
 * Bun all implement). Standard output and error are the consumer's own:
 * whatever the child writes reaches them untouched and never meets a message.
 * Its standard input is closed.
 *
 * The worker counts as ended once it has exited and its channel has closed,
 * so every message it sent before it ended has been received by then.
 */
export function startProcess(script: string, env: Record<string, string>): WorkerChannel {
  const [command, args] = scriptCommand(script);
  const child = spawn(command, args, {
    env: { ...process.env, ...env },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    serialization: "json",
  });
  const exitListeners: ((reason: string) => void)[] = [];
  const exited = once((reason) => exitListeners.forEach((listener) => listener(reason)));
  let exitReason: string | undefined;
  let channelClosed = false;
  const ended = (): void => {
    if (exitReason !== undefined && channelClosed) exited(exitReason);
  };
  child.on("exit", (code, signal) => {
    exitReason = signal ? `killed by ${signal}` : `exited with code ${code}`;
    ended();
    // A runtime that never reports the channel closed must not keep the worker alive in our books.
    unrefTimer(setTimeout(() => exited(exitReason!), CHANNEL_CLOSE_GRACE * 1000));
  });
  child.on("disconnect", () => {
    channelClosed = true;
    ended();
  });
  child.on("error", (error) => {
    // Without a pid it never started; other errors are messages sent to a worker that just ended.
    if (child.pid === undefined) exited(`could not start: ${error.message}`);
  });
  return {
    pid: child.pid,
    post: (message) => {
      if (child.connected) child.send(message as object);
    },
    onMessage: (listener) => child.on("message", listener),
    onExit: (listener) => exitListeners.push(listener),
    terminate: () => child.kill("SIGKILL"),
  };
}

/** Seconds a process worker that stops waits for its last messages to be sent before it exits anyway. */
const LAST_MESSAGE_WAIT = 2;

/**
 * Inside a process worker: the channel to the consumer (the IPC channel it
 * was started with).
 *
 * @param onEnd Called when the consumer closes the channel or dies.
 * @throws {Error} The process was not started with an IPC channel.
 */
export function parentProcessChannel(onEnd: () => void): ParentChannel {
  const send = process.send?.bind(process);
  if (!send) {
    throw new Error("A process worker needs the IPC channel of the consumer that starts it");
  }
  process.on("disconnect", onEnd);
  const post = (message: unknown, sent?: () => void): void => {
    if (process.connected) send(message, undefined, {}, sent);
    else sent?.();
  };
  return {
    post: (message) => post(message),
    onMessage: (listener) => process.on("message", listener),
    close: (code, last) => {
      process.exitCode = code;
      // Exiting at once would drop the messages still being written; the
      // timer is for a runtime that would never call back.
      post(last, () => process.exit(code));
      setTimeout(() => process.exit(code), LAST_MESSAGE_WAIT * 1000);
    },
  };
}

/** The runtime's name and version, e.g. `Node 24.9.0`, `Deno 2.5.0`, `Bun 1.2.20`. */
export function runtimeVersion(): { name: string; version: string } {
  const globals = globalThis as GlobalsLike;
  if (runtime === "deno") return { name: "Deno", version: globals.Deno?.version?.deno ?? "" };
  if (runtime === "bun") return { name: "Bun", version: globals.Bun?.version ?? "" };
  return { name: "Node", version: process.versions.node };
}

/**
 * Whether the runtime denies a permission the code needs: only Deno has
 * them (`run`: starting subprocesses, granted by `--allow-run` or `-A`).
 */
export function permissionDenied(name: "run"): boolean {
  const deno = (globalThis as {
    Deno?: { permissions?: { querySync?(d: { name: string }): { state: string } } };
  }).Deno;
  const query = deno?.permissions?.querySync;
  return runtime === "deno" && query !== undefined &&
    query.call(deno!.permissions, { name }).state !== "granted";
}
