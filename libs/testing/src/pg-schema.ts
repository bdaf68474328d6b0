import crypto from 'node:crypto';
import { Client } from 'pg';

export const TEST_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';

/** A PostgreSQL schema of the suite's own in the `test` database, dropped by `drop()`. */
export async function createTestSchema(prefix: string): Promise<{ name: string; drop(): Promise<void> }> {
  if (process.env.NODE_ENV !== 'test') throw new Error('createTestSchema refuses to run outside NODE_ENV=test');
  const name = `${prefix}_${crypto.randomBytes(5).toString('hex')}`;
  const client = new Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  await client.query(`create schema "${name}"`);
  await client.end();
  return {
    name,
    async drop() {
      const c = new Client({ connectionString: TEST_DATABASE_URL });
      await c.connect();
      await c.query(`drop schema if exists "${name}" cascade`);
      await c.end();
    },
  };
}
