import pg from 'pg';
import { openPostgres } from '../src/db/postgres.js';

/** Drops and creates database `name` on the admin connection's server, migrates it, and returns its URL. */
export async function createBenchDatabase(adminUrl: string, name: string): Promise<string> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`unsafe database name ${name}`);
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const orm = await openPostgres({ url: url.toString(), statementTimeoutMs: 600_000 });
  try {
    await orm.migrator.up();
  } finally {
    await orm.close();
  }
  return url.toString();
}
