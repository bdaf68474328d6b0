/**
 * Database errors in the log: a real QueryFailedError from the real PostgreSQL (through TypeORM,
 * as both apps use it) must not put the query's parameters, the row it failed on, or values
 * quoted in the message into the log line.
 */
import { Writable } from 'node:stream';
import { Client } from 'pg';
import { DataSource, QueryFailedError } from 'typeorm';
import { createTestSchema, TEST_DATABASE_URL, type ScratchSchema } from '@lanbridge/testing';
import { createLogger } from './logger';

const USERNAME = 'grace.hopper.secret';
const PIN = '73190042';
const CARD = '99001122334455';

function capture(): { lines: string[]; log: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { lines, log: createLogger('t', {}, stream) };
}

async function failure(run: () => Promise<unknown>): Promise<Error> {
  try {
    await run();
  } catch (err) {
    return err as Error;
  }
  throw new Error('the query did not fail');
}

describe('database errors in the log', () => {
  let schema: ScratchSchema;
  let ds: DataSource;

  beforeAll(async () => {
    schema = await createTestSchema('log_errors');
    ds = new DataSource({ type: 'postgres', url: TEST_DATABASE_URL, schema: schema.name });
    await ds.initialize();
    await ds.query(
      `CREATE TABLE "${schema.name}".account (id uuid PRIMARY KEY, username text NOT NULL,
         pin text NOT NULL CONSTRAINT uq_account_pin UNIQUE, card_no text NOT NULL)`,
    );
    await ds.query(`INSERT INTO "${schema.name}".account VALUES (gen_random_uuid(), $1, $2, $3)`, [
      USERNAME,
      PIN,
      CARD,
    ]);
  });

  afterAll(async () => {
    await ds?.destroy();
    await schema?.drop();
  });

  it('logs a unique violation with its code and constraint, without parameters, query or the failing key', async () => {
    const err = await failure(() =>
      ds.query(`INSERT INTO "${schema.name}".account VALUES (gen_random_uuid(), $1, $2, $3)`, [USERNAME, PIN, CARD]),
    );
    expect(err).toBeInstanceOf(QueryFailedError);
    // What the error itself carries (and pino's default serializer wrote out).
    expect(JSON.stringify({ ...err })).toContain(PIN);

    const { lines, log } = capture();
    log.error({ err, sn: 'X' }, 'insert failed');
    const line = lines.join('');
    const entry = JSON.parse(line) as { err: Record<string, unknown> };
    expect(entry.err).toMatchObject({
      type: 'QueryFailedError',
      code: '23505',
      constraint: 'uq_account_pin',
      table: 'account',
    });
    expect(entry.err.message).toContain('duplicate key value violates unique constraint "uq_account_pin"');
    expect(line).not.toContain(USERNAME);
    expect(line).not.toContain(PIN);
    expect(line).not.toContain(CARD);
    expect(line).not.toContain('INSERT INTO');
    expect(entry.err).not.toHaveProperty('parameters');
    expect(entry.err).not.toHaveProperty('detail');
  });

  it('blanks a value PostgreSQL quotes in its message, also as the cause of another error', async () => {
    const err = await failure(() => ds.query(`SELECT * FROM "${schema.name}".account WHERE id = $1`, [`card-${CARD}`]));
    expect(err.message).toContain(CARD);
    const wrapped = new Error('lookup failed', { cause: err });

    const { lines, log } = capture();
    log.error({ err }, 'select failed');
    log.warn({ error: wrapped }, 'wrapped');
    const out = lines.join('');
    expect(out).toContain('invalid input syntax for type uuid: \\"[redacted]\\"');
    expect(out).toContain('22P02');
    expect(out).not.toContain(CARD);
  });

  it('treats a pg driver error the same way (no detail, no row)', async () => {
    const client = new Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    try {
      const err = await failure(() =>
        client.query(`INSERT INTO "${schema.name}".account VALUES (gen_random_uuid(), $1, NULL, $2)`, [USERNAME, CARD]),
      );
      expect((err as Error & { detail?: string }).detail).toContain(CARD);
      const { lines, log } = capture();
      log.error({ err }, 'insert failed');
      const out = lines.join('');
      expect(out).toContain('23502');
      expect(out).toContain('"column":"pin"');
      expect(out).not.toContain(CARD);
      expect(out).not.toContain(USERNAME);
    } finally {
      await client.end();
    }
  });

  it('leaves other errors as pino writes them', () => {
    const { lines, log } = capture();
    const err = Object.assign(new Error('plain failure'), { attempt: 3 });
    log.error({ err }, 'plain');
    expect(JSON.parse(lines.join('')).err).toMatchObject({ type: 'Error', message: 'plain failure', attempt: 3 });
  });
});
