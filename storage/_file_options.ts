/**
 * The options of the file storage and their checks.
 *
 * @module
 * @internal
 */
import { join } from "node:path";
import { checkInteger, checkText, optionError } from "../_options.ts";

/** Options of {@linkcode FileStorage}. */
export interface FileStorageOptions {
  /** The folder that holds the queues; each queue name gets its own sub-folder. Required. */
  path: string;
  /**
   * How many levels of sub-folders (named by the first characters of the
   * key's md5) spread the result files, from 0 to 4.
   * @default 2
   */
  levels?: number;
}

/**
 * Checks the queue name and the options of a file storage.
 *
 * @param name The queue name: a folder name (not empty, no `/` or `\`, not `.` or `..`).
 * @param options What the caller passed.
 * @returns The queue's folder (`<path>/<name>`) and the levels of sub-folders.
 * @throws {ConfigurationError} `name` is not a folder name, `path` is missing or not a
 *   string, or `levels` is not an integer from 0 to 4.
 */
export function checkFileOptions(
  name: string,
  options: FileStorageOptions,
): { root: string; levels: number } {
  const { path, levels = 2 } = options ?? {};
  if (typeof name !== "string" || /^\.{0,2}$|[/\\\0]/.test(name)) {
    throw optionError("name", name, 'a folder name (not empty, no "/" or "\\", not "." or "..")');
  }
  checkText("path", path);
  checkInteger("levels", levels, 0, 4);
  return { root: join(path, name), levels };
}
