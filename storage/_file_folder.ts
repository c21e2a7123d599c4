/**
 * The file steps of the file storage: a queue's folder and its sub-folders,
 * and the atomic operations every part of the storage is built from (write
 * under `tmp/` then rename into place, take a file by renaming it away, read
 * a folder in name order). A step that loses a race to another client sees
 * its source vanish (ENOENT) and says so instead of throwing.
 *
 * @module
 * @internal
 */
import { readdir, readFile, rename, rm, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { checkLimit } from "./_check.ts";
import { stamp, timeOf } from "./_file_names.ts";

/** Waiting messages. */
export const QUEUE = "queue";
/** Leased messages. */
export const LEASES = "leases";
/** Scheduled messages. */
export const SCHEDULE = "schedule";
/** Key folders. */
export const RESULTS = "results";
/** Dead letters. */
export const DEAD = "dead";
/** The markers of `enqueueOnce`. */
export const MARKERS = "markers";
/** Files being written, renamed into place once complete. */
export const TMP = "tmp";
/** Counters and member sets, stored like keys. */
export const TALLIES = "tallies";
/** The locks that serialize the changes of a counter or member set, stored like keys. */
export const LOCKS = "locks";
/** Every sub-folder of a queue's folder. */
export const FOLDERS: readonly string[] = [
  QUEUE,
  LEASES,
  SCHEDULE,
  RESULTS,
  DEAD,
  MARKERS,
  TMP,
  TALLIES,
  LOCKS,
];

/**
 * How often (ms) a client tidies up now and then: deletes expired keys and
 * markers, delivers the messages a crash left in markers.
 */
export const SWEEP_INTERVAL = 60_000;

/** Files left in `tmp/` by a crash are removed by `flushAll` once this old (ms). */
const TMP_MAX_AGE = 60_000;

/**
 * Makes a function that runs `task` at most once per
 * {@linkcode SWEEP_INTERVAL} per client: the tidying a client does now and
 * then.
 *
 * @param task What to run, given the time (epoch ms).
 * @returns Runs `task` when the interval has passed since it last started, else resolves at once.
 */
export function nowAndThen(task: (now: number) => Promise<void>): () => Promise<void> {
  let last = 0;
  return async () => {
    const now = Date.now();
    if (now - last < SWEEP_INTERVAL) return;
    last = now;
    await task(now);
  };
}

/** Bounds the retries of a read or write that lost a race to another client. */
export const ATTEMPTS = 50;

/** The `code` of a file-system error (`ENOENT`, `EEXIST`, ...). */
export function errorCode(error: unknown): unknown {
  return (error as { code?: unknown } | null)?.code;
}

/** Runs a file operation; `false` when its source vanished (ENOENT), another client won. */
export async function attempt(operation: () => Promise<unknown>): Promise<boolean> {
  try {
    await operation();
    return true;
  } catch (error) {
    if (errorCode(error) === "ENOENT") return false;
    throw error;
  }
}

/** A file's bytes (a plain Uint8Array), or `null` when it is gone. */
export async function readOrNull(file: string): Promise<Uint8Array | null> {
  let bytes: Uint8Array | null = null;
  await attempt(async () => bytes = new Uint8Array(await readFile(file)));
  return bytes;
}

/** The entries of a folder, sorted; none when it is gone. */
export async function list(folder: string): Promise<string[]> {
  let names: string[] = [];
  await attempt(async () => names = (await readdir(folder)).sort());
  return names;
}

/** Concatenates a header of `[float64 number, uint32 length]`, a text and a body. */
export function pack(number: number, text: string, body: Uint8Array): Uint8Array {
  const head = new TextEncoder().encode(text);
  const out = new Uint8Array(12 + head.length + body.length);
  const view = new DataView(out.buffer);
  view.setFloat64(0, number);
  view.setUint32(8, head.length);
  out.set(head, 12);
  out.set(body, 12 + head.length);
  return out;
}

/** The number, text and body that {@linkcode pack} joined. */
export function unpack(bytes: Uint8Array): { number: number; text: string; body: Uint8Array } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = 12 + view.getUint32(8);
  const text = new TextDecoder().decode(bytes.subarray(12, end));
  return { number: view.getFloat64(0), text, body: bytes.slice(end) };
}

/** One queue's folder, `<path>/<name>/`, and the atomic steps on the files under it. */
export class QueueFolder {
  #root: string;

  /** @param root The queue's folder (its sub-folders must exist). */
  constructor(root: string) {
    this.#root = root;
  }

  /** A path under the queue's folder. */
  path(...parts: string[]): string {
    return join(this.#root, ...parts);
  }

  /** Writes a complete file under `tmp/`, ready to be renamed into place; resolves to its path. */
  async writeTemp(bytes: Uint8Array): Promise<string> {
    const file = this.path(TMP, stamp());
    await writeFile(file, bytes);
    return file;
  }

  /** Writes a file so that readers only ever see it whole. */
  async write(folder: string, name: string, bytes: Uint8Array): Promise<void> {
    await rename(await this.writeTemp(bytes), this.path(folder, name));
  }

  /** Takes a file for this caller alone and removes it: its bytes, or `null` if another won. */
  async claim(file: string): Promise<Uint8Array | null> {
    const taken = this.path(TMP, stamp());
    if (!(await attempt(() => rename(file, taken)))) return null;
    const bytes = await readOrNull(taken);
    await attempt(() => unlink(taken));
    return bytes;
  }

  /** Reads the first `limit` files of a folder, skipping those taken meanwhile. */
  async readFirst(folder: string, limit: number | undefined): Promise<Uint8Array[]> {
    const wanted = checkLimit(limit);
    const out: Uint8Array[] = [];
    for (const name of await list(this.path(folder))) {
      if (out.length >= wanted) break;
      const bytes = await readOrNull(this.path(folder, name));
      if (bytes) out.push(bytes);
    }
    return out;
  }

  /** Removes the files and folders a crash left in `tmp/`, once {@linkcode TMP_MAX_AGE} old. */
  async removeStaleTemps(): Promise<void> {
    const old = Date.now() - TMP_MAX_AGE;
    for (const name of await list(this.path(TMP))) {
      if (timeOf(name) < old) await rm(this.path(TMP, name), { recursive: true, force: true });
    }
  }

  /** Removes every file of a folder; resolves to how many this call removed. */
  async empty(folder: string): Promise<number> {
    let count = 0;
    for (const name of await list(this.path(folder))) {
      if (await attempt(() => rm(this.path(folder, name), { recursive: true }))) count++;
    }
    return count;
  }
}
