/**
 * A consumer's id: `host:pid` of its main process. Its events name it
 * (`consumer`), and its thread or process workers are told it.
 *
 * @module
 * @internal
 */
import { hostname } from "node:os";
import process from "node:process";

/** `host:pid` of this process: the id of the consumer it runs. */
export function consumerId(): string {
  return `${hostname()}:${process.pid}`;
}
