import { Writable } from 'node:stream';
import { Client } from 'pg';
import { createLogger, type Logger } from '@lanbridge/logging';
import { createTestSchema, TEST_DATABASE_URL } from '@lanbridge/testing';
import { startAccessCore, type RunningAccessCore } from '../../src/bootstrap';

export interface Harness {
  readonly app: RunningAccessCore;
  readonly schema: string;
  readonly pg: Client;
  readonly lines: Record<string, unknown>[];
  /** Runs SQL with the schema on the search_path. */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

export function captureLogger(): { lines: Record<string, unknown>[]; logger: Logger } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { lines, logger: createLogger('access-core', { level: 'debug' }, stream) };
}

/** access-core in-process on its own PostgreSQL schema, plus a pg client on that schema. */
export async function startHarness(env: Record<string, string> = {}): Promise<Harness> {
  const schema = await createTestSchema('ac_terminals');
  const log = captureLogger();
  const app = await startAccessCore(
    {
      NODE_ENV: 'test',
      ACCESS_CORE_HOST: '127.0.0.1',
      ACCESS_CORE_PORT: '0',
      DATABASE_URL: TEST_DATABASE_URL,
      DATABASE_SCHEMA: schema.name,
      LOG_LEVEL: 'debug',
      // The suites drive terminals of their own; approval of unknown ones has a suite of its own.
      PUSH_AUTO_ENROLL: 'true',
      ...env,
    },
    { logger: log.logger },
  );
  const pg = new Client({ connectionString: TEST_DATABASE_URL });
  await pg.connect();
  await pg.query(`SET search_path TO "${schema.name}"`);
  return {
    app,
    schema: schema.name,
    pg,
    lines: log.lines,
    async query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
      return (await pg.query(sql, params)).rows as T[];
    },
    async close() {
      await app.close();
      await pg.end();
      await schema.drop();
    },
  };
}

/** Polls `probe` until it returns a truthy value; throws with `what` after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
