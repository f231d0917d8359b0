import { Pool } from 'pg';
import { PG_URL } from './test-app';

/**
 * Drops test databases a crashed run left behind. A database still in use (another run going on)
 * refuses a plain DROP and is left alone.
 */
export default async function globalSetup(): Promise<void> {
  const pool = new Pool({ connectionString: `${PG_URL}/postgres`, max: 1 });
  try {
    const { rows } = await pool.query<{ datname: string }>(
      "SELECT datname FROM pg_database WHERE datname LIKE 'bp\\_test\\_%'",
    );
    for (const { datname } of rows) {
      await pool.query(`DROP DATABASE IF EXISTS "${datname}"`).catch(() => undefined);
    }
  } finally {
    await pool.end();
  }
}
