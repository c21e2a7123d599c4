/**
 * Builds the npm package `@huey/huey` into `npm/` from the same source files
 * that Deno runs: `tsc -p tsconfig.build.json` (ESM, `.d.ts`, source maps),
 * then a `package.json`, the `huey-consumer` and `huey-dashboard` bins, README and LICENSE.
 *
 * ```console
 * $ npm run build              # node scripts/build_npm.ts
 * $ cd npm && npm pack         # the tarball to publish
 * ```
 *
 * The version has one source of truth: `version.ts`, `package.json` and
 * `deno.json` must agree, or the build stops before it writes anything.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import process from "node:process";
import { VERSION } from "../version.ts";

/** The repository's root directory. */
export const ROOT: string = resolve(import.meta.dirname ?? ".", "..");
/** Where the package is built (gitignored); `tsconfig.build.json` names the same directory. */
export const OUT_DIR: string = join(ROOT, "npm");
/** The lowest Node version the package supports: 22.13 imports `node:sqlite` without a flag. */
export const NODE_ENGINE = ">=22.13";

/** What {@linkcode buildNpm} built. */
export interface BuildSummary {
  /** The package's name. */
  name: string;
  /** The package's version (the same in version.ts, package.json and deno.json). */
  version: string;
  /** Paths of the files written, relative to `npm/`. */
  files: string[];
}

/** The fields of the root manifests that the build reads. */
interface Manifest {
  name?: string;
  version?: string;
  description?: string;
  license?: string;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

/**
 * The bins: `node_modules/.bin/<name>` is a symlink to each, so it imports
 * by its real path. Each runs its entry's command line and exits with its code.
 */
const BINS: Readonly<Record<string, string>> = {
  "huey-consumer": "consumer.js",
  "huey-dashboard": "dashboard.js",
};

/** The source of a bin that runs the `main()` of an entry module. */
function binSource(name: string, entry: string): string {
  return `#!/usr/bin/env node
// ${name}: runs the command line of ${entry} and exits with its code.
import process from "node:process";
import { main } from "../${entry}";

process.exit(await main());
`;
}

function readManifest(file: string): Manifest {
  return JSON.parse(readFileSync(join(ROOT, file), "utf8")) as Manifest;
}

/**
 * Checks that version.ts, package.json and deno.json name the same version.
 *
 * @returns The version.
 * @throws {Error} They disagree (the message lists all three).
 */
export function checkVersions(): string {
  const versions = {
    "version.ts": VERSION,
    "package.json": readManifest("package.json").version,
    "deno.json": readManifest("deno.json").version,
  };
  if (new Set(Object.values(versions)).size !== 1) {
    const list = Object.entries(versions).map(([file, version]) => `${file} ${version}`).join(", ");
    throw new Error(`The version must be the same everywhere, found: ${list}`);
  }
  return VERSION;
}

/** Every file under `dir`, relative to it, sorted. */
function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

function compile(): void {
  const tsc = join(ROOT, "node_modules", ".bin", "tsc");
  const result = spawnSync(tsc, ["-p", join(ROOT, "tsconfig.build.json"), "--pretty", "false"], {
    cwd: ROOT,
    encoding: "utf8",
  });
  if (result.error) throw new Error(`Cannot run ${tsc}: ${result.error.message}`);
  if (result.status !== 0) {
    throw new Error(`tsc failed (exit code ${result.status}):\n${result.stdout}${result.stderr}`);
  }
}

/**
 * Checks that every relative module path written in the emitted JavaScript
 * (imports, and URLs such as a worker's entry module) names a `.js` file that
 * exists: tsc rewrites import specifiers, not strings in `new URL(...)`.
 *
 * @throws {Error} A path names a module that the build did not emit.
 */
function checkRelativeSpecifiers(files: string[]): void {
  const missing: string[] = [];
  for (const file of files.filter((name) => name.endsWith(".js"))) {
    const code = readFileSync(join(OUT_DIR, file), "utf8")
      .replace(/\/\*[\s\S]*?\*\//g, "") // JSDoc examples name modules of the repository
      .replace(/^\s*\/\/.*$/gm, "");
    for (const match of code.matchAll(/["'](\.{1,2}\/[^"'\s]+)\.(?:ts|js)["']/g)) {
      const target = join(dirname(join(OUT_DIR, file)), `${match[1]}.js`);
      if (!existsSync(target)) {
        missing.push(`${file} names ${match[0]} but ${relative(OUT_DIR, target)} was not built`);
      }
    }
  }
  if (missing.length) {
    throw new Error(`The package refers to modules it lacks:\n${missing.join("\n")}`);
  }
}

/** The optional peer dependencies: each is loaded only by the feature that needs it. */
const OPTIONAL_PEERS = ["@redis/client", "postgres", "@opentelemetry/api"];

function packageManifest(root: Manifest, version: string): Record<string, unknown> {
  const peerDependencies: Record<string, string> = {};
  const peerDependenciesMeta: Record<string, { optional: true }> = {};
  for (const name of OPTIONAL_PEERS) {
    const range = root.peerDependencies?.[name];
    if (!range || !root.peerDependenciesMeta?.[name]?.optional) {
      throw new Error(`package.json must have '${name}' as an optional peer dependency`);
    }
    peerDependencies[name] = range;
    peerDependenciesMeta[name] = { optional: true };
  }
  return {
    name: root.name,
    version,
    description: root.description,
    license: root.license,
    type: "module",
    engines: { node: NODE_ENGINE },
    exports: {
      ".": { types: "./mod.d.ts", default: "./mod.js" },
      "./consumer": { types: "./consumer.d.ts", default: "./consumer.js" },
      "./dashboard": { types: "./dashboard.d.ts", default: "./dashboard.js" },
      "./package.json": "./package.json",
    },
    main: "./mod.js",
    types: "./mod.d.ts",
    bin: Object.fromEntries(Object.keys(BINS).map((name) => [name, `./bin/${name}.js`])),
    // The Redis storages need node-redis, PostgresHuey postgres.js, tracing the OpenTelemetry
    // API: users of the others do not install them.
    peerDependencies,
    peerDependenciesMeta,
    keywords: [
      "task queue",
      "job queue",
      "huey",
      "sqlite",
      "redis",
      "postgres",
      "deno",
      "bun",
      "worker",
    ],
  };
}

/**
 * Builds the npm package into `npm/` (removed first).
 *
 * @returns What was built.
 * @throws {Error} The versions disagree, tsc reports an error, or the output
 * refers to a module it lacks.
 */
export function buildNpm(): BuildSummary {
  const version = checkVersions();
  const root = readManifest("package.json");
  rmSync(OUT_DIR, { recursive: true, force: true });
  compile();
  checkRelativeSpecifiers(listFiles(OUT_DIR));
  mkdirSync(join(OUT_DIR, "bin"), { recursive: true });
  for (const [name, entry] of Object.entries(BINS)) {
    const bin = join(OUT_DIR, "bin", `${name}.js`);
    writeFileSync(bin, binSource(name, entry));
    chmodSync(bin, 0o755);
  }
  for (const file of ["README.md", "LICENSE", "CHANGELOG.md"]) {
    copyFileSync(join(ROOT, file), join(OUT_DIR, file));
  }
  writeFileSync(
    join(OUT_DIR, "package.json"),
    JSON.stringify(packageManifest(root, version), null, 2) + "\n",
  );
  return { name: root.name ?? "", version, files: listFiles(OUT_DIR) };
}

if (import.meta.main) {
  try {
    const { name, version, files } = buildNpm();
    console.log(
      `Built ${name}@${version} in ${
        relative(process.cwd(), OUT_DIR) || "."
      }/: ${files.length} files`,
    );
  } catch (error) {
    console.error(`build_npm: ${(error as Error).message}`);
    process.exit(1);
  }
}
