/**
 * The bench's clean slate on PostgreSQL: before every workload of either
 * system, the schemas of huey's earlier workloads are dropped and the
 * database is vacuumed and analyzed (pg-boss's job table, whose earlier
 * queues' jobs were deleted, included). Without it, one workload runs
 * beside the dead rows the earlier ones left and the autovacuum they start
 * (an `ANALYZE` holds a snapshot, so no dead row of the running workload
 * can be cleaned up meanwhile), and pg-boss's shared table grows from
 * workload to workload while huey starts every workload on new tables.
 *
 * @module
 */
import postgres from "postgres";

/** Drops huey's bench schemas (named `bench-...`) and runs `VACUUM ANALYZE` on the database. */
export async function freshPostgres(url: string): Promise<void> {
  const sql = postgres(url, { onnotice: () => {}, max: 1 });
  try {
    const schemas = await sql`SELECT nspname FROM pg_namespace WHERE nspname LIKE 'bench-%'`;
    for (const { nspname } of schemas) {
      await sql.unsafe(`DROP SCHEMA "${String(nspname).replaceAll('"', '""')}" CASCADE`);
    }
    await sql.unsafe("VACUUM ANALYZE");
  } finally {
    await sql.end({ timeout: 1 });
  }
}
