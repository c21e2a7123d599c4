/**
 * Runs the whole test suite on Deno, Node and Bun, one runtime after the
 * other, and ends with one line `N passed, N failed` (totals).
 *
 * Usage: `node scripts/test.ts [--only deno|node|bun] [file filter]`
 * (run through `npm test`, which puts the project's Node 24, Deno and Bun first on PATH).
 *
 * @module
 */
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { join, relative } from "node:path";
import process from "node:process";

interface Outcome {
  runtime: string;
  passed: number;
  failed: number;
  code: number;
  /** The runner's report of what failed (repeated at the end, where a CI log's tail shows it). */
  failures: string;
}

/** The most lines of a runner's failure report repeated at the end. */
const RECAP_LINES = 60;

const root = join(import.meta.dirname ?? ".", "..");

function testFiles(filter: string | undefined): string[] {
  const files = readdirSync(join(root, "tests"), { recursive: true, encoding: "utf8" })
    .filter((file) => file.endsWith("_test.ts"))
    .map((file) => join("tests", file))
    .sort();
  return filter ? files.filter((file) => file.includes(filter)) : files;
}

function commandFor(runtime: string, files: string[]): string[] {
  switch (runtime) {
    case "deno":
      return ["deno", "test", "-A", "--no-check", ...files];
    case "node":
      return ["node", "--test", "--test-reporter=spec", ...files];
    default:
      return ["bun", "test", "--timeout", "120000", ...files.map((file) => "./" + file)];
  }
}

/** Reads the runner's own totals from its output. */
function countsOf(runtime: string, output: string): { passed: number; failed: number } {
  const number = (pattern: RegExp): number => {
    const matches = [...output.matchAll(pattern)];
    return matches.length ? Number(matches[matches.length - 1][1]) : 0;
  };
  switch (runtime) {
    case "deno":
      return { passed: number(/\| (\d+) passed/g), failed: number(/\| (\d+) failed/g) };
    case "node":
      return { passed: number(/^ℹ pass (\d+)/gm), failed: number(/^ℹ fail (\d+)/gm) };
    default:
      return { passed: number(/^\s*(\d+) pass$/gm), failed: number(/^\s*(\d+) fail$/gm) };
  }
}

/**
 * The part of a runner's output that names what failed: Deno's closing
 * `ERRORS`/`FAILURES` report, Node's `failing tests` list, Bun's `(fail)` lines.
 */
export function failureReport(runtime: string, output: string): string {
  const lines = output.split("\n");
  const section = (marker: RegExp, end?: RegExp): string[] => {
    const start = lines.findLastIndex((line) => marker.test(line));
    if (start < 0) return [];
    const stop = end ? lines.findIndex((line, index) => index > start && end.test(line)) : -1;
    return lines.slice(start, stop < 0 ? undefined : stop);
  };
  const cut = (report: string[], most: number): string[] =>
    report.length > most
      ? [...report.slice(0, most), `... (${report.length - most} more lines in the output above)`]
      : report;
  const report = runtime === "deno"
    // The names first (FAILURES), then the start of the errors with their stacks.
    ? [
      ...section(/^\s*FAILURES\s*$/),
      ...cut(section(/^\s*ERRORS\s*$/, /^\s*FAILURES\s*$/), RECAP_LINES),
    ]
    : runtime === "node"
    ? cut(section(/failing tests:/), RECAP_LINES)
    : cut(lines.filter((line) => /^\(fail\)/.test(line.trimStart())), RECAP_LINES);
  return report.join("\n").trim();
}

function run(runtime: string, files: string[]): Promise<Outcome> {
  const [command, ...args] = commandFor(runtime, files);
  console.log(
    `\n=== ${runtime}: ${command} ${args.slice(0, 3).join(" ")} ... (${files.length} files)`,
  );
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: root,
      env: {
        ...process.env,
        DENO_DIR: join(root, ".deno_dir"),
        DENO_NO_UPDATE_CHECK: "1",
        RUST_BACKTRACE: "0",
        NO_COLOR: "1",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const collect = (chunk: Buffer, stream: NodeJS.WriteStream): void => {
      output += chunk.toString();
      stream.write(chunk);
    };
    child.stdout.on("data", (chunk) => collect(chunk, process.stdout));
    child.stderr.on("data", (chunk) => collect(chunk, process.stderr));
    child.on("error", (error) => {
      console.error(`${runtime}: cannot start ${command}: ${error.message}`);
      resolve({ runtime, passed: 0, failed: 1, code: 1, failures: error.message });
    });
    child.on("close", (code) => {
      const counts = countsOf(runtime, output);
      // A runner that crashed before counting still counts as a failure.
      const failed = code !== 0 && counts.failed === 0 ? 1 : counts.failed;
      const failures = failed > 0 ? failureReport(runtime, output) : "";
      resolve({ runtime, ...counts, failed, code: code ?? 1, failures });
    });
  });
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const onlyIndex = args.indexOf("--only");
  const runtimes = onlyIndex >= 0 ? [args.splice(onlyIndex, 2)[1]] : ["deno", "node", "bun"];
  const files = testFiles(args[0]);
  if (files.length === 0) {
    console.error(`no test files match ${args[0] ?? "tests/**/*_test.ts"}`);
    process.exit(1);
  }
  const outcomes: Outcome[] = [];
  for (const runtime of runtimes) outcomes.push(await run(runtime, files));
  for (const { runtime, failures } of outcomes) {
    if (failures) console.log(`\n=== ${runtime}: what failed (repeated from above)\n${failures}`);
  }
  console.log("");
  for (const { runtime, passed, failed, code } of outcomes) {
    console.log(`${runtime}: ${passed} passed, ${failed} failed (exit ${code})`);
  }
  const passed = outcomes.reduce((sum, outcome) => sum + outcome.passed, 0);
  const failed = outcomes.reduce((sum, outcome) => sum + outcome.failed, 0);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed > 0 || outcomes.some((outcome) => outcome.code !== 0) ? 1 : 0);
}

if (relative(process.argv[1] ?? "", import.meta.filename ?? "") === "") await main();
