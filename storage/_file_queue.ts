/**
 * The queue of the file storage: one file per waiting message under
 * `queue/`, named so that names sort in dequeue order (`_file_names.ts`),
 * and the leased ones under `leases/` (`_file_leases.ts`). Taking a message
 * is a rename, which only one client wins, so no lock is needed.
 *
 * @module
 * @internal
 */
import { rename } from "node:fs/promises";
import type { Delivery } from "./base.ts";
import { list, QUEUE, type QueueFolder } from "./_file_folder.ts";
import { FileLeases } from "./_file_leases.ts";
import { queueName } from "./_file_names.ts";

/** How many files `add` writes at once. */
const BATCH = 64;

/** The waiting and the leased messages of one queue's folder; several clients may share it. */
export class FileQueue {
  #folder: QueueFolder;
  #leases: FileLeases;

  /** @param folder The queue's folder. */
  constructor(folder: QueueFolder) {
    this.#folder = folder;
    this.#leases = new FileLeases(folder);
  }

  /** Adds messages to the queue, in order; higher `priority` first, FIFO within one. */
  async add(items: ReadonlyArray<{ data: Uint8Array; priority?: number }>): Promise<void> {
    const names = items.map(({ priority }) => queueName(priority));
    const temps: string[] = [];
    for (let start = 0; start < items.length; start += BATCH) {
      const batch = items.slice(start, start + BATCH);
      temps.push(...await Promise.all(batch.map(({ data }) => this.#folder.writeTemp(data))));
    }
    // Renamed one by one, so that no reader sees a later message before an earlier one.
    for (const [index, temp] of temps.entries()) {
      await rename(temp, this.#folder.path(QUEUE, names[index]));
    }
  }

  /**
   * Takes the next message by renaming its file (into `leases/` for `lease`
   * seconds, checked, when `lease > 0`); `null` if none waits.
   */
  async take(lease: number): Promise<Delivery | null> {
    await this.#leases.recoverExpired();
    for (const name of await list(this.#folder.path(QUEUE))) {
      if (lease > 0) {
        const delivery = await this.#leases.take(name, lease);
        if (delivery) return delivery;
        continue;
      }
      const data = await this.#folder.claim(this.#folder.path(QUEUE, name));
      if (data) return { data, receipt: null };
    }
    return null;
  }

  /** Removes a leased message for good; unknown or outdated receipts are ignored. */
  async ack(receipt: string): Promise<void> {
    await this.#leases.ack(receipt);
  }

  /** Extends these leases to `lease` seconds (checked) from now; unknown receipts are ignored. */
  async renew(receipts: readonly string[], lease: number): Promise<void> {
    for (const receipt of receipts) await this.#leases.renew(receipt, lease);
  }

  /** Puts a leased message back on the queue at once, in its old place. */
  async release(receipt: string): Promise<void> {
    await this.#leases.release(receipt);
  }

  /** How many messages are waiting (leased ones excluded; expired leases come back first). */
  async size(): Promise<number> {
    await this.#leases.recoverExpired();
    return (await list(this.#folder.path(QUEUE))).length;
  }

  /** The waiting messages in dequeue order, at most `limit` of them (expired leases come back first). */
  async items(limit: number | undefined): Promise<Uint8Array[]> {
    await this.#leases.recoverExpired();
    return await this.#folder.readFirst(QUEUE, limit);
  }

  /** Empties the queue, leased messages included. */
  async flush(): Promise<void> {
    await this.#folder.empty(QUEUE);
    await this.#leases.flush();
  }
}
