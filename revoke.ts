/**
 * Revocation: keys in the storage that make workers skip a task (one
 * instance by id, or every call of a task by name), once, until a time, or
 * until restored.
 *
 * @module
 * @internal
 */
import type { SerializerLike } from "./serializer.ts";
import { INSTANCE_KEY_PREFIX, type Storage, TASK_KEY_PREFIX } from "./storage/base.ts";
import type { Task } from "./task.ts";

/** Options of the revoke methods. */
export interface RevokeOptions {
  /** Revoked until this time, then runs again. */
  revokeUntil?: Date;
  /** Skip only the next execution. @default false */
  revokeOnce?: boolean;
}

/** Options of the `isRevoked()` methods. */
export interface IsRevokedOptions {
  /** Check as of this time. @default now */
  timestamp?: Date;
  /** Only look: do not consume a revoke-once or clear a passed revoke-until. @default true */
  peek?: boolean;
}

/** What {@linkcode Revocations} is built from. */
export interface RevocationsOptions {
  /** Gives the storage in use. */
  storage: () => Storage;
  /** Turns the revocation records into bytes and back. */
  serializer: SerializerLike;
}

/** The storage key revoking one task instance. */
export function instanceKey(id: string): string {
  return INSTANCE_KEY_PREFIX + id;
}

function taskKey(name: string): string {
  return TASK_KEY_PREFIX + name;
}

/** A task's own revocation key, then its task's. */
function keysOf(task: Task): string[] {
  return [instanceKey(task.id), taskKey(task.name)];
}

/**
 * How old (ms) a read of a task's revocation keys made when its message was
 * leased ahead may be when the task starts; an older one is read again. A
 * revocation written by this Huey voids the reads made before it at once;
 * one written elsewhere may go unseen by a task that starts within this
 * time of it.
 */
export const READ_AHEAD_FRESH_MS = 20;

/** Revocation keys read when a message was leased ahead. */
interface ReadAhead {
  /** Who read: only its checks may use the read. */
  owner: Revocations;
  /** When the read was sent (epoch ms). */
  at: number;
  /** How many revocation writes this Huey had made when the read was sent. */
  writes: number;
  /** The read of every task's keys together. */
  batch: ReadBatch;
  /** Where this task's own key is in the batch's values (its task's key follows). */
  index: number;
}

/** The keys of the tasks whose messages arrived in the same turn, read together. */
interface ReadBatch {
  keys: string[];
  /** The values of the keys, or `null` when the read failed. */
  values: Promise<(Uint8Array | null)[] | null>;
  /** The values once read (`null`: the read failed); `undefined` until then. */
  read: (Uint8Array | null)[] | null | undefined;
}

const READ_AHEAD: unique symbol = Symbol("huey.readAhead");

/** A batch's values before its read is sent. */
const NO_VALUES: Promise<null> = Promise.resolve(null);

/** The values of a task's two keys, read by the storage along with its message. */
type KnownValues = readonly [Uint8Array | null, Uint8Array | null];

/** The batch of a read the storage made along with a message that found neither key (shared: never changed). */
const NEITHER_BATCH: ReadBatch = {
  keys: [],
  values: Promise.resolve([null, null]),
  read: [null, null],
};

/** A task with the read made when its message was leased ahead (a property: cheaper than a WeakMap). */
type ReadTask = Task & { [READ_AHEAD]?: ReadAhead };

/** Reads and writes the revocation keys of one Huey. */
export class Revocations {
  #storage: () => Storage;
  #serializer: SerializerLike;
  /** Revocation keys this Huey has written or deleted (voids the reads ahead made before). */
  #writes = 0;
  /** The read ahead being gathered in this turn, if any. */
  #batch: ReadBatch | null = null;

  /** @param options See {@linkcode RevocationsOptions}. */
  constructor(options: RevocationsOptions) {
    this.#storage = options.storage;
    this.#serializer = options.serializer;
  }

  /** Revokes a task id (`whole: false`) or every call of a task name (`whole: true`). */
  async revoke(idOrName: string, whole: boolean, options: RevokeOptions = {}): Promise<void> {
    const { revokeUntil = null, revokeOnce = false } = options;
    const key = whole ? taskKey(idOrName) : instanceKey(idOrName);
    const record = this.#serializer.serialize([revokeUntil, revokeOnce]);
    await this.#written(this.#storage().putData(key, record));
  }

  /** Lifts a revocation; `true` when there was one. */
  restore(idOrName: string, whole: boolean): Promise<boolean> {
    const key = whole ? taskKey(idOrName) : instanceKey(idOrName);
    return this.#written(this.#storage().deleteData(key));
  }

  /** Counts a write of a revocation key once it is done. */
  async #written<T>(write: Promise<T>): Promise<T> {
    try {
      return await write;
    } finally {
      this.#writes++;
    }
  }

  /**
   * Whether a task id (`whole: false`) or every call of a task name
   * (`whole: true`) is revoked at `timestamp`. Without `peek`, a revoke-once
   * is consumed and a passed revoke-until is cleared.
   */
  isKeyRevoked(idOrName: string, whole: boolean, options: IsRevokedOptions = {}): Promise<boolean> {
    const { timestamp, peek = true } = options;
    return this.#check(whole ? taskKey(idOrName) : instanceKey(idOrName), timestamp, peek);
  }

  /**
   * Whether a task is revoked at `timestamp`: its own key and its task's
   * key are read together (one round trip), and its own key decides first.
   * Without `peek`, a revoke-once is consumed and a passed revoke-until is
   * cleared.
   */
  async isRevoked(task: Task, options: IsRevokedOptions = {}): Promise<boolean> {
    const { timestamp, peek = true } = options;
    // The worker's check (not a peek) may use the read made when the message was leased ahead.
    const early = peek ? undefined : this.#takeFresh(task);
    const values = early ? early.batch.read ?? await early.batch.values : null;
    const [own, whole] = values
      ? [values[early!.index], values[early!.index + 1]]
      : await this.#read(keysOf(task));
    if (own === null && whole === null) return false;
    return (await this.#settle(instanceKey(task.id), own, timestamp, peek)) ||
      this.#settle(taskKey(task.name), whole, timestamp, peek);
  }

  /**
   * Whether the read made when the task's message was leased ahead has
   * arrived, is fresh and found neither of its keys: then the task is not
   * revoked, known without waiting (the worker's hot path), and the read is
   * used up. `false` leaves the check to {@linkcode isRevoked}.
   */
  clearedAhead(task: Task): boolean {
    const early = (task as ReadTask)[READ_AHEAD];
    const values = early?.batch.read;
    if (!values || values[early!.index] !== null || values[early!.index + 1] !== null) return false;
    if (!this.#isFresh(early!)) return false;
    (task as ReadTask)[READ_AHEAD] = undefined;
    return true;
  }

  /** The task's read ahead, used up, when it may still be used. */
  #takeFresh(task: Task): ReadAhead | undefined {
    const early = (task as ReadTask)[READ_AHEAD];
    if (early === undefined) return undefined;
    (task as ReadTask)[READ_AHEAD] = undefined;
    return this.#isFresh(early) ? early : undefined;
  }

  /** Whether a read ahead is this Huey's, made since its last revocation write, within the freshness time. */
  #isFresh(early: ReadAhead): boolean {
    return early.owner === this && early.writes === this.#writes &&
      Date.now() - early.at <= READ_AHEAD_FRESH_MS;
  }

  /**
   * Reads a task's revocation keys now (its message was leased ahead), for
   * the check when it starts, if that comes within a few milliseconds.
   *
   * @param known The values of its two keys when the storage read them
   *   along with its message (`Delivery.revocations`): nothing is read then.
   */
  readAhead(task: Task, known?: KnownValues): void {
    if (known !== undefined) {
      const batch = known[0] === null && known[1] === null ? NEITHER_BATCH : knownBatch(known);
      (task as ReadTask)[READ_AHEAD] = {
        owner: this,
        at: Date.now(),
        writes: this.#writes,
        batch,
        index: 0,
      };
      return;
    }
    let batch = this.#batch;
    if (batch === null) {
      // The messages leased together arrive in one round of promise jobs: read their keys in one call.
      const gathering: ReadBatch = { keys: [], values: NO_VALUES, read: undefined };
      gathering.values = Promise.resolve().then(() => {
        this.#batch = null;
        return this.#read(gathering.keys);
      }).then((values) => gathering.read = values, () => gathering.read = null);
      batch = this.#batch = gathering;
    }
    const index = batch.keys.push(instanceKey(task.id), taskKey(task.name)) - 2;
    const at = Date.now();
    const early = { owner: this, at, writes: this.#writes, batch, index };
    (task as ReadTask)[READ_AHEAD] = early;
  }

  /** Reads keys in one call where the storage can. */
  #read(keys: string[]): Promise<(Uint8Array | null)[]> {
    const storage = this.#storage();
    if (storage.peekMany) return storage.peekMany(keys);
    return Promise.all(keys.map((key) => storage.peekData(key)));
  }

  async #check(key: string, timestamp: Date | undefined, peek: boolean): Promise<boolean> {
    return this.#settle(key, await this.#storage().peekData(key), timestamp, peek);
  }

  /** Whether the revocation read from `key` holds; clears it when consumed or passed (unless `peek`). */
  async #settle(
    key: string,
    raw: Uint8Array | null,
    timestamp: Date | undefined,
    peek: boolean,
  ): Promise<boolean> {
    if (raw === null) return false;
    const [until, once] = this.#serializer.deserialize(raw) as [Date | null, boolean];
    let revoked = true;
    let clear = false;
    if (once) {
      clear = !peek;
    } else if (until !== null && until.getTime() <= (timestamp ?? new Date()).getTime()) {
      revoked = false;
      clear = !peek;
    }
    if (clear) await this.#written(this.#storage().deleteData(key));
    return revoked;
  }
}

/** A batch holding the values a storage read along with one message. */
function knownBatch(known: KnownValues): ReadBatch {
  const read = [known[0], known[1]];
  return { keys: [], values: Promise.resolve(read), read };
}
