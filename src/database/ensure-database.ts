import { Client } from 'pg';

const DUPLICATE_DATABASE = '42P04';
const UNKNOWN_DATABASE = '3D000';

function codeOf(error: unknown): string | undefined {
  return (error as { code?: string }).code;
}

/** True when the database answers; false only when it does not exist. Other failures throw. */
async function databaseExists(databaseUrl: string): Promise<boolean> {
  const client = new Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (error) {
    // A refused connection is already closed by the server: nothing to end.
    if (codeOf(error) === UNKNOWN_DATABASE) return false;
    throw error;
  }
  await client.end();
  return true;
}

/**
 * Creates the database named in `databaseUrl` when it does not exist yet. Only then does it touch
 * the `postgres` maintenance database, which managed Postgres often closes to application roles.
 */
export async function ensureDatabase(databaseUrl: string): Promise<boolean> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!name || (await databaseExists(databaseUrl))) return false;
  url.pathname = '/postgres';
  const client = new Client({ connectionString: url.toString(), connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
    return true;
  } catch (error) {
    // Another process created it in between.
    if (codeOf(error) === DUPLICATE_DATABASE) return false;
    throw error;
  } finally {
    await client.end();
  }
}
