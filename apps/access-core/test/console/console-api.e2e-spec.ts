/**
 * What the site console adds to access-core: the console served at `/` (strict CSP, the API's
 * JSON 404 kept under /api), and the admin API it needs beyond the mobile API (areas, door
 * settings, the operation log, the site name, the privacy policy text, a test mail with errors
 * that say what to fix). Every endpoint: 401 without a token, 403 for personnel, 400 with a
 * documented code for bad input.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';
import { Api, login, SmtpSink, startSite, ADMIN_PASSWORD, type Site } from '../mobile/mobile-harness';

jest.setTimeout(60_000);

describe('site console API', () => {
  let site: Site;
  let admin: Api;
  let personnel: Api;
  let consoleDir: string;
  let sink: SmtpSink;

  beforeAll(async () => {
    consoleDir = fs.mkdtempSync(path.join(os.tmpdir(), 'console-'));
    fs.mkdirSync(path.join(consoleDir, 'assets'));
    fs.writeFileSync(
      path.join(consoleDir, 'index.html'),
      '<!doctype html><title>Site console</title><div id=root></div>',
    );
    fs.writeFileSync(path.join(consoleDir, 'assets', 'index-abc123.js'), 'console.log(1)');
    sink = new SmtpSink();
    await sink.start();
    site = await startSite('console_api', { SITE_CONSOLE_DIR: consoleDir, AUTH_LOGIN_MAX_PER_ACCOUNT: '1000' });
    admin = await login(site.url, { type: 'admin', username: 'admin', password: ADMIN_PASSWORD });
    const created = await admin.post('/api/v1/people', {
      pin: 'C100',
      firstName: 'Pat',
      appLoginEnabled: true,
      password: 'personnel-pass-1',
    });
    expect(created.status).toBe(201);
    personnel = await login(site.url, { type: 'personnel', pin: 'C100', password: 'personnel-pass-1' });
  });

  afterAll(async () => {
    await site?.stop();
    await sink?.stop();
    fs.rmSync(consoleDir, { recursive: true, force: true });
  });

  describe('serving the console', () => {
    it('answers / and client routes with the app under a strict CSP', async () => {
      for (const p of ['/', '/people', '/devices', '/settings']) {
        const r = await fetch(`${site.url}${p}`);
        expect({ p, status: r.status }).toEqual({ p, status: 200 });
        expect(r.headers.get('content-type')).toContain('text/html');
        expect(await r.text()).toContain('<title>Site console</title>');
        const csp = r.headers.get('content-security-policy') ?? '';
        expect(csp).toContain("script-src 'self'");
        expect(csp).toContain("frame-ancestors 'none'");
        expect(csp).not.toMatch(/script-src[^;]*unsafe/);
        expect(r.headers.get('x-content-type-options')).toBe('nosniff');
      }
    });

    it('serves hashed assets as immutable and answers a missing file with 404', async () => {
      const js = await fetch(`${site.url}/assets/index-abc123.js`);
      expect(js.status).toBe(200);
      expect(js.headers.get('content-type')).toContain('javascript');
      expect(js.headers.get('cache-control')).toContain('immutable');
      expect((await fetch(`${site.url}/assets/nope.js`)).status).toBe(404);
      // A path that climbs out of the console's directory gets the app, never a file from outside.
      const climb = await fetch(`${site.url}/..%2f..%2f..%2fetc%2fpasswd`);
      expect(await climb.text()).toContain('<title>Site console</title>');
    });

    it('keeps the API JSON 404 for unknown /api paths, and the other API paths', async () => {
      for (const p of ['/api/nope', '/api/v1/nope', '/api']) {
        const r = await fetch(`${site.url}${p}`);
        expect({ p, status: r.status }).toEqual({ p, status: 404 });
        expect(await r.json()).toMatchObject({ code: 'NOT_FOUND' });
      }
      expect((await fetch(`${site.url}/healthz`)).headers.get('content-type')).toContain('json');
      expect((await fetch(`${site.url}/openapi.json`)).headers.get('content-type')).toContain('json');
    });
  });

  describe('areas', () => {
    it('adds, renames and deletes an area; refuses a duplicate name and deleting one in use', async () => {
      const a = await admin.post<{ id: string; name: string; devices: number }>('/api/v1/areas', { name: ' Lobby ' });
      expect(a.status).toBe(201);
      expect(a.body).toMatchObject({ name: 'Lobby', devices: 0, parentId: null });
      expect((await admin.post('/api/v1/areas', { name: 'Lobby' })).body).toMatchObject({ code: 'CONFLICT' });
      const inner = await admin.post<{ id: string }>('/api/v1/areas', { name: 'Lobby desk', parentId: a.body.id });
      expect(inner.status).toBe(201);
      const busy = await admin.call('DELETE', `/api/v1/areas/${a.body.id}`);
      expect(busy.status).toBe(409);
      expect(busy.body).toMatchObject({ code: 'CONFLICT' });
      const renamed = await admin.call('PATCH', `/api/v1/areas/${inner.body.id}`, { name: 'Front desk' });
      expect(renamed.body).toMatchObject({ name: 'Front desk' });
      const list = await admin.get<{ name: string }[]>('/api/v1/areas');
      expect(list.body.map((x) => x.name)).toEqual(expect.arrayContaining(['Lobby', 'Front desk']));
      expect((await admin.call('DELETE', `/api/v1/areas/${inner.body.id}`)).status).toBe(204);
      expect((await admin.call('DELETE', `/api/v1/areas/${a.body.id}`)).status).toBe(204);
      const log = await admin.get<{ items: { action: string }[] }>('/api/v1/operation-log?q=area.');
      expect(log.body.items.map((i) => i.action)).toEqual(
        expect.arrayContaining(['area.create', 'area.rename', 'area.delete']),
      );
    });

    it('answers bad input with 400 VALIDATION_FAILED and an unknown area with 404', async () => {
      for (const body of [
        {},
        { name: '' },
        { name: 'x'.repeat(101) },
        { name: 'a\u0000b' },
        { name: 'x', extra: 1 },
        { name: 'x', parentId: 'nope' },
      ]) {
        const r = await admin.post('/api/v1/areas', body);
        expect({ body, status: r.status, code: (r.body as { code?: string }).code }).toEqual({
          body,
          status: 400,
          code: 'VALIDATION_FAILED',
        });
      }
      expect((await admin.call('PATCH', '/api/v1/areas/not-a-uuid', { name: 'x' })).status).toBe(400);
      const missing = await admin.call('DELETE', '/api/v1/areas/00000000-0000-4000-8000-000000000000');
      expect(missing.status).toBe(404);
    });
  });

  describe('door settings', () => {
    it('renames a door and sets its lock open time; refuses out-of-range times', async () => {
      const doorId = await seedDoor(site);
      const before = await admin.get(`/api/v1/doors/${doorId}/settings`);
      expect(before.body).toMatchObject({ id: doorId, driveTimeSec: 5 });
      const r = await admin.call('PATCH', `/api/v1/doors/${doorId}/settings`, { name: 'Side gate', driveTimeSec: 8 });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ name: 'Side gate', driveTimeSec: 8 });
      for (const body of [
        { driveTimeSec: 0 },
        { driveTimeSec: 255 },
        { driveTimeSec: '5' },
        { name: '' },
        { color: 'red' },
      ]) {
        const bad = await admin.call('PATCH', `/api/v1/doors/${doorId}/settings`, body);
        expect({ body, status: bad.status, code: (bad.body as { code?: string }).code }).toEqual({
          body,
          status: 400,
          code: 'VALIDATION_FAILED',
        });
      }
    });
  });

  describe('operation log', () => {
    it('lists who did what, newest first, searchable and filtered by time', async () => {
      await admin.put('/api/v1/settings/cloud', { pushToApp: false });
      const all = await admin.get<{ items: { action: string; actor: string; at: string }[]; total: number }>(
        '/api/v1/operation-log?pageSize=100',
      );
      expect(all.status).toBe(200);
      expect(all.body.items[0]).toMatchObject({ action: 'settings.cloud.set', actor: 'operator:admin' });
      const times = all.body.items.map((i) => Date.parse(i.at));
      expect([...times].sort((a, b) => b - a)).toEqual(times);
      const person = await admin.get<{ items: { actor: string; target: string | null }[] }>(
        '/api/v1/operation-log?q=C100',
      );
      expect(person.body.items.length).toBeGreaterThan(0);
      expect(person.body.items.every((i) => `${i.actor} ${i.target}`.includes('C100'))).toBe(true);
      const future = await admin.get<{ total: number }>(
        `/api/v1/operation-log?from=${new Date(Date.now() + 3600_000).toISOString()}`,
      );
      expect(future.body.total).toBe(0);
      const bad = await admin.get('/api/v1/operation-log?from=yesterday');
      expect(bad.status).toBe(400);
      expect(bad.body).toMatchObject({ code: 'VALIDATION_FAILED' });
    });
  });

  describe('site name and privacy policy', () => {
    it('renames the site: the app and the console read the same name', async () => {
      const r = await admin.put('/api/v1/settings/site-name', { name: '  Harbour office ' });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ name: 'Harbour office' });
      expect((await admin.get('/api/v1/system/info')).body).toMatchObject({ name: 'Harbour office' });
      expect((await personnel.get('/api/v1/me')).body).toMatchObject({ organisation: { name: 'Harbour office' } });
      expect((await admin.put('/api/v1/settings/site-name', { name: '' })).body).toMatchObject({
        code: 'VALIDATION_FAILED',
      });
    });

    it('replaces the privacy policy text the app shows', async () => {
      const r = await admin.put('/api/v1/settings/privacy-policy', { text: 'Our own policy.\n\nAsk the desk.' });
      expect(r.status).toBe(200);
      const shown = await new Api(site.url).get('/api/v1/privacy-policy');
      expect(shown.body).toMatchObject({ text: 'Our own policy.\n\nAsk the desk.' });
      expect((await admin.put('/api/v1/settings/privacy-policy', { text: '' })).status).toBe(400);
      expect((await admin.put('/api/v1/settings/privacy-policy', { text: 'x'.repeat(20001) })).status).toBe(400);
    });
  });

  describe('test mail', () => {
    const test = (to = 'desk@example.test') => admin.post('/api/v1/settings/mail-server/test', { to });
    const setServer = (body: Record<string, unknown>) =>
      admin.put('/api/v1/settings/mail-server', { secure: false, from: 'Desk <desk@site.test>', ...body });

    it('says there is no mail server yet (409 MAIL_NOT_CONFIGURED)', async () => {
      await admin.call('DELETE', '/api/v1/settings/mail-server');
      const r = await test();
      expect(r.status).toBe(409);
      expect(r.body).toMatchObject({ code: 'MAIL_NOT_CONFIGURED' });
    });

    it('delivers a test mail through the saved server', async () => {
      expect((await setServer({ host: '127.0.0.1', port: sink.port })).status).toBe(200);
      const r = await test('ops@example.test');
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ sent: true, to: 'ops@example.test' });
      const mail = sink.messages.find((m) => JSON.stringify(m.to).includes('ops@example.test'));
      expect(mail?.subject).toContain('Test mail');
    });

    it('names a host that does not answer (502 MAIL_SERVER_UNREACHABLE)', async () => {
      const closed = await closedPort();
      await setServer({ host: '127.0.0.1', port: closed });
      const r = await test();
      expect(r.status).toBe(502);
      expect(r.body).toMatchObject({ code: 'MAIL_SERVER_UNREACHABLE' });
      expect(JSON.stringify(r.body)).toContain(`127.0.0.1:${closed}`);
    });

    it('names a refused password (502 MAIL_AUTH_FAILED) and never returns it', async () => {
      const strict = new SMTPServer({
        disabledCommands: ['STARTTLS'],
        allowInsecureAuth: true,
        logger: false,
        onAuth: (_auth, _session, cb) => cb(new Error('authentication failed')),
      });
      await new Promise<void>((r) => strict.listen(0, '127.0.0.1', r));
      const port = (strict.server.address() as net.AddressInfo).port;
      try {
        await setServer({ host: '127.0.0.1', port, user: 'desk', password: 'wrong-secret' });
        const r = await test();
        expect(r.status).toBe(502);
        expect(r.body).toMatchObject({ code: 'MAIL_AUTH_FAILED' });
        expect(JSON.stringify(r.body)).not.toContain('wrong-secret');
      } finally {
        await new Promise<void>((r) => strict.close(() => r()));
      }
    });

    it('names a TLS mismatch (502 MAIL_TLS_FAILED): TLS from the start against a plain server', async () => {
      await setServer({ host: '127.0.0.1', port: sink.port, secure: true, user: null, password: null });
      const r = await test();
      expect(r.status).toBe(502);
      expect(r.body).toMatchObject({ code: 'MAIL_TLS_FAILED' });
    });

    it('refuses a bad address with 400 VALIDATION_FAILED', async () => {
      for (const body of [{}, { to: 'not-an-address' }, { to: 'a@b.test', cc: 'x' }]) {
        const r = await admin.post('/api/v1/settings/mail-server/test', body);
        expect(r.status).toBe(400);
        expect(r.body).toMatchObject({ code: 'VALIDATION_FAILED' });
      }
    });
  });

  it('refuses every console endpoint without a token (401) and to personnel (403)', async () => {
    const id = '00000000-0000-4000-8000-000000000000';
    const routes: [string, string, unknown?][] = [
      ['GET', '/api/v1/areas'],
      ['POST', '/api/v1/areas', { name: 'x' }],
      ['PATCH', `/api/v1/areas/${id}`, { name: 'x' }],
      ['DELETE', `/api/v1/areas/${id}`],
      ['GET', `/api/v1/doors/${id}/settings`],
      ['PATCH', `/api/v1/doors/${id}/settings`, { name: 'x' }],
      ['GET', '/api/v1/operation-log'],
      ['POST', '/api/v1/settings/mail-server/test', { to: 'a@b.test' }],
      ['PUT', '/api/v1/settings/site-name', { name: 'x' }],
      ['PUT', '/api/v1/settings/privacy-policy', { text: 'x' }],
    ];
    const anonymous = new Api(site.url);
    for (const [method, p, body] of routes) {
      const a = await anonymous.call(method, p, body);
      expect({ method, p, status: a.status, code: (a.body as { code?: string }).code }).toEqual({
        method,
        p,
        status: 401,
        code: 'UNAUTHENTICATED',
      });
      const r = await personnel.call(method, p, body);
      expect({ method, p, status: r.status, code: (r.body as { code?: string }).code }).toEqual({
        method,
        p,
        status: 403,
        code: 'FORBIDDEN',
      });
    }
  });
});

/** A door row on an approved device, the way the PUSH registry creates them. */
async function seedDoor(site: Site): Promise<string> {
  const q = (sql: string, params: unknown[]) =>
    site.pg.query<{ id: string }>(sql.replaceAll('$S', `"${site.schema}"`), params);
  const dev = await q(
    `INSERT INTO $S.device (sn, alias, approval, door_count, reader_count) VALUES ($1, $2, 'approved', 1, 1) RETURNING id`,
    ['CONSOLE0001', 'Console test terminal'],
  );
  const door = await q(`INSERT INTO $S.door (device_id, door_no, name) VALUES ($1, 1, 'Door 1') RETURNING id`, [
    dev.rows[0].id,
  ]);
  return door.rows[0].id;
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}
