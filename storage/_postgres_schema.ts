/**
 * The tables of the Postgres storage, in a schema named after the Huey, and
 * the migrations that bring a schema written by an older version forward
 * (the version lives in the schema's `meta` table). Wake-ups are triggers:
 * every insert into `task` and every release of a lease notifies the
 * schema's channel with `q`, every statement that writes keys with
 * `K<JSON array of the keys>` (keys whose JSON text is up to 4000 bytes;
 * split into payloads of less than 8000 bytes), every insert into the event
 * log with `e`, whoever writes.
 *
 * @module
 * @internal
 */
import { HueyError } from "../errors.ts";
import { optionError } from "../_options.ts";
import type { PostgresSql } from "./_postgres_client.ts";

/** The longest identifier PostgreSQL keeps (`NAMEDATALEN - 1` bytes). */
const MAX_IDENTIFIER_BYTES = 63;

/**
 * The longest key whose writes are notified (its length up to version 4,
 * the length of its JSON text since version 5): a `NOTIFY` payload holds
 * less than 8000 bytes. Waiters for longer keys look again every few seconds.
 */
const MAX_NOTIFIED_KEY = 4000;

/**
 * Bytes of JSON text (a key and its comma) after which a statement's keys
 * go on in another payload: with the last key up to
 * {@linkcode MAX_NOTIFIED_KEY}, a payload stays under 8000 bytes.
 */
const NOTIFIED_KEYS_CHUNK = 3900;

/**
 * Checks that a queue name can name a schema and a `LISTEN` channel: at most
 * 63 bytes (PostgreSQL would cut it short, and two names could meet), and
 * not starting with `pg_` (reserved for the system).
 *
 * @throws {ConfigurationError} The name is too long or reserved.
 */
export function checkSchemaName(name: string): string {
  if (new TextEncoder().encode(name).length > MAX_IDENTIFIER_BYTES || /^pg_/i.test(name)) {
    throw optionError("name", name, "at most 63 bytes, not starting with 'pg_' (a schema name)");
  }
  return name;
}

/** `name` as a quoted SQL identifier. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** `text` as a quoted SQL string literal. */
function quoteLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/**
 * Version 0 (no schema) to 1. `task.lease_until` is `NULL` while a message
 * waits, else the end of its lease on the server's clock (a message whose
 * lease has ended waits again, in its old place); `receipt` names the
 * current delivery. `schedule.eta` is in epoch ms, as callers give it.
 * Expiries of keys, markers, counters and member sets are on the server's
 * clock; `NULL` never expires.
 */
function createVersion1(s: string): string {
  return `CREATE TABLE ${s}.meta (version integer NOT NULL);
    INSERT INTO ${s}.meta (version) VALUES (0);
    CREATE TABLE ${s}.task (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      data bytea NOT NULL, priority double precision NOT NULL DEFAULT 0,
      lease_until timestamptz, receipt text);
    CREATE INDEX task_order ON ${s}.task (priority DESC, id);
    CREATE INDEX task_leased ON ${s}.task (lease_until) WHERE lease_until IS NOT NULL;
    CREATE TABLE ${s}.schedule (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      data bytea NOT NULL, eta double precision NOT NULL,
      priority double precision NOT NULL DEFAULT 0);
    CREATE INDEX schedule_eta ON ${s}.schedule (eta, id);
    CREATE TABLE ${s}.kv (key text PRIMARY KEY, value bytea NOT NULL, expires timestamptz);
    CREATE TABLE ${s}.marker (key text PRIMARY KEY, expires timestamptz NOT NULL);
    CREATE TABLE ${s}.counter (key text PRIMARY KEY, value bigint NOT NULL, expires timestamptz);
    CREATE TABLE ${s}.member_set (key text PRIMARY KEY, expires timestamptz);
    CREATE TABLE ${s}.member (
      key text NOT NULL REFERENCES ${s}.member_set (key) ON DELETE CASCADE,
      member text NOT NULL, PRIMARY KEY (key, member));
    CREATE TABLE ${s}.dead_letter (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      data bytea NOT NULL, reason text NOT NULL,
      at timestamptz NOT NULL DEFAULT clock_timestamp());
    CREATE FUNCTION ${s}.notify_queue() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_notify(TG_TABLE_SCHEMA, 'q'); RETURN NULL; END $$;
    CREATE TRIGGER task_enqueued AFTER INSERT ON ${s}.task
      FOR EACH STATEMENT EXECUTE FUNCTION ${s}.notify_queue();
    CREATE TRIGGER task_released AFTER UPDATE OF lease_until ON ${s}.task
      FOR EACH ROW WHEN (NEW.lease_until IS NULL) EXECUTE FUNCTION ${s}.notify_queue();
    CREATE FUNCTION ${s}.notify_key() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_notify(TG_TABLE_SCHEMA, 'k:' || NEW.key); RETURN NULL; END $$;
    CREATE TRIGGER kv_stored AFTER INSERT OR UPDATE ON ${s}.kv
      FOR EACH ROW WHEN (octet_length(NEW.key) <= ${MAX_NOTIFIED_KEY})
      EXECUTE FUNCTION ${s}.notify_key();`;
}

/**
 * Version 1 to 2: the failure records (tasks that failed for good), one per
 * task id; `seq` orders them, newest highest (a replaced record takes a new one).
 */
function createVersion2(s: string): string {
  return `CREATE TABLE ${s}.failure (task_id text PRIMARY KEY, seq bigserial NOT NULL,
      data bytea NOT NULL);
    CREATE INDEX failure_seq ON ${s}.failure (seq)`;
}

/**
 * Version 2 to 3: the event log and the consumer heartbeats. An event's
 * `seq` is taken from the one-row `event_counter` by the statement that
 * inserts it, which locks that row until it commits: events commit in `seq`
 * order, so a reader of `seq > n` never misses one that commits late. `at`
 * is the server's clock. Every insert into `event` notifies the schema's
 * channel with `e`. A heartbeat expires on the server's clock.
 */
function createVersion3(s: string): string {
  return `CREATE TABLE ${s}.event_counter (last bigint NOT NULL);
    INSERT INTO ${s}.event_counter (last) VALUES (0);
    CREATE TABLE ${s}.event (seq bigint PRIMARY KEY,
      at timestamptz NOT NULL DEFAULT clock_timestamp(), data bytea NOT NULL);
    CREATE FUNCTION ${s}.notify_event() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF EXISTS (SELECT 1 FROM added) THEN PERFORM pg_notify(TG_TABLE_SCHEMA, 'e'); END IF;
        RETURN NULL;
      END $$;
    CREATE TRIGGER event_added AFTER INSERT ON ${s}.event REFERENCING NEW TABLE AS added
      FOR EACH STATEMENT EXECUTE FUNCTION ${s}.notify_event();
    CREATE TABLE ${s}.heartbeat (id text PRIMARY KEY, record bytea NOT NULL,
      expires timestamptz NOT NULL)`;
}

/**
 * Version 3 to 4: the event log keeps the events of one statement (a turn's
 * completions and `addEvents` calls) as one row of `event_log`, its events
 * a line each: a task's events cost a line, not rows and index entries.
 * `event_counter.last` still counts the events ever added, and a row's
 * `seq` is the count its last event brought it to (so the cap drops whole
 * oldest rows as a range of the primary key: `seq <= last - cap`); an
 * event's `seq` is `<row seq>.<its index in the row>`. The rows of version
 * 3 become rows of one event, their `seq` kept: a cursor of version 3 names
 * its row. A line break between JSON tokens becomes a space (one line, one
 * event). Every insert into `event_log` notifies the channel with `e`.
 */
function createVersion4(s: string): string {
  return `CREATE TABLE ${s}.event_log (seq bigint PRIMARY KEY, count integer NOT NULL,
      at timestamptz NOT NULL DEFAULT clock_timestamp(), data text NOT NULL);
    INSERT INTO ${s}.event_log (seq, count, at, data)
      SELECT seq, 1, at, replace(convert_from(data, 'UTF8'), chr(10), ' ') FROM ${s}.event;
    DROP TABLE ${s}.event;
    CREATE TRIGGER event_added AFTER INSERT ON ${s}.event_log REFERENCING NEW TABLE AS added
      FOR EACH STATEMENT EXECUTE FUNCTION ${s}.notify_event()`;
}

/**
 * Version 4 to 5: a statement that writes keys notifies them together, one
 * `K<JSON array>` payload per {@linkcode NOTIFIED_KEYS_CHUNK} bytes of keys,
 * instead of one `k:<key>` per row: a turn's results are one
 * notification for the notify queue and for every listener, not one per
 * task. Statement triggers with a transition table (`INSERT ... ON CONFLICT
 * DO UPDATE` fires both: its new rows and its updated ones).
 */
function createVersion5(s: string): string {
  return `DROP TRIGGER kv_stored ON ${s}.kv;
    DROP FUNCTION ${s}.notify_key();
    CREATE FUNCTION ${s}.notify_keys() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify(TG_TABLE_SCHEMA, 'K' || json_agg(key)::text)
          FROM (SELECT key, sum(octet_length(json) + 1) OVER (ROWS UNBOUNDED PRECEDING) AS upto
            FROM (SELECT key, to_json(key)::text AS json FROM stored) AS keys
            WHERE octet_length(json) <= ${MAX_NOTIFIED_KEY}) AS chunked
          GROUP BY upto / ${NOTIFIED_KEYS_CHUNK};
        RETURN NULL;
      END $$;
    CREATE TRIGGER kv_inserted AFTER INSERT ON ${s}.kv REFERENCING NEW TABLE AS stored
      FOR EACH STATEMENT EXECUTE FUNCTION ${s}.notify_keys();
    CREATE TRIGGER kv_updated AFTER UPDATE ON ${s}.kv REFERENCING NEW TABLE AS stored
      FOR EACH STATEMENT EXECUTE FUNCTION ${s}.notify_keys()`;
}

/** `MIGRATIONS[v]` brings a schema at version `v` to `v + 1` (given the quoted schema name). */
const MIGRATIONS: ReadonlyArray<(schema: string) => string> = [
  createVersion1,
  createVersion2,
  createVersion3,
  createVersion4,
  createVersion5,
];

/** The schema version this module writes, kept in the `meta` table of the schema. */
export const POSTGRES_SCHEMA_VERSION: number = MIGRATIONS.length;

/**
 * The SQL that creates the schema of a queue at the current version, for
 * those who create tables themselves (`createTables: false`).
 *
 * @param name The queue name (the schema's name).
 */
export function postgresSchemaSql(name: string): string {
  const schema = quoteIdentifier(name);
  const steps = MIGRATIONS.map((migrate) => migrate(schema)).join(";\n");
  return `CREATE SCHEMA IF NOT EXISTS ${schema};\n${steps};\n` +
    `UPDATE ${schema}.meta SET version = ${POSTGRES_SCHEMA_VERSION};`;
}

/**
 * Creates the schema of a queue, or brings it forward to
 * {@linkcode POSTGRES_SCHEMA_VERSION}, in one transaction that holds an
 * advisory lock on the schema's name: processes starting together migrate it
 * once.
 *
 * @param sql The connection pool.
 * @param name The queue name (the schema's name).
 * @returns The version the schema had before (0: it did not exist).
 * @throws {HueyError} The schema was written by a newer version of this module.
 */
export async function migratePostgresSchema(sql: PostgresSql, name: string): Promise<number> {
  const schema = quoteIdentifier(name);
  let from = 0;
  await sql.begin(async (tx) => {
    await tx.unsafe(`SELECT pg_advisory_xact_lock(hashtext(${quoteLiteral(`huey:${name}`)}))`);
    const [{ found }] = await tx.unsafe(
      `SELECT to_regclass(${quoteLiteral(`${schema}.meta`)}) IS NOT NULL AS found`,
    );
    if (found) {
      const [row] = await tx.unsafe(`SELECT version FROM ${schema}.meta`);
      from = Number(row?.version ?? 0);
    }
    if (from > POSTGRES_SCHEMA_VERSION) {
      throw new HueyError(
        `PostgreSQL schema ${schema} is at version ${from}, newer than this version supports ` +
          `(${POSTGRES_SCHEMA_VERSION}): upgrade huey to use it`,
      );
    }
    if (from === POSTGRES_SCHEMA_VERSION) return;
    await tx.unsafe(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    for (let version = from; version < POSTGRES_SCHEMA_VERSION; version++) {
      await tx.unsafe(MIGRATIONS[version](schema)).simple();
    }
    await tx.unsafe(`UPDATE ${schema}.meta SET version = ${POSTGRES_SCHEMA_VERSION}`);
  });
  return from;
}
