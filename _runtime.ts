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
import type { Readable } from "node:stream";
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
      onMessage: (listener) =>
        worker.addEventListener("message", (event) => {
          if ((event.data as { type?: string })?.type === "exited") exited("exited");
          listener(event.data);
        }),
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

/** Inside a worker thread: the channel to the thread that started it. */
export async function parentChannel(): Promise<
  Pick<WorkerChannel, "post" | "onMessage"> & { close(): void }
> {
  const { parentPort } = await import("node:worker_threads");
  if (parentPort) {
    return {
      post: (message) => parentPort.postMessage(message),
      onMessage: (listener) => parentPort.on("message", listener),
      close: () => parentPort.close(),
    };
  }
  const scope = globalThis as unknown as WebWorkerLike & { close(): void };
  return {
    post: (message) => scope.postMessage(message),
    onMessage: (listener) => scope.addEventListener("message", (event) => listener(event.data)),
    close: () => scope.close(),
  };
}

/** The command that runs a script file with the current runtime (with all permissions on Deno). */
export function scriptCommand(script: string): [string, string[]] {
  if (runtime === "deno") return [process.execPath, ["run", "-A", script]];
  return [process.execPath, [script]];
}

/** Prefix of the lines a process worker writes to its parent on standard output. */
const LINE_PREFIX = "\u0000huey:";

/**
 * Starts a child process running `script` with the current runtime. Messages
 * travel as JSON lines: to the child on its standard input, from the child on
 * its standard output behind a marker (other output passes through).
 */
export function startProcess(script: string, env: Record<string, string>): WorkerChannel {
  const [command, args] = scriptCommand(script);
  const child = spawn(command, args, {
    env: { ...process.env, ...env },
    stdio: ["pipe", "pipe", "inherit"],
  });
  const exitListeners: ((reason: string) => void)[] = [];
  const exited = once((reason) => exitListeners.forEach((listener) => listener(reason)));
  const messageListeners: ((message: unknown) => void)[] = [];
  child.on(
    "exit",
    (code, signal) => exited(signal ? `killed by ${signal}` : `exited with code ${code}`),
  );
  child.on("error", (error) => exited(`could not start: ${error.message}`));
  child.stdin.on("error", () => {});
  readLines(child.stdout, (line) => {
    if (!line.startsWith(LINE_PREFIX)) return void process.stdout.write(line + "\n");
    const message = JSON.parse(line.slice(LINE_PREFIX.length));
    messageListeners.forEach((listener) => listener(message));
  });
  return {
    pid: child.pid,
    post: (message) => {
      if (child.stdin.writable) child.stdin.write(JSON.stringify(message) + "\n");
    },
    onMessage: (listener) => messageListeners.push(listener),
    onExit: (listener) => exitListeners.push(listener),
    terminate: () => child.kill("SIGKILL"),
  };
}

/** Inside a process worker: the channel to the parent (standard input and output). */
export function parentProcessChannel(onEnd: () => void): Pick<WorkerChannel, "post" | "onMessage"> {
  const listeners: ((message: unknown) => void)[] = [];
  readLines(process.stdin, (line) => {
    if (line.trim()) listeners.forEach((listener) => listener(JSON.parse(line)));
  }, onEnd);
  return {
    post: (message) => process.stdout.write(LINE_PREFIX + JSON.stringify(message) + "\n"),
    onMessage: (listener) => listeners.push(listener),
  };
}

function readLines(stream: Readable, onLine: (line: string) => void, onEnd?: () => void): void {
  let buffer = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => {
    buffer += chunk;
    let newline: number;
    while ((newline = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      onLine(line);
    }
  });
  stream.on("end", () => {
    if (buffer) onLine(buffer);
    onEnd?.();
  });
}
