/**
 * Runs a docs page as a user would: the files it says to write, the commands
 * it says to run, and the output it promises. `scripts/test_package.ts` runs
 * docs/getting-started.md this way on Node, Bun and Deno.
 *
 * A page marks what is run with an HTML comment before a fenced block:
 *
 * - `<!-- guide: file -->` before a code block whose first line is
 *   `// <name>`: the block is written to that file in the current folder.
 * - `<!-- guide: run -->` before a console block: its `$ ` lines run in order
 *   in one shell (a `cd` carries over to the next blocks); the other lines
 *   are the output they promise.
 * - `<!-- guide: start -->` before a console block with one command: the
 *   command starts and keeps running (a consumer) until the guide is done;
 *   then it gets SIGINT, as Ctrl-C gives it, and must exit with 0.
 * - `<!-- guide: output -->` before a console block: what the last started
 *   command promises to print.
 *
 * A command that ends with a comment naming a runtime (`# Node`, `# Bun`,
 * `# Deno ...`) is for that runtime only. In promised output, `...` stands for
 * any text, a UUID for any UUID (task ids), and in log lines (those that
 * start with `[`) any number for any number (times, process ids). Promised
 * lines must appear in that order.
 *
 * @module
 */
import type { ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { setTimeout as delay } from "node:timers/promises";
import { COMMAND_TIMEOUT, finished, killGroup, type Outcome, run, start } from "./_process.ts";

/** A runtime a guide is run on. */
export type GuideRuntime = "node" | "bun" | "deno";

/** One command of a console block. */
interface Command {
  /** The command as written, without its `$ ` and its runtime comment. */
  text: string;
  /** The runtime it is for, or `undefined` for all. */
  runtime?: GuideRuntime;
}

/** One marked block of a page, in page order. */
export type GuideStep =
  | { kind: "file"; name: string; text: string }
  | { kind: "run" | "start"; commands: Command[]; expected: string[] }
  | { kind: "output"; expected: string[] };

const MARKER = /^<!-- guide: (file|run|start|output) -->$/;
const RUNTIME_COMMENT = /\s+#\s*(Node|Bun|Deno)\b.*$/;

/**
 * Reads the marked blocks of a page.
 *
 * @throws {Error} A marker is not followed by a fenced block, or a file block
 *   does not start with `// <name>`.
 */
export function parseGuide(markdown: string): GuideStep[] {
  const lines = markdown.split("\n");
  const steps: GuideStep[] = [];
  for (let index = 0; index < lines.length; index++) {
    const marker = MARKER.exec(lines[index].trim());
    if (!marker) continue;
    let open = index + 1;
    while (open < lines.length && lines[open].trim() === "") open++;
    if (!lines[open]?.startsWith("```")) {
      throw new Error(`line ${index + 1}: a guide marker must be followed by a fenced block`);
    }
    const close = lines.findIndex((line, at) => at > open && line.startsWith("```"));
    if (close < 0) throw new Error(`line ${open + 1}: the fenced block is not closed`);
    const body = lines.slice(open + 1, close);
    steps.push(stepOf(marker[1], body, index + 1));
    index = close;
  }
  return steps;
}

function stepOf(kind: string, body: string[], line: number): GuideStep {
  if (kind === "file") {
    const name = /^\/\/ (\S+)$/.exec(body[0] ?? "")?.[1];
    if (!name) throw new Error(`line ${line}: a file block must start with '// <name>'`);
    return { kind, name, text: body.join("\n") + "\n" };
  }
  const commands: Command[] = [];
  const expected: string[] = [];
  for (const text of body) {
    if (!text.startsWith("$ ")) {
      if (text.trim() !== "") expected.push(text);
      continue;
    }
    const runtime = RUNTIME_COMMENT.exec(text)?.[1].toLowerCase() as GuideRuntime | undefined;
    commands.push({ text: text.slice(2).replace(RUNTIME_COMMENT, "").trim(), runtime });
  }
  if (kind === "output") return { kind, expected };
  if (!commands.length) throw new Error(`line ${line}: a ${kind} block has no '$ ' command`);
  return { kind: kind as "run" | "start", commands, expected };
}

/** What stands for any text, any UUID, and (in log lines) any number. */
const UUID = "[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}";
const WILDCARDS = new RegExp(`\\.\\.\\.|${UUID}|\\d+`, "g");

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Whether an output line keeps the promise of a line of the page. */
export function keeps(promised: string, actual: string): boolean {
  const log = promised.startsWith("[");
  let pattern = "";
  let at = 0;
  for (const { 0: token, index } of promised.matchAll(WILDCARDS)) {
    const wildcard = token === "..." ? ".*" : token.includes("-") ? UUID : log ? "\\d+" : null;
    if (wildcard === null) continue; // a number outside a log line means itself
    pattern += escape(promised.slice(at, index)) + wildcard;
    at = index + token.length;
  }
  pattern += escape(promised.slice(at));
  return new RegExp(`^${pattern}$`).test(actual.trimEnd());
}

/**
 * The promised lines that the output does not show, in order: an empty list
 * when it keeps every promise.
 */
export function unkept(promised: string[], output: string): string[] {
  const lines = output.split("\n");
  let at = 0;
  for (const [index, line] of promised.entries()) {
    while (at < lines.length && !keeps(line, lines[at])) at++;
    if (at === lines.length) return promised.slice(index);
    at++;
  }
  return [];
}

/** How to run a guide on one runtime. */
export interface GuideRun {
  /** The runtime whose commands run. */
  runtime: GuideRuntime;
  /** The folder the first command runs in (it exists and is empty). */
  folder: string;
  /** Added to the environment of every command (PATH, for one). */
  env: Record<string, string>;
  /**
   * Replacements made in the commands, e.g. the registry's package by a
   * local tarball. Each one must be used: a guide that changed fails loudly
   * instead of reaching a registry.
   */
  replace: Record<string, string>;
  /** Seconds a started command may take to print what the guide promises. */
  startTimeout: number;
  /** Seconds a started command may take to exit after SIGINT. */
  stopTimeout: number;
}

/** A command the guide started, still running. */
interface Started {
  command: string;
  child: ChildProcess;
  output: () => string;
  done: Promise<Outcome>;
}

/**
 * Runs a guide's steps on one runtime.
 *
 * @returns One line per command run, to show what ran.
 * @throws {Error} A command failed, an output broke a promise, a started
 *   command did not exit with 0 after SIGINT, or a replacement was not used.
 */
export async function runGuide(steps: GuideStep[], options: GuideRun): Promise<string[]> {
  const { runtime, env, replace } = options;
  const unused = new Set(Object.keys(replace));
  const commandsOf = (commands: Command[]): string[] =>
    commands.filter((command) => command.runtime === undefined || command.runtime === runtime)
      .map(({ text }) => {
        for (const [from, to] of Object.entries(replace)) {
          if (text.includes(from)) unused.delete(from);
          text = text.replaceAll(from, to);
        }
        return text;
      });
  let folder = options.folder;
  const ran: string[] = [];
  const started: Started[] = [];
  try {
    for (const step of steps) {
      if (step.kind === "file") {
        writeFileSync(join(folder, step.name), step.text);
        ran.push(`wrote ${step.name}`);
      } else if (step.kind === "run") {
        const commands = commandsOf(step.commands);
        ran.push(...commands);
        const result = await runShell(commands, folder, env);
        folder = result.folder;
        const missing = unkept(step.expected, result.output);
        if (missing.length) {
          throw new Error(
            `'${commands.join("; ")}' did not print:\n${missing.join("\n")}\nIt printed:\n` +
              result.output,
          );
        }
      } else if (step.kind === "start") {
        const [command, ...more] = commandsOf(step.commands);
        if (!command || more.length) {
          throw new Error(`a start block must hold one command for ${runtime}`);
        }
        ran.push(`${command} &`);
        started.push(startCommand(command, folder, env));
      } else {
        const last = started.at(-1);
        if (!last) throw new Error("an output block must follow a start block");
        await waitForOutput(last, step.expected, options.startTimeout);
      }
    }
    if (unused.size) throw new Error(`replacements not used: ${[...unused].join(", ")}`);
    for (const process of started.reverse()) await stop(process, options.stopTimeout);
    return ran;
  } finally {
    for (const { child } of started) killGroup(child);
  }
}

const CWD_MARK = "@@guide-cwd@@ ";

/** Runs commands in one bash, stopping at the first failure; tells the folder it ended in. */
async function runShell(
  commands: string[],
  folder: string,
  env: Record<string, string>,
): Promise<{ output: string; folder: string }> {
  const script = ["set -e", ...commands, `printf '\\n${CWD_MARK}%s\\n' "$PWD"`].join("\n");
  const { output } = await run("bash", ["-c", script], folder, env);
  const at = output.lastIndexOf(CWD_MARK);
  return {
    output: output.slice(0, at),
    folder: output.slice(at + CWD_MARK.length).split("\n")[0],
  };
}

function startCommand(command: string, folder: string, env: Record<string, string>): Started {
  const child = start("bash", ["-c", `exec ${command}`], folder, env);
  let output = "";
  child.stdout?.on("data", (chunk) => (output += chunk));
  child.stderr?.on("data", (chunk) => (output += chunk));
  return { command, child, output: () => output, done: finished(child, COMMAND_TIMEOUT * 4) };
}

/** Waits until a started command printed the promised lines. */
async function waitForOutput(started: Started, promised: string[], timeout: number): Promise<void> {
  let exited = false;
  started.done.then(() => (exited = true));
  const deadline = Date.now() + timeout * 1000;
  let missing = unkept(promised, started.output());
  while (missing.length && !exited && Date.now() < deadline) {
    await delay(100);
    missing = unkept(promised, started.output());
  }
  if (missing.length) {
    const why = exited ? "it exited" : `not within ${timeout} s`;
    throw new Error(
      `'${started.command}' did not print (${why}):\n${missing.join("\n")}\nIt printed:\n` +
        started.output(),
    );
  }
}

/** Whether a process of the group led by `pid` still runs. */
function groupRuns(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Sends SIGINT to a started command's process group, as Ctrl-C does, and
 * checks that the command and everything it started end. The command must
 * exit with 0, or end by that SIGINT: `npx` does, once the consumer it started
 * has exited.
 */
async function stop(started: Started, timeout: number): Promise<void> {
  const pid = started.child.pid!;
  try {
    process.kill(-pid, "SIGINT");
  } catch {
    // Already gone: its exit code tells.
  }
  const deadline = Date.now() + timeout * 1000;
  const timer = setTimeout(() => killGroup(started.child), timeout * 1000);
  const outcome = await started.done;
  while (groupRuns(pid) && Date.now() < deadline) await delay(100);
  clearTimeout(timer);
  const left = groupRuns(pid);
  if ((outcome.code !== 0 && outcome.signal !== "SIGINT") || left) {
    const how = outcome.code ?? outcome.signal;
    throw new Error(
      `'${started.command}' ended with ${how}${left ? ", leaving processes running," : ""} ` +
        `after Ctrl-C (SIGINT; killed after ${timeout} s if still running):\n${started.output()}`,
    );
  }
}
