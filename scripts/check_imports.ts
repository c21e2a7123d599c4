/**
 * Checks the direction of dependencies between the library's modules
 * (docs/architecture rules R1-R5 of issue 11) and names each import that
 * breaks one:
 *
 * - R1: only `mod.ts`, the Huey kinds module (`huey_kinds.ts`) and tests import `huey.ts`;
 * - R2: the core never imports `consumer/`, except `huey.ts` (`createConsumer()`) and the
 *   command lines' entries (`consumer.ts`, `dashboard.ts`, which loads the app like the consumer);
 * - R3: `consumer/` never imports `huey.ts`, not even its types (R1 covers it);
 * - R4: `storage/` imports only `storage/base.ts`, its own private modules
 *   (`storage/_*.ts`), `errors.ts` and the option checks (`_options.ts`), besides
 *   `node:` built-ins and packages;
 * - R5: no import circles at all, type-only imports included.
 *
 * Usage: `node scripts/check_imports.ts` — exits 1 and lists the offending
 * imports when a rule is broken, prints one line and exits 0 otherwise.
 *
 * @module
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import process from "node:process";

/** One import of one module by another (both paths relative to the root, with `/`). */
export interface ImportEdge {
  /** The importing module. */
  from: string;
  /** The imported module. */
  to: string;
  /** The line of the import in `from`. */
  line: number;
}

const root = join(import.meta.dirname ?? ".", "..");
/** Folders whose modules are not part of the library. */
const OUTSIDE = ["tests/", "scripts/", "examples/", "docs/", "npm/", "node_modules/", ".deno_dir/"];
const IMPORT =
  /(?:^|[\s;])(?:import|export)\b[^"';]*?\bfrom\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

/** The library's modules: every `.ts` file outside tests, scripts, examples and build output. */
function libraryModules(): string[] {
  return readdirSync(root, { recursive: true, encoding: "utf8" })
    .map((file) => file.split("\\").join("/"))
    .filter((file) => file.endsWith(".ts") && !OUTSIDE.some((folder) => file.startsWith(folder)))
    .sort();
}

/** The source with its comments blanked out (JSDoc examples import "./mod.ts" too), lines kept. */
function withoutComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, (comment) => comment.replace(/[^\n]/g, " "))
    .replace(/(^|[^:"'])\/\/[^\n]*/g, "$1");
}

/** The relative imports of a module, resolved against the root. */
export function importsOf(module: string, source: string): ImportEdge[] {
  const edges: ImportEdge[] = [];
  const code = withoutComments(source);
  for (const match of code.matchAll(IMPORT)) {
    const specifier = match[1] ?? match[2];
    if (!specifier.startsWith(".")) continue;
    const to = normalize(join(dirname(module), specifier)).split("\\").join("/");
    const line = code.slice(0, match.index).split("\n").length +
      (match[0].startsWith("\n") ? 1 : 0);
    edges.push({ from: module, to, line });
  }
  return edges;
}

/** The rule an import breaks, or `null`. */
export function ruleBroken(edge: ImportEdge): string | null {
  const { from, to } = edge;
  if (to === "huey.ts" && from !== "mod.ts" && from !== "huey_kinds.ts") {
    return from.startsWith("consumer/")
      ? "R3: consumer/ sees the core through its own interface, not huey.ts"
      : "R1: only mod.ts and huey_kinds.ts import huey.ts";
  }
  if (
    to.startsWith("consumer/") && !from.startsWith("consumer/") && from !== "huey.ts" &&
    from !== "consumer.ts" && from !== "dashboard.ts" && from !== "mod.ts"
  ) {
    return "R2: the core does not import consumer/ (only huey.ts builds a Consumer)";
  }
  if (from.startsWith("storage/")) {
    const allowed = to === "storage/base.ts" || to === "errors.ts" || to === "_options.ts" ||
      (to.startsWith("storage/_") && !to.includes("/", "storage/".length));
    if (!allowed) {
      return "R4: storage/ imports only storage/base.ts, its private modules, errors.ts and _options.ts";
    }
  }
  return null;
}

/** Every import circle, as the list of modules in it (Tarjan's strongly connected components). */
export function circles(edges: readonly ImportEdge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const { from, to } of edges) next.set(from, [...(next.get(from) ?? []), to]);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let counter = 0;
  const visit = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter++);
    stack.push(node);
    onStack.add(node);
    for (const target of next.get(node) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(node, Math.min(low.get(node)!, low.get(target)!));
      } else if (onStack.has(target)) {
        low.set(node, Math.min(low.get(node)!, index.get(target)!));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      const selfLoop = (next.get(node) ?? []).includes(node);
      if (component.length > 1 || selfLoop) found.push(component.sort());
    }
  };
  for (const node of [...next.keys()].sort()) if (!index.has(node)) visit(node);
  return found;
}

function main(): number {
  const edges = libraryModules().flatMap((module) =>
    importsOf(module, readFileSync(join(root, module), "utf8"))
  );
  const problems: string[] = [];
  for (const edge of edges) {
    const rule = ruleBroken(edge);
    if (rule) problems.push(`${edge.from}:${edge.line} imports ${edge.to} — ${rule}`);
  }
  for (const circle of circles(edges)) {
    const inCircle = new Set(circle);
    const links = edges.filter((edge) => inCircle.has(edge.from) && inCircle.has(edge.to))
      .map((edge) => `${edge.from}:${edge.line} -> ${edge.to}`);
    problems.push(`R5: import circle of ${circle.length} modules:\n    ${links.join("\n    ")}`);
  }
  if (problems.length === 0) {
    console.log(`Imports: ${edges.length} checked, rules R1-R5 hold`);
    return 0;
  }
  console.error(`Imports that break the dependency rules (${problems.length}):`);
  for (const problem of problems) console.error(`  ${problem}`);
  console.error(
    `(run from ${relative(process.cwd(), root) || "."}: node scripts/check_imports.ts)`,
  );
  return 1;
}

if (import.meta.main ?? process.argv[1] === import.meta.filename) process.exitCode = main();
