/**
 * The leases of the file storage: `leases/<deadline>-<receipt>-<queue file name>`.
 * Leasing a message renames its queue file into `leases/`; acking removes
 * the lease file; an expired or released lease is renamed back to its queue
 * name, so the message keeps its place.
 *
 * @module
 * @internal
 */
import { rename, unlink } from "node:fs/promises";
import type { Delivery } from "./base.ts";
import {
  attempt,
  ATTEMPTS,
  LEASES,
  list,
  QUEUE,
  type QueueFolder,
  readOrNull,
} from "./_file_folder.ts";
import { isReceipt, leaseName, newReceipt, parseLease, timeOf } from "./_file_names.ts";

/** The leased messages of one queue's folder; several clients may share it. */
export class FileLeases {
  #folder: QueueFolder;

  /** @param folder The queue's folder. */
  constructor(folder: QueueFolder) {
    this.#folder = folder;
  }

  /** Renames leases whose deadline has passed back to their queue name (and place). */
  async recoverExpired(): Promise<void> {
    const now = Date.now();
    for (const name of await list(this.#folder.path(LEASES))) {
      if (timeOf(name) > now) continue;
      await attempt(() =>
        rename(this.#folder.path(LEASES, name), this.#folder.path(QUEUE, parseLease(name).message))
      );
    }
  }

  /**
   * Leases the queue file `name` for `lease` seconds (> 0) under a new
   * receipt; `null` when another client took it first.
   */
  async take(name: string, lease: number): Promise<Delivery | null> {
    const receipt = newReceipt();
    const leased = this.#folder.path(LEASES, leaseName(lease, receipt, name));
    if (!(await attempt(() => rename(this.#folder.path(QUEUE, name), leased)))) return null;
    const data = await readOrNull(leased);
    return data && { data, receipt };
  }

  /**
   * Moves the lease file of `receipt` with `move` (retrying when a renew by
   * another client renamed it meanwhile); nothing when the receipt is unknown.
   */
  async #move(
    receipt: string,
    move: (file: string, name: string) => Promise<void>,
  ): Promise<void> {
    if (!isReceipt(receipt)) return;
    for (let i = 0; i < ATTEMPTS; i++) {
      const name = (await list(this.#folder.path(LEASES))).find((file) =>
        parseLease(file).receipt === receipt
      );
      if (name === undefined) return;
      if (await attempt(() => move(this.#folder.path(LEASES, name), name))) return;
    }
  }

  /** Removes a leased message for good; unknown or outdated receipts are ignored. */
  async ack(receipt: string): Promise<void> {
    await this.#move(receipt, (file) => unlink(file));
  }

  /** Extends a lease to `lease` seconds (checked) from now; unknown receipts are ignored. */
  async renew(receipt: string, lease: number): Promise<void> {
    await this.#move(receipt, (file, name) => {
      const { message } = parseLease(name);
      return rename(file, this.#folder.path(LEASES, leaseName(lease, receipt, message)));
    });
  }

  /** Puts a leased message back on the queue at once, in its old place. */
  async release(receipt: string): Promise<void> {
    await this.#move(
      receipt,
      (file, name) => rename(file, this.#folder.path(QUEUE, parseLease(name).message)),
    );
  }

  /** Removes every leased message. */
  async flush(): Promise<void> {
    await this.#folder.empty(LEASES);
  }
}
