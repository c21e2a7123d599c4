/**
 * Every statement the Postgres storage runs, for one schema: each storage
 * operation is one statement (data-modifying `WITH` parts make the steps of
 * one operation atomic), except `addMember`'s few in one transaction. A
 * message waits while its `lease_until` is `NULL` or past (the server's
 * clock), so an expired lease needs no recovery step: the message is simply
 * waiting again, in its old place. Dequeues lock the row they take with
 * `FOR UPDATE SKIP LOCKED`, so concurrent consumers never wait for each
 * other nor take the same message.
 *
 * @module
 * @internal
 */

/** The statements of one schema (its quoted name `s`), by name. */
export type PostgresStatements = ReturnType<typeof postgresStatements>;

/** A value read in `expires`: live when there is no expiry or it is still ahead. */
const LIVE = "(expires IS NULL OR expires > clock_timestamp())";

/** An expiry `$n` seconds from now on the server's clock, or none when `$n` is NULL. */
const EXPIRY = (n: number): string =>
  `CASE WHEN $${n}::float8 IS NULL THEN NULL ` +
  `ELSE clock_timestamp() + $${n}::float8 * interval '1 second' END`;

/**
 * Builds the statements of a schema.
 *
 * @param s The schema's quoted name.
 */
export function postgresStatements(s: string) {
  const waiting = "(lease_until IS NULL OR lease_until <= clock_timestamp())";
  const next = `SELECT id FROM ${s}.task WHERE ${waiting} ORDER BY priority DESC, id LIMIT $1 ` +
    "FOR UPDATE SKIP LOCKED";
  // A listing ends the expired leases it counts as waiting: their old receipts name nothing since.
  // The events of a statement are one row of lines, `$6` (`$7` events, the newest of the calls:
  // see `mergeEvents`), whose seq is the event count after them; rows whose last event is older
  // than the newest `$8` go. Only a statement with events takes the counter's row, and only after
  // its other writes are done (its one-time filter needs their `RETURNING` counts first): it holds
  // the row until it commits, so events commit in seq order, and writers queue on it for no more
  // than the insert of a row and the commit.
  const writesDone = "(SELECT count(*) FROM gone) + (SELECT count(*) FROM stored) + " +
    "(SELECT count(*) FROM acked) >= 0";
  const appendEvents = `counter AS (UPDATE ${s}.event_counter SET last = last + $7::int ` +
    `WHERE $7::int > 0 AND ${writesDone} RETURNING last), ` +
    `logged AS (INSERT INTO ${s}.event_log (seq, count, data) SELECT last, $7::int, $6::text ` +
    "FROM counter), " +
    `trimmed AS (DELETE FROM ${s}.event_log WHERE seq <= (SELECT last - $8::bigint FROM counter))`;
  const recover = `WITH recovered AS (UPDATE ${s}.task SET lease_until = NULL, receipt = NULL ` +
    "WHERE lease_until <= clock_timestamp())";
  return {
    /** `$1` data, `$2` priorities: one row each, in order. */
    enqueueMany: `INSERT INTO ${s}.task (data, priority) SELECT d, p ` +
      "FROM unnest($1::bytea[], $2::float8[]) WITH ORDINALITY AS m(d, p, n) ORDER BY n",
    /** Takes (deletes) up to `$1` waiting messages; RETURNING gives them in no set order. */
    take: `DELETE FROM ${s}.task WHERE id IN (${next}) RETURNING id, data, priority`,
    /** Leases up to `$1` waiting messages for `$2` seconds, as delivery `$3`. */
    lease: `UPDATE ${s}.task SET lease_until = clock_timestamp() + $2::float8 * interval ` +
      `'1 second', receipt = $3 WHERE id IN (${next}) RETURNING id, data, priority`,
    /** Milliseconds until the next lease ends (`NULL`: none). */
    nextExpiry:
      "SELECT (extract(epoch FROM min(lease_until) - clock_timestamp()) * 1000)::float8 " +
      `AS ms FROM ${s}.task WHERE lease_until IS NOT NULL`,
    renew: `UPDATE ${s}.task AS t SET lease_until = clock_timestamp() + $3::float8 * interval ` +
      "'1 second' FROM unnest($1::bigint[], $2::text[]) AS r(id, receipt) " +
      "WHERE t.id = r.id AND t.receipt = r.receipt",
    release:
      `UPDATE ${s}.task SET lease_until = NULL, receipt = NULL WHERE id = $1 AND receipt = $2`,
    queueSize: `${recover} SELECT count(*)::int AS n FROM ${s}.task WHERE ${waiting}`,
    queueItems: `${recover} SELECT data FROM ${s}.task WHERE ${waiting} ` +
      "ORDER BY priority DESC, id LIMIT $1",
    flushQueue: `DELETE FROM ${s}.task`,
    /**
     * Ends deliveries (see `foldCompletions`): deletes the keys `$1`, stores
     * the values `$3` under the keys `$2`, ends the leases `$4`/`$5`, and
     * appends the `$7` events `$6` (lines) as a row keeping the newest `$8`
     * (see `appendEvents`), in one statement.
     */
    finish: `WITH gone AS (DELETE FROM ${s}.kv WHERE key = ANY($1::text[]) RETURNING 1), ` +
      `stored AS (INSERT INTO ${s}.kv (key, value) SELECT * FROM unnest($2::text[], $3::bytea[]) ` +
      "ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires = NULL RETURNING 1), " +
      `acked AS (DELETE FROM ${s}.task AS t USING unnest($4::bigint[], $5::text[]) ` +
      "AS r(id, receipt) WHERE t.id = r.id AND t.receipt = r.receipt RETURNING 1), " +
      `${appendEvents} SELECT 1`,

    schedule: `INSERT INTO ${s}.schedule (data, eta, priority) VALUES ($1, $2, $3)`,
    readSchedule: `DELETE FROM ${s}.schedule WHERE eta <= $1 RETURNING id, data, eta`,
    /** Moves up to `$2` messages due at `$1` to the queue, in one statement. */
    moveDue: `WITH due AS (DELETE FROM ${s}.schedule WHERE id IN (SELECT id FROM ${s}.schedule ` +
      "WHERE eta <= $1 ORDER BY eta, id LIMIT $2 FOR UPDATE SKIP LOCKED) " +
      "RETURNING id, data, eta, priority), " +
      `moved AS (INSERT INTO ${s}.task (data, priority) SELECT data, priority FROM due ` +
      "ORDER BY eta, id) SELECT data FROM due ORDER BY eta, id",
    scheduleSize: `SELECT count(*)::int AS n FROM ${s}.schedule`,
    scheduleItems: `SELECT data FROM ${s}.schedule ORDER BY eta, id LIMIT $1`,
    flushSchedule: `DELETE FROM ${s}.schedule`,

    put: `INSERT INTO ${s}.kv (key, value) VALUES ($1, $2) ON CONFLICT (key) ` +
      "DO UPDATE SET value = excluded.value, expires = NULL",
    peek: `SELECT value FROM ${s}.kv WHERE key = $1 AND ${LIVE}`,
    peekMany: `SELECT key, value FROM ${s}.kv WHERE key = ANY($1::text[]) AND ${LIVE}`,
    pop: `DELETE FROM ${s}.kv WHERE key = $1 RETURNING value, ${LIVE} AS live`,
    has: `SELECT EXISTS (SELECT 1 FROM ${s}.kv WHERE key = $1 AND ${LIVE}) AS found`,
    putIfEmpty: `INSERT INTO ${s}.kv (key, value, expires) VALUES ($1, $2, ${EXPIRY(3)}) ` +
      "ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires = excluded.expires " +
      "WHERE kv.expires IS NOT NULL AND kv.expires <= clock_timestamp() RETURNING 1",
    deleteIfEquals: `DELETE FROM ${s}.kv WHERE key = $1 AND value = $2 AND ${LIVE} RETURNING 1`,
    sweepKv: `DELETE FROM ${s}.kv WHERE expires <= clock_timestamp()`,
    kvSize: `SELECT count(*)::int AS n FROM ${s}.kv WHERE ${LIVE}`,
    kvItems: `SELECT key, value FROM ${s}.kv WHERE ${LIVE}`,
    flushKv: `DELETE FROM ${s}.kv`,

    /**
     * Sets marker `$1` for `$2` seconds unless it is live, and only then
     * enqueues the items `$3` (data), `$4` (priorities), `$5` (etas: `NULL`
     * queues, else schedules), in one statement.
     */
    enqueueOnce: `WITH marked AS (INSERT INTO ${s}.marker (key, expires) VALUES ($1, ` +
      "clock_timestamp() + $2::float8 * interval '1 second') ON CONFLICT (key) DO UPDATE " +
      "SET expires = excluded.expires WHERE marker.expires <= clock_timestamp() RETURNING 1), " +
      "items AS (SELECT * FROM unnest($3::bytea[], $4::float8[], $5::float8[]) WITH ORDINALITY " +
      "AS m(d, p, eta, n) WHERE EXISTS (SELECT 1 FROM marked)), " +
      `queued AS (INSERT INTO ${s}.task (data, priority) SELECT d, p FROM items ` +
      "WHERE eta IS NULL ORDER BY n), " +
      `scheduled AS (INSERT INTO ${s}.schedule (data, eta, priority) SELECT d, eta, p ` +
      "FROM items WHERE eta IS NOT NULL ORDER BY n) SELECT count(*)::int AS n FROM marked",
    deleteMarker: `DELETE FROM ${s}.marker WHERE key = $1 ` +
      "RETURNING expires > clock_timestamp() AS live",
    flushMarkers: `DELETE FROM ${s}.marker`,

    /** Adds `$2` to counter `$1`; a missing or expired one starts at 0 with ttl `$3`. */
    incr: `INSERT INTO ${s}.counter AS c (key, value, expires) VALUES ($1, $2, ${EXPIRY(3)}) ` +
      "ON CONFLICT (key) DO UPDATE SET " +
      "value = CASE WHEN c.expires <= clock_timestamp() THEN excluded.value " +
      "ELSE c.value + excluded.value END, " +
      "expires = CASE WHEN c.expires <= clock_timestamp() THEN excluded.expires " +
      "ELSE c.expires END RETURNING value",
    deleteCounter: `DELETE FROM ${s}.counter WHERE key = $1 RETURNING ${LIVE} AS live`,
    flushCounters: `DELETE FROM ${s}.counter`,
    /** Drops member set `$1` when it has expired (its members go with it). */
    dropExpiredSet: `DELETE FROM ${s}.member_set WHERE key = $1 AND expires <= clock_timestamp()`,
    /** Creates member set `$1` with ttl `$2`, or locks it: concurrent adds take turns. */
    lockSet: `INSERT INTO ${s}.member_set AS m (key, expires) VALUES ($1, ${EXPIRY(2)}) ` +
      "ON CONFLICT (key) DO UPDATE SET expires = m.expires",
    addMember: `INSERT INTO ${s}.member (key, member) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
    countMembers: `SELECT count(*)::int AS n FROM ${s}.member WHERE key = $1`,
    deleteMembers: `DELETE FROM ${s}.member_set WHERE key = $1 RETURNING ${LIVE} AS live`,
    flushMembers: `DELETE FROM ${s}.member_set`,

    /** Stores a dead letter and ends the lease `$3`/`$4` (NULL: none), in one statement. */
    addDead: `WITH acked AS (DELETE FROM ${s}.task WHERE id = $3 AND receipt = $4) ` +
      `INSERT INTO ${s}.dead_letter (data, reason) VALUES ($1, $2) RETURNING id`,
    deadLetters: `SELECT id, data, reason, at FROM ${s}.dead_letter ORDER BY id LIMIT $1`,
    peekDead: `SELECT id, data, reason, at FROM ${s}.dead_letter WHERE id = $1`,
    takeDead: `DELETE FROM ${s}.dead_letter WHERE id = $1 RETURNING data`,
    flushDead: `WITH gone AS (DELETE FROM ${s}.dead_letter RETURNING 1) ` +
      "SELECT count(*)::int AS n FROM gone",
    deadCount: `SELECT count(*)::int AS n FROM ${s}.dead_letter`,

    /** Makes concurrent `addFailure` transactions take turns (reads go on). */
    lockFailures: `LOCK TABLE ${s}.failure IN SHARE ROW EXCLUSIVE MODE`,
    /** Stores record `$2` of task id `$1` as the newest, replacing the older. */
    addFailure: `INSERT INTO ${s}.failure (task_id, data) VALUES ($1, $2) ON CONFLICT (task_id) ` +
      "DO UPDATE SET data = excluded.data, seq = excluded.seq",
    /** Keeps the newest `$1` records. */
    trimFailures: `DELETE FROM ${s}.failure WHERE seq <= (SELECT seq FROM ${s}.failure ` +
      "ORDER BY seq DESC OFFSET $1 LIMIT 1)",
    failures: `SELECT data FROM ${s}.failure ORDER BY seq DESC LIMIT $1`,
    takeFailure: `DELETE FROM ${s}.failure WHERE task_id = $1 RETURNING data`,
    failureCount: `SELECT count(*)::int AS n FROM ${s}.failure`,
    flushFailures: `WITH gone AS (DELETE FROM ${s}.failure RETURNING 1) ` +
      "SELECT count(*)::int AS n FROM gone",

    /** At most `$2` rows of the event log from seq `$1` on. */
    eventsFrom: `SELECT seq::float8 AS seq, floor(extract(epoch FROM at) * 1000)::float8 AS at, ` +
      `data FROM ${s}.event_log WHERE seq >= $1::bigint ORDER BY seq LIMIT $2`,
    /** At most `$2` rows of the event log added at or after `$1` (epoch ms). */
    eventsSince: `SELECT seq::float8 AS seq, floor(extract(epoch FROM at) * 1000)::float8 AS at, ` +
      `data FROM ${s}.event_log WHERE at >= to_timestamp(ceil($1::float8) / 1000) ` +
      "ORDER BY seq LIMIT $2",
    /** The newest row of the event log: its seq and how many events it holds. */
    lastEvent: `SELECT seq::float8 AS seq, count FROM ${s}.event_log ORDER BY seq DESC LIMIT 1`,
    flushEvents: `DELETE FROM ${s}.event_log`,
    /** Stores heartbeat `$2` of consumer `$1`, expiring `$3` seconds from now. */
    putHeartbeat: `INSERT INTO ${s}.heartbeat (id, record, expires) VALUES ($1, $2, ` +
      "clock_timestamp() + $3::float8 * interval '1 second') ON CONFLICT (id) DO UPDATE " +
      "SET record = excluded.record, expires = excluded.expires",
    /** The live heartbeats; the expired ones are deleted. */
    heartbeats: `WITH gone AS (DELETE FROM ${s}.heartbeat WHERE expires <= clock_timestamp()) ` +
      `SELECT record FROM ${s}.heartbeat WHERE expires > clock_timestamp()`,
    deleteHeartbeat: `DELETE FROM ${s}.heartbeat WHERE id = $1 ` +
      "RETURNING expires > clock_timestamp() AS live",
    flushHeartbeats: `DELETE FROM ${s}.heartbeat`,
  };
}
