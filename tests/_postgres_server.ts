/**
 * Starts a throwaway PostgreSQL cluster for a test file (`initdb` and
 * `pg_ctl` in a temp folder, on a free port, without fsync), and stops it.
 * The binaries are looked up on PATH, then in Debian's
 * `/usr/lib/postgresql/<version>/bin` (not on PATH). As root, they run as
 * the `postgres` user (`runuser -u postgres --`): PostgreSQL refuses to run
 * as root. When PostgreSQL is not installed, the Postgres tests are skipped
 * loudly ({@linkcode postgresSkip}); under CI they fail.
 *
 * @module
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import process from "node:process";
import { freePort } from "./_redis_server.ts";

/** A running PostgreSQL cluster. */
export interface PostgresServer {
  /** The port it listens on (127.0.0.1). */
  readonly port: number;
  /** `postgres://postgres@127.0.0.1:<port>/postgres`: the superuser, no password. */
  readonly url: string;
  /** Stops the server (its data stays until {@linkcode remove}). */
  stop(): Promise<void>;
  /** Starts the stopped server again, on the same port, with its data. */
  start(): Promise<void>;
  /** Stops the server and deletes its folder. */
  remove(): Promise<void>;
}

/** The folder holding `initdb` and `pg_ctl`: on PATH, else Debian's newest version. */
function findBinaries(): string | undefined {
  const onPath = (process.env.PATH ?? "").split(delimiter)
    .find((folder) => folder !== "" && existsSync(join(folder, "initdb")));
  if (onPath) return onPath;
  const debian = "/usr/lib/postgresql";
  if (!existsSync(debian)) return undefined;
  const versions = readdirSync(debian)
    .filter((version) => existsSync(join(debian, version, "bin", "initdb")))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length > 0 ? join(debian, versions[0], "bin") : undefined;
}

const binaries = findBinaries();

/** Why the Postgres tests are skipped (no PostgreSQL binaries), or `undefined` when they run. */
export const postgresSkip: string | undefined = binaries || process.env.CI ? undefined : (
  "initdb is neither on PATH nor in /usr/lib/postgresql/*/bin: the PostgreSQL tests are " +
  "SKIPPED (apt-get install postgresql)"
);

if (postgresSkip) console.warn(`\n*** WARNING: ${postgresSkip} ***\n`);

/** `uid` and `gid` of the `postgres` user, when this process runs as root (PostgreSQL refuses root). */
function runAs(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const id = (flag: string): number => Number(execFileSync("id", [flag, "postgres"]).toString());
  return { uid: id("-u"), gid: id("-g") };
}

/** Runs a PostgreSQL binary to its end (as `postgres` when root); throws with its output on failure. */
function run(user: ReturnType<typeof runAs>, binary: string, args: string[]): void {
  const path = join(binaries!, binary);
  const [command, prefix] = user ? ["runuser", ["-u", "postgres", "--", path]] : [path, []];
  const outcome = spawnSync(command, [...prefix, ...args], { encoding: "utf8", timeout: 120_000 });
  if (outcome.status !== 0) {
    throw new Error(
      `${binary} ${args.join(" ")} failed (${outcome.status ?? outcome.signal}): ` +
        `${outcome.stderr}${outcome.stdout}${outcome.error ?? ""}`,
    );
  }
}

/**
 * Starts a shell that stops the cluster and deletes its folder once this
 * process is gone: `pg_ctl` runs the server detached, and neither Deno's
 * test runner (which runs no `exit` listeners, nor `after` hooks when tests
 * are filtered) nor a killed test process would stop it otherwise.
 */
function watchdog(user: ReturnType<typeof runAs>, folder: string): ChildProcess {
  const pgCtl = join(binaries!, "pg_ctl");
  const stop = `${
    user ? "runuser -u postgres -- " : ""
  }'${pgCtl}' -D '${folder}/data' -m fast stop`;
  const script = `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; ` +
    `${stop} >/dev/null 2>&1; rm -rf '${folder}'`;
  const child = spawn("sh", ["-c", script], { detached: true, stdio: "ignore" });
  child.unref();
  return child;
}

/**
 * Creates a cluster in a temp folder and starts it on a free port; resolves
 * once it accepts connections (`pg_ctl -w`).
 *
 * @throws {Error} PostgreSQL is missing (only reached under CI: elsewhere
 *   tests check {@linkcode postgresSkip} first), or did not start.
 */
export async function startPostgres(): Promise<PostgresServer> {
  if (!binaries) throw new Error("PostgreSQL is not installed, and CI needs the Postgres tests");
  const user = runAs();
  const folder = mkdtempSync(join(tmpdir(), "huey-postgres-"));
  if (user) chownSync(folder, user.uid, user.gid);
  const data = join(folder, "data");
  const log = join(folder, "server.log");
  const port = await freePort();
  run(user, "initdb", ["-D", data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"]);
  const settings = [
    `-p ${port}`,
    "-c listen_addresses=127.0.0.1",
    `-c unix_socket_directories=${folder}`,
    "-c fsync=off",
    "-c synchronous_commit=off",
    "-c full_page_writes=off",
    "-c max_connections=300",
  ].join(" ");
  let running = false;
  const stopNow = (): void => {
    if (!running) return;
    running = false;
    try {
      run(user, "pg_ctl", ["-D", data, "-m", "fast", "-w", "stop"]);
    } catch {
      // already gone
    }
  };
  const start = (): Promise<void> => {
    try {
      run(user, "pg_ctl", ["-D", data, "-o", settings, "-l", log, "-w", "-t", "60", "start"]);
    } catch (error) {
      const output = existsSync(log) ? readFileSync(log, "utf8") : "";
      throw new Error(`${(error as Error).message}\n${output}`);
    }
    running = true;
    return Promise.resolve();
  };
  process.on("exit", stopNow);
  const guard = watchdog(user, folder);
  await start();
  return {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop(): Promise<void> {
      stopNow();
      return Promise.resolve();
    },
    start,
    remove(): Promise<void> {
      stopNow();
      process.off("exit", stopNow);
      guard.kill();
      rmSync(folder, { recursive: true, force: true });
      return Promise.resolve();
    },
  };
}
