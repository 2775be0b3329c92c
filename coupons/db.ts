// The coupon database: created when missing and migrated to the newest schema
// at start-up, plus a transaction helper. Several instances starting at once
// queue on one blocking advisory lock, so the schema is migrated exactly once
// and nobody crashes (node-pg-migrate's own lock fails instead of waiting).
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { runner } from 'node-pg-migrate';
import { NearcastError } from '../pipeline/errors.ts';
import type { Logger } from '../pipeline/logger.ts';

const MIGRATIONS = fileURLToPath(new URL('../migrations/', import.meta.url));

function databaseName(url: string): { name: string; adminUrl: string } {
  const u = new URL(url);
  const name = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_-]{1,63}$/.test(name))
    throw new NearcastError(
      'CONFIG_INVALID',
      `NEARCAST_DATABASE_URL: database name ${JSON.stringify(name)} is not a plain identifier`,
    );
  u.pathname = '/postgres';
  return { name, adminUrl: u.toString() };
}

/** Creates the database named in `url` if it does not exist. Safe to race. */
export async function ensureDatabase(url: string): Promise<void> {
  const { name, adminUrl } = databaseName(url);
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount) return;
    await client.query(`CREATE DATABASE "${name}"`).catch((err: { code?: string }) => {
      // 42P04 duplicate_database, 23505 when two creators race on the catalog.
      if (err.code !== '42P04' && err.code !== '23505') throw err;
    });
  } finally {
    await client.end();
  }
}

/** Drops a database (tests only). */
export async function dropDatabase(url: string): Promise<void> {
  const { name, adminUrl } = databaseName(url);
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/** Arbitrary constant naming nearcast's migration lock among advisory locks. */
const MIGRATION_LOCK = 7_311_004_201;

/** Creates the database if missing and applies pending migrations; returns their names. */
export async function migrate(url: string, log?: Logger): Promise<string[]> {
  await ensureDatabase(url);
  const lock = new pg.Client({ connectionString: url });
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    const applied = await runner({
      databaseUrl: url,
      dir: MIGRATIONS,
      migrationsTable: 'pgmigrations',
      direction: 'up',
      checkOrder: true,
      noLock: true,
      log: () => {},
    });
    if (applied.length) log?.info({ migrations: applied.map((m) => m.name) }, 'database migrated');
    return applied.map((m) => m.name);
  } finally {
    // Ending the session releases the lock even if the unlock query never ran.
    await lock.end();
  }
}

export type Db = pg.Pool;
export type Tx = pg.PoolClient;

/** Runs `fn` in a transaction; rolls back on any throw. Connection errors become 503s. */
export async function withTx<T>(pool: Db, fn: (tx: Tx) => Promise<T>): Promise<T> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (err) {
    throw new NearcastError('DEPENDENCY_UNAVAILABLE', 'database unavailable', { cause: err, retryAfterSeconds: 2 });
  }
  try {
    await client.query('BEGIN');
    const out = await fn(client);
    await client.query('COMMIT');
    return out;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw asDbError(err);
  } finally {
    client.release();
  }
}

/** A query outside a transaction, with the same error mapping. */
export async function query<R extends pg.QueryResultRow>(
  pool: Db,
  text: string,
  values: unknown[] = [],
): Promise<pg.QueryResult<R>> {
  try {
    return await pool.query<R>(text, values);
  } catch (err) {
    throw asDbError(err);
  }
}

function asDbError(err: unknown): unknown {
  if (err instanceof NearcastError) return err;
  const { code, message } = err as { code?: string; message?: string };
  // Connection-level failures (refused, terminated, admin shutdown) are the client's cue to retry.
  const lost =
    code === undefined && /Connection terminated|timeout exceeded when trying to connect/.test(message ?? '');
  if (lost || code === 'ECONNREFUSED' || code === '57P01' || code === '57P03' || code?.startsWith('08')) {
    return new NearcastError('DEPENDENCY_UNAVAILABLE', 'database unavailable', { cause: err, retryAfterSeconds: 2 });
  }
  // Deadlock or serialization failure: nothing was written; the client may simply retry.
  if (code === '40P01' || code === '40001')
    return new NearcastError('DEPENDENCY_UNAVAILABLE', 'busy, try again', { cause: err, retryAfterSeconds: 1 });
  // Data exceptions (a NUL byte in text, a number out of range): the input's fault, not a crash.
  if (code?.startsWith('22'))
    return new NearcastError('VALIDATION_FAILED', `the database refused a value: ${message ?? code}`, { cause: err });
  // Integrity violations other than duplicate keys (which callers handle): a conflicting concurrent change.
  if (code?.startsWith('23') && code !== '23505')
    return new NearcastError('CONFLICT', 'the change conflicts with the current state', { cause: err });
  return err;
}
