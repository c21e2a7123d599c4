/**
 * The dead letters of the file storage: `dead/<stamp>`, each file
 * `[0, reason length][reason][message]`; the stamp is the id and says when.
 *
 * @module
 * @internal
 */
import type { DeadLetter } from "./base.ts";
import { checkLimit } from "./_check.ts";
import { DEAD, list, pack, type QueueFolder, readOrNull, unpack } from "./_file_folder.ts";
import { isStamp, stamp, timeOf } from "./_file_names.ts";

/** The dead letters of one queue's folder; several clients may share it. */
export class FileDeadLetters {
  #folder: QueueFolder;
  #ack: (receipt: string) => Promise<void>;

  /**
   * @param folder The queue's folder.
   * @param ack Acknowledges a leased message (the queue's `ack`).
   */
  constructor(folder: QueueFolder, ack: (receipt: string) => Promise<void>) {
    this.#folder = folder;
    this.#ack = ack;
  }

  /**
   * Moves a message aside, then acks `receipt` (files have no transactions:
   * in that order); resolves to the dead letter's id.
   */
  async add(data: Uint8Array, reason: string, receipt: string | null): Promise<string> {
    const id = stamp();
    await this.#folder.write(DEAD, id, pack(0, reason, data));
    if (receipt !== null) await this.#ack(receipt);
    return id;
  }

  /** The dead letters, oldest first, at most `limit` (checked) of them. */
  async list(limit: number | undefined): Promise<DeadLetter[]> {
    const letters: DeadLetter[] = [];
    const wanted = checkLimit(limit);
    for (const id of await list(this.#folder.path(DEAD))) {
      if (letters.length >= wanted) break;
      const letter = await this.#read(id);
      if (letter !== null) letters.push(letter);
    }
    return letters;
  }

  /** One dead letter, or `null` for an unknown id. */
  async peek(id: string): Promise<DeadLetter | null> {
    return isStamp(id) ? await this.#read(id) : null;
  }

  /** The dead letter of file `id`, or `null` when it is gone. */
  async #read(id: string): Promise<DeadLetter | null> {
    const bytes = await readOrNull(this.#folder.path(DEAD, id));
    if (bytes === null) return null;
    const { text: reason, body: data } = unpack(bytes);
    return { id, reason, data, at: new Date(timeOf(id)) };
  }

  /** Removes one dead letter and resolves to its message, or `null` for an unknown id. */
  async take(id: string): Promise<Uint8Array | null> {
    if (!isStamp(id)) return null;
    const bytes = await this.#folder.claim(this.#folder.path(DEAD, id));
    return bytes && unpack(bytes).body;
  }

  /** How many dead letters are kept (their files are counted, not read). */
  async count(): Promise<number> {
    return (await list(this.#folder.path(DEAD))).filter(isStamp).length;
  }

  /** Removes every dead letter; resolves to how many this call removed. */
  async flush(): Promise<number> {
    return await this.#folder.empty(DEAD);
  }
}
