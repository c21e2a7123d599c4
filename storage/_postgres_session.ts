/**
 * A Postgres storage's link to its server: the pool, opened on first use
 * with the schema in place, the statements of its schema, run with their
 * errors translated (`_postgres_client.ts`), its wake-ups, and closing.
 *
 * @module
 * @internal
 */
import { closedError } from "./_check.ts";
import {
  guard,
  openPostgres,
  type PostgresPlan,
  type PostgresRow,
  type PostgresSql,
  type PostgresTransaction,
} from "./_postgres_client.ts";
import { migratePostgresSchema, quoteIdentifier } from "./_postgres_schema.ts";
import { type PostgresStatements, postgresStatements } from "./_postgres_sql.ts";
import { PostgresWakeups } from "./_postgres_wait.ts";

/** The name of a statement of the schema. */
export type StatementName = keyof PostgresStatements;

/** Runs a statement inside a transaction. */
export type TransactionRun = (
  statement: StatementName,
  parameters?: unknown[],
) => PromiseLike<PostgresRow[]>;

/** The pool, statements and wake-ups of one Postgres storage. */
export class PostgresSession {
  /** The server's `host:port`, for messages. */
  readonly location: string;
  /** The wake-ups of the schema's channel. */
  readonly wakeups: PostgresWakeups;
  #plan: PostgresPlan;
  #name: string;
  #createTables: boolean;
  #statements: PostgresStatements;
  #pool: Promise<PostgresSql> | null = null;
  #migrated: Promise<void> | null = null;
  #closed = false;

  /**
   * Connects on first use.
   *
   * @param plan Where to connect (see `planPostgres`).
   * @param name The queue name: the schema and the channel.
   * @param createTables Create or migrate the schema on first use.
   */
  constructor(plan: PostgresPlan, name: string, createTables: boolean) {
    this.#plan = plan;
    this.#name = name;
    this.#createTables = createTables;
    this.location = plan.address;
    this.#statements = postgresStatements(quoteIdentifier(name));
    this.wakeups = new PostgresWakeups(name);
  }

  /** Whether {@linkcode close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The pool, opened on first use, with the schema in place (tried again after a failure). */
  async #ready(): Promise<PostgresSql> {
    if (this.#closed) throw closedError("PostgresStorage", this.#name);
    this.#pool ??= openPostgres(this.#plan).catch((error) => {
      this.#pool = null;
      throw error;
    });
    const sql = await this.#pool;
    if (this.#createTables) {
      this.#migrated ??= guard(this.location, () => migratePostgresSchema(sql, this.#name))
        .then(() => {}, (error) => {
          this.#migrated = null;
          throw error;
        });
      await this.#migrated;
    }
    return sql;
  }

  /** Runs one statement, prepared once per connection. */
  async query(statement: StatementName, parameters: unknown[] = []): Promise<PostgresRow[]> {
    const sql = await this.#ready();
    const text = this.#statements[statement];
    return await guard(this.location, () => sql.unsafe(text, parameters, { prepare: true }));
  }

  /** The column `n` of a statement's first row (counts). */
  async count(statement: StatementName, parameters: unknown[] = []): Promise<number> {
    const [row] = await this.query(statement, parameters);
    return Number(row?.n ?? 0);
  }

  /** Runs `body` in one transaction; its statements run in order on one connection. */
  async transaction<T>(body: (run: TransactionRun) => Promise<T>): Promise<T> {
    const sql = await this.#ready();
    let answer: T;
    await guard(this.location, () =>
      sql.begin(async (tx: PostgresTransaction) => {
        answer = await body((statement, parameters = []) => {
          return tx.unsafe(this.#statements[statement], parameters, { prepare: true });
        });
      }));
    return answer!;
  }

  /** Listens for the wake-ups of the schema's channel (once; again after a failure). */
  async listen(): Promise<void> {
    const sql = await this.#ready();
    await guard(this.location, () => this.wakeups.listen(sql));
  }

  /**
   * Stops listening and ends the pool opened here (an instance given as
   * `sql` stays open); waiters wake up. Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.wakeups.close();
    const pool = await this.#pool?.catch(() => null);
    if (pool && this.#plan.sql === undefined) await pool.end({ timeout: 5 });
  }
}
