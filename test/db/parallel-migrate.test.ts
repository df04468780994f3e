import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrations } from '../../src/db/migrations/index.js';
import { createTestDatabase, rawClient } from '../support/databases.js';
import { TEST_FIELD_KEYS_ENV } from '../support/field-keys.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

/** `npm run migrate` as a real child process; resolves with its exit code and output. */
function migrate(url: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/db/migrate.ts'], {
      env: { ...process.env, DATABASE_URL: url, LOG_LEVEL: 'warn', ...TEST_FIELD_KEYS_ENV },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr.on('data', (b: Buffer) => (output += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 50_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('migrations started at once', () => {
  it('when three migrators start together on an empty database, then all succeed and every migration ran once', async () => {
    const runs = await Promise.all([migrate(db.url), migrate(db.url), migrate(db.url)]);
    for (const run of runs) expect(run, run.output).toMatchObject({ code: 0 });
    const client = await rawClient(db.url);
    try {
      const { rows } = await client.query<{ name: string }>('select name from mikro_orm_migrations order by id');
      expect(rows.map((r) => r.name)).toEqual(migrations.map((m) => m.name));
      const tables = await client.query<{ n: string }>(
        `select count(*)::text as n from information_schema.tables where table_schema = 'public' and table_name in ('users', 'enrollments', 'payments', 'assets')`,
      );
      expect(tables.rows[0]?.n).toBe('4');
    } finally {
      await client.end();
    }
  }, 60_000);
});
