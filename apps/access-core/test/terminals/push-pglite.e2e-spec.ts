/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are checked by expect(), not by types */
/**
 * The terminal path on the embedded PGlite database, which `npm start` runs on: approval of an
 * unknown terminal, events of a terminal whose record index restarts, and a line set aside,
 * through the built app (PGlite cannot run inside jest's module sandbox).
 */
import path from 'node:path';
import { SimulatedTerminal } from '@lanbridge/terminal-simulator';
import { APP_MAIN, freePort, httpGetJson, spawnApp, tempDir, waitFor, type SpawnedApp } from '@lanbridge/testing';

type Json = Record<string, any>;

const SN = `PGL${process.pid}`;

describe('terminals on embedded PGlite', () => {
  let app: SpawnedApp | undefined;
  let url = '';
  let token = '';
  const terminals: SimulatedTerminal[] = [];

  const api = async (method: string, p: string, body?: unknown): Promise<{ status: number; body: Json }> => {
    const res = await fetch(`${url}${p}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as Json };
  };
  const terminal = async (): Promise<SimulatedTerminal> => {
    const t = new SimulatedTerminal({ serverUrl: url, sn: SN, requestDelayMs: 100, errorDelayMs: 150 });
    t.on('error', () => undefined);
    terminals.push(t);
    await t.start();
    return t;
  };

  beforeAll(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    app = spawnApp(
      'access-core',
      APP_MAIN.accessCore,
      [],
      {
        DATABASE_URL: undefined,
        DATABASE_SCHEMA: undefined,
        NODE_ENV: 'test',
        ACCESS_CORE_HOST: '127.0.0.1',
        ACCESS_CORE_PORT: String(port),
        ACCESS_CORE_DATA_DIR: path.join(tempDir('push-pglite'), 'db'),
        ACCESS_CORE_ADMIN_PASSWORD: 'pglite-admin-password',
        PUSH_REQUEST_DELAY_SEC: '1',
        LOG_LEVEL: 'warn',
      },
      { quiet: process.env.E2E_VERBOSE !== '1' },
    );
    await waitFor('access-core ready', async () => (await httpGetJson(`${url}/readyz`)).status === 200, 90_000);
    const login = await api('POST', '/api/v1/auth/login', {
      type: 'admin',
      username: 'admin',
      password: 'pglite-admin-password',
    });
    token = login.body.accessToken as string;
  }, 120_000);

  afterAll(async () => {
    for (const t of terminals) await t.stop();
    await app?.stop();
  });

  it('holds an unknown terminal as pending, then synchronises it once approved', async () => {
    expect((await api('POST', '/api/v1/people', { pin: '501', firstName: 'Pia', cardNo: '5010001' })).status).toBe(201);
    const t = await terminal();
    let pending: Json | undefined;
    await waitFor('pending', async () => {
      pending = ((await api('GET', '/api/v1/devices?approval=pending')).body.items as Json[]).find((d) => d.sn === SN);
      return pending !== undefined;
    });
    expect(pending).toMatchObject({ approval: 'pending', model: 'F20/M', ip: expect.stringMatching(/127\.0\.0\.1/) });
    expect(t.tables.userByPinOrUndefined('501')).toBeUndefined();
    expect((await api('POST', `/api/v1/devices/${pending!.id}/approve`, { name: 'Gate' })).body.approval).toBe(
      'approved',
    );
    await t.waitOnline(20_000);
    await waitFor('synchronised', () => Promise.resolve(t.tables.userByPinOrUndefined('501') !== undefined));
  });

  it('stores the events of a terminal whose record index restarted, and sets a bad line aside', async () => {
    const [first] = terminals;
    const deviceId = ((await api('GET', '/api/v1/devices')).body.items as Json[]).find((d) => d.sn === SN)!.id;
    const alarms = async (): Promise<number> =>
      (await api('GET', `/api/v1/alarms?resource=device&resourceId=${deviceId}&pageSize=1`)).body.total as number;
    await first.swipeCard('111', 1);
    await first.swipeCard('112', 1);
    await waitFor('two alarms', async () => (await alarms()) === 2);
    await first.stop();
    const now = Math.floor(Date.now() / 1000);
    await waitFor('the next second', () => Promise.resolve(Math.floor(Date.now() / 1000) > now));
    const again = await terminal(); // index 1 again
    await again.waitOnline(20_000);
    const [ev] = await again.swipeCard('113', 1);
    expect(ev.index).toBe(1);
    await waitFor('three alarms', async () => (await alarms()) === 3);

    const bad = 'time=2024-05-01 10:00:00\tpin=1\u00002\tevent=27\tindex=77';
    const upload = await fetch(`${url}/iclock/cdata?SN=${SN}&table=rtlog`, { method: 'POST', body: `${bad}\r\n` });
    expect(await upload.text()).toBe('OK');
    const listed = (await api('GET', `/api/v1/push/rejected-lines?deviceSn=${SN}`)).body.items as Json[];
    expect(listed).toEqual([expect.objectContaining({ raw: bad, table: 'rtlog', deviceId, times: 1 })]);
    expect((await api('DELETE', `/api/v1/push/rejected-lines/${listed[0].id}`)).status).toBe(204);
    expect((await api('DELETE', `/api/v1/push/rejected-lines/${listed[0].id}`)).status).toBe(404);
  });
});
