import crypto from 'node:crypto';
import { Client } from 'pg';

export const TEST_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';

export interface ScratchSchema {
  readonly name: string;
  drop(): Promise<void>;
}

async function run(url: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A fresh PostgreSQL schema `<prefix>_<random>` in the database at `url`, dropped by `drop()`. */
export async function createScratchSchema(url: string, prefix: string): Promise<ScratchSchema> {
  const name = `${prefix}_${crypto.randomBytes(5).toString('hex')}`;
  await run(url, `create schema "${name}"`);
  return { name, drop: () => run(url, `drop schema if exists "${name}" cascade`) };
}

/** A PostgreSQL schema of the suite's own in the `test` database, dropped by `drop()`. */
export async function createTestSchema(prefix: string): Promise<ScratchSchema> {
  if (process.env.NODE_ENV !== 'test') throw new Error('createTestSchema refuses to run outside NODE_ENV=test');
  return createScratchSchema(TEST_DATABASE_URL, prefix);
}
