/**
 * The real CLI on a SQLite file, with thread, process and greenlet workers.
 *
 * @module
 */
import { after } from "node:test";
import { killAll } from "./_consumer.ts";
import { consumerMatrix } from "./_matrix.ts";

after(killAll);

for (const workerType of ["thread", "process", "greenlet"] as const) {
  consumerMatrix("SQLite", workerType, { storage: () => ({ kind: "sqlite" }) });
}
