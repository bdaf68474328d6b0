import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { Client } from 'pg';
import { createLogger } from '@lanbridge/logging';
import { startAccessCore, type RunningAccessCore } from './bootstrap';
import { openDatabase } from './database/data-source.factory';
import { loadAccessCoreConfig } from './config/access-core.config';

const PG_URL = 'postgres://postgres@127.0.0.1:5432/test';

function captureLogger(): { lines: Record<string, unknown>[]; logger: ReturnType<typeof createLogger> } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { lines, logger: createLogger('access-core', { level: 'debug' }, stream) };
}

async function json(res: Response): Promise<Record<string, unknown>> {
  return (await res.json()) as Record<string, unknown>;
}

const ADMIN_PASSWORD = 'e2e-admin-password';

async function adminToken(url: string): Promise<string> {
  const res = await fetch(`${url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'admin', username: 'admin', password: ADMIN_PASSWORD }),
  });
  return ((await res.json()) as { accessToken: string }).accessToken;
}

describe('access-core over HTTP against PostgreSQL', () => {
  const schema = `access_core_e2e_${randomBytes(6).toString('hex')}`;
  const pg = new Client({ connectionString: PG_URL });
  const log = captureLogger();
  let app: RunningAccessCore;
  let token = '';
  const env = (siteName: string): Record<string, string> => ({
    ACCESS_CORE_HOST: '127.0.0.1',
    ACCESS_CORE_PORT: '0',
    DATABASE_URL: PG_URL,
    DATABASE_SCHEMA: schema,
    SITE_NAME: siteName,
    ACCESS_CORE_ADMIN_PASSWORD: ADMIN_PASSWORD,
  });

  const put = (body: string, headers: Record<string, string> = {}): Promise<Response> =>
    fetch(`${app.url}/api/v1/system/name`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers },
      body,
    });

  beforeAll(async () => {
    await pg.connect();
    await pg.query(`CREATE SCHEMA "${schema}"`);
    app = await startAccessCore(env('E2E site'), { logger: log.logger });
    token = await adminToken(app.url);
  });

  afterAll(async () => {
    await app?.close();
    await pg.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pg.end();
  });

  it('answers liveness and readiness', async () => {
    const health = await fetch(`${app.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await json(health)).toEqual({ status: 'ok' });
    const ready = await fetch(`${app.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await json(ready)).toEqual({ status: 'ok', database: 'ok' });
  });

  it('ran the migration into the configured schema', async () => {
    const cols = await pg.query<{ column_name: string; data_type: string }>(
      `SELECT column_name, data_type FROM information_schema.columns
        WHERE table_schema = $1 AND table_name = 'site_setting' ORDER BY ordinal_position`,
      [schema],
    );
    expect(cols.rows).toEqual([
      { column_name: 'key', data_type: 'text' },
      { column_name: 'value', data_type: 'jsonb' },
      { column_name: 'updated_at', data_type: 'timestamp with time zone' },
    ]);
    const done = await pg.query<{ name: string }>(`SELECT name FROM "${schema}".migrations`);
    expect(done.rows.map((r) => r.name)).toEqual([
      'CreateSiteSetting1767225600000',
      'CreateAccessDomain1767312000000',
      'CreateAuthSession1767398400000',
      'MobilePath1767500000000',
      'EventFingerprint1767600000000',
      'PushRejectedLine1767610000000',
      'DeviceApproval1767620000000',
      'EventDispatch1767630000000',
    ]);
  });

  it('serves system info with the seeded name and the caller’s request id', async () => {
    const before = Date.now();
    const res = await fetch(`${app.url}/api/v1/system/info`, { headers: { 'X-Request-Id': 'req-abc.123' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('req-abc.123');
    const body = await json(res);
    expect(body).toEqual({
      name: 'E2E site',
      product: 'access-core',
      version: expect.stringMatching(/^\d+\.\d+\.\d+/),
      time: expect.any(String),
      requestId: 'req-abc.123',
    });
    const t = Date.parse(body.time as string);
    expect(new Date(t).toISOString()).toBe(body.time);
    expect(t).toBeGreaterThanOrEqual(before - 1000);
    expect(t).toBeLessThanOrEqual(Date.now() + 1000);
  });

  it('generates a request id when none (or an unsafe one) is given', async () => {
    for (const headers of [{}, { 'X-Request-Id': 'bad id\twith spaces' }] as Record<string, string>[]) {
      const res = await fetch(`${app.url}/api/v1/system/info`, { headers });
      const body = await json(res);
      expect(body.requestId).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.headers.get('x-request-id')).toBe(body.requestId);
    }
  });

  it('renames the site (trimmed), persists it, and serves the new name', async () => {
    const res = await put(JSON.stringify({ name: '  Main office  ' }));
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body).toEqual({ name: 'Main office', updatedAt: expect.any(String) });
    const info = await json(await fetch(`${app.url}/api/v1/system/info`));
    expect(info.name).toBe('Main office');
    const row = await pg.query<{ value: unknown }>(
      `SELECT value FROM "${schema}".site_setting WHERE key = 'site.name'`,
    );
    expect(row.rows).toEqual([{ value: 'Main office' }]);
  });

  it('accepts exactly 100 characters', async () => {
    const res = await put(JSON.stringify({ name: 'x'.repeat(100) }));
    expect(res.status).toBe(200);
    await put(JSON.stringify({ name: 'Main office' }));
  });

  it('rejects an unknown field with 400 VALIDATION_FAILED and changes nothing', async () => {
    const res = await put(JSON.stringify({ name: 'Other', color: 'red' }), { 'X-Request-Id': 'bad-field-1' });
    expect(res.status).toBe(400);
    const body = await json(res);
    expect(body).toEqual({
      code: 'VALIDATION_FAILED',
      message: 'property color should not exist',
      requestId: 'bad-field-1',
      details: [{ field: 'color', problems: ['property color should not exist'] }],
    });
    expect((await json(await fetch(`${app.url}/api/v1/system/info`))).name).toBe('Main office');
    const line = log.lines.find((l) => l.requestId === 'bad-field-1' && l.msg === 'request rejected');
    expect(line).toMatchObject({ code: 'VALIDATION_FAILED', status: 400, path: '/api/v1/system/name' });
  });

  it('rejects a name that is too long, blank, missing or not a string', async () => {
    for (const body of [{ name: 'x'.repeat(101) }, { name: '   ' }, {}, { name: 42 }, { name: 'a\u0007b' }]) {
      const res = await put(JSON.stringify(body));
      expect(res.status).toBe(400);
      const err = await json(res);
      expect(err.code).toBe('VALIDATION_FAILED');
      expect(err.details).toEqual([{ field: 'name', problems: expect.any(Array) }]);
    }
    const tooLong = await json(await put(JSON.stringify({ name: 'x'.repeat(101) })));
    expect(tooLong.message).toBe('name must be shorter than or equal to 100 characters');
    const arr = await put(JSON.stringify([{ name: 'x' }]));
    expect(arr.status).toBe(400);
    expect((await json(arr)).code).toBe('VALIDATION_FAILED');
  });

  it('rejects malformed JSON with 400 INVALID_JSON', async () => {
    const res = await put('{"name": ', { 'X-Request-Id': 'broken-json' });
    expect(res.status).toBe(400);
    expect(await json(res)).toEqual({
      code: 'INVALID_JSON',
      message: 'the request body is not valid JSON',
      requestId: 'broken-json',
    });
  });

  it('refuses an oversized body with 413 PAYLOAD_TOO_LARGE', async () => {
    const res = await put(JSON.stringify({ name: 'x'.repeat(200 * 1024) }));
    expect(res.status).toBe(413);
    expect(await json(res)).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', requestId: expect.any(String) });
  });

  it('answers unknown routes with a JSON 404', async () => {
    const res = await fetch(`${app.url}/api/v1/nope`);
    expect(res.status).toBe(404);
    expect(await json(res)).toMatchObject({ code: 'NOT_FOUND', requestId: expect.any(String) });
  });

  it('never leaks internals in a 500, and logs the cause once', async () => {
    await pg.query(`UPDATE "${schema}".site_setting SET value = '42' WHERE key = 'site.name'`);
    try {
      const res = await fetch(`${app.url}/api/v1/system/info`, { headers: { 'X-Request-Id': 'boom-1' } });
      expect(res.status).toBe(500);
      expect(await json(res)).toEqual({ code: 'INTERNAL', message: 'internal server error', requestId: 'boom-1' });
      const errors = log.lines.filter((l) => l.requestId === 'boom-1' && l.level === 50);
      expect(errors).toHaveLength(1);
      expect(JSON.stringify(errors[0])).toContain('site.name holds a number');
    } finally {
      await pg.query(`UPDATE "${schema}".site_setting SET value = '"Main office"' WHERE key = 'site.name'`);
    }
  });

  it('trusts X-Forwarded-For from loopback (the connector)', async () => {
    await fetch(`${app.url}/healthz`, { headers: { 'X-Forwarded-For': '203.0.113.7', 'X-Request-Id': 'fwd-1' } });
    await new Promise((r) => setTimeout(r, 50));
    const access = log.lines.find((l) => l.requestId === 'fwd-1' && l.msg === 'request');
    expect(access).toMatchObject({ ip: '203.0.113.7', status: 200 });
  });

  it('lets only an administrator rename the site (401 without a token)', async () => {
    const res = await fetch(`${app.url}/api/v1/system/name`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Taken over' }),
    });
    expect(res.status).toBe(401);
    expect(await json(res)).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect((await json(await fetch(`${app.url}/api/v1/system/info`))).name).toBe('Main office');
  });

  it('keeps the stored name across restarts (SITE_NAME seeds the first boot only)', async () => {
    await app.close();
    app = await startAccessCore(env('Another default'), { logger: log.logger });
    expect((await json(await fetch(`${app.url}/api/v1/system/info`))).name).toBe('Main office');
  });
});

describe('access-core migrations', () => {
  it('go down cleanly', async () => {
    const schema = `access_core_mig_${randomBytes(6).toString('hex')}`;
    const pg = new Client({ connectionString: PG_URL });
    await pg.connect();
    const config = loadAccessCoreConfig({ DATABASE_URL: PG_URL, DATABASE_SCHEMA: schema });
    const ds = await openDatabase(config, createLogger('t', { level: 'silent' }));
    try {
      const exists = async (table: string): Promise<boolean> =>
        (await pg.query(`SELECT to_regclass($1) AS t`, [`"${schema}".${table}`])).rows[0].t !== null;
      const mobilePath = ['stream_event', 'stream_cursor', 'idempotency_record', 'cloud_outbox'];
      const tables = ['site_setting', 'device', 'access_event', 'auth_session', ...mobilePath];
      for (const t of [...tables, 'push_rejected_line', 'event_dispatch', 'cloud_outbox_rejected'])
        expect(await exists(t)).toBe(true);
      const columns = async (table: string): Promise<string[]> =>
        (
          await pg.query<{ column_name: string }>(
            'SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2',
            [schema, table],
          )
        ).rows.map((r) => r.column_name);
      // Newest first, each migration's down undoes exactly its up.
      expect(await columns('stream_event')).toContain('key');
      await ds.undoLastMigration({ transaction: 'each' });
      expect(await exists('event_dispatch')).toBe(false);
      expect(await exists('cloud_outbox_rejected')).toBe(false);
      expect(await columns('stream_event')).not.toContain('key');
      expect(await exists('push_rejected_line')).toBe(true);
      await ds.undoLastMigration({ transaction: 'each' });
      expect(await columns('device')).not.toContain('approval');
      await ds.undoLastMigration({ transaction: 'each' });
      expect(await exists('push_rejected_line')).toBe(false);
      await ds.undoLastMigration({ transaction: 'each' });
      expect(await columns('access_event')).not.toContain('fingerprint');
      await ds.undoLastMigration({ transaction: 'each' });
      for (const t of mobilePath) expect(await exists(t)).toBe(false);
      expect(await exists('auth_session')).toBe(true);
      await ds.undoLastMigration({ transaction: 'each' });
      expect(await exists('auth_session')).toBe(false);
      expect(await exists('device')).toBe(true);
      await ds.undoLastMigration({ transaction: 'each' });
      expect(await exists('device')).toBe(false);
      expect(await exists('access_event')).toBe(false);
      expect(await exists('site_setting')).toBe(true);
      await ds.undoLastMigration({ transaction: 'each' });
      expect(await exists('site_setting')).toBe(false);
    } finally {
      await ds.destroy();
      await pg.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await pg.end();
    }
  });
});
