/**
 * First contacts that race: terminals call `registry` (or, for attendance firmware, the `cdata`
 * handshake) several times at once, as a terminal retrying after a timeout or a burst of new
 * terminals does. Every call is answered 200 with the same RegistryCode, and the site holds one
 * device row with one set of doors and readers per serial number. On the PostgreSQL server
 * (in-process) and on embedded PGlite (the built app, which `npm start` runs on).
 */
import path from 'node:path';
import { APP_MAIN, freePort, httpGetJson, spawnApp, tempDir, waitFor, type SpawnedApp } from '@lanbridge/testing';
import { startHarness, type Harness } from './harness';

const PARALLEL = 20;
const REGISTRY_BODY =
  '~DeviceName=F20/M,FirmVer=AC Ver 5.7.8,LockCount=4,ReaderCount=8,PushVersion=3.1.2,MachineType=101';

interface Answer {
  readonly status: number;
  readonly body: string;
}

async function registry(url: string, sn: string): Promise<Answer> {
  const res = await fetch(`${url}/iclock/registry?SN=${sn}`, { method: 'POST', body: REGISTRY_BODY });
  return { status: res.status, body: await res.text() };
}

async function attendanceHandshake(url: string, sn: string): Promise<Answer> {
  const res = await fetch(`${url}/iclock/cdata?SN=${sn}&options=all&pushver=2.4.1&LockCount=2`);
  return { status: res.status, body: await res.text() };
}

const codeOf = (a: Answer): string | undefined => /RegistryCode=(\S*)/.exec(a.body)?.[1];

interface Rows {
  readonly devices: number;
  readonly doors: number;
  /** Readers, where the database can be read directly (not through the API). */
  readonly readers?: number;
}

interface Target {
  readonly url: string;
  rowsOf(sn: string): Promise<Rows>;
  /** Root areas named "Default area". */
  defaultAreas(): Promise<number>;
  done(): Promise<void>;
}

function raceSuite(label: string, setup: () => Promise<Target>): void {
  describe(label, () => {
    let t: Target;
    const prefix = `R${process.pid}${label.slice(0, 2).toUpperCase()}`;

    beforeAll(async () => {
      t = await setup();
    }, 120_000);
    afterAll(() => t?.done());

    /** One device row with `doors` doors (and `readers` readers where they can be counted). */
    const expectOneDevice = async (sn: string, doors: number, readers: number): Promise<void> => {
      const rows = await t.rowsOf(sn);
      expect(rows).toEqual(rows.readers === undefined ? { devices: 1, doors } : { devices: 1, doors, readers });
    };

    it(`answers ${PARALLEL} parallel registries of one new terminal 200 with one RegistryCode and one device`, async () => {
      const sn = `${prefix}ONE`;
      const answers = await Promise.all(Array.from({ length: PARALLEL }, () => registry(t.url, sn)));
      expect(answers.map((a) => a.status)).toEqual(Array(PARALLEL).fill(200));
      const codes = new Set(answers.map(codeOf));
      expect(codes.size).toBe(1);
      expect([...codes][0]).toMatch(/^\w{10}$/);
      await expectOneDevice(sn, 4, 8);
    });

    it(`answers ${PARALLEL} parallel registries of as many new terminals 200, one device each`, async () => {
      const sns = Array.from({ length: PARALLEL }, (_, i) => `${prefix}M${i}`);
      const answers = await Promise.all(sns.map((sn) => registry(t.url, sn)));
      expect(answers.map((a) => a.status)).toEqual(Array(PARALLEL).fill(200));
      for (const sn of sns) await expectOneDevice(sn, 4, 8);
      // All of them land in the one default area.
      expect(await t.defaultAreas()).toBe(1);
    });

    it(`answers ${PARALLEL} parallel first handshakes of attendance firmware 200, one device`, async () => {
      const sn = `${prefix}ATT`;
      const answers = await Promise.all(Array.from({ length: PARALLEL }, () => attendanceHandshake(t.url, sn)));
      expect(answers.map((a) => a.status)).toEqual(Array(PARALLEL).fill(200));
      expect(answers.every((a) => a.body.includes(`GET OPTION FROM: ${sn}`))).toBe(true);
      await expectOneDevice(sn, 2, 2);
    });

    it('hands one RegistryCode to parallel registries of a known terminal that reports more doors', async () => {
      const sn = `${prefix}AGAIN`;
      const first = await fetch(`${t.url}/iclock/registry?SN=${sn}`, { method: 'POST', body: 'LockCount=1' });
      expect(first.status).toBe(200);
      const answers = await Promise.all(Array.from({ length: PARALLEL }, () => registry(t.url, sn)));
      expect(answers.map((a) => a.status)).toEqual(Array(PARALLEL).fill(200));
      expect(new Set(answers.map(codeOf))).toEqual(new Set([codeOf({ status: 200, body: await first.text() })]));
      await expectOneDevice(sn, 4, 7);
    });
  });
}

raceSuite('PostgreSQL', async () => {
  const h: Harness = await startHarness();
  const count = async (sql: string, params: unknown[]): Promise<number> =>
    Number((await h.query<{ n: string }>(`SELECT count(*) AS n FROM ${sql}`, params))[0].n);
  return {
    url: h.app.url,
    rowsOf: async (sn) => ({
      devices: await count('device WHERE sn = $1', [sn]),
      doors: await count('door WHERE device_id IN (SELECT id FROM device WHERE sn = $1)', [sn]),
      readers: await count(
        'reader WHERE door_id IN (SELECT r.id FROM door r JOIN device d ON d.id = r.device_id WHERE d.sn = $1)',
        [sn],
      ),
    }),
    defaultAreas: () => count(`area WHERE name = 'Default area' AND parent_id IS NULL`, []),
    done: () => h.close(),
  };
});

raceSuite('PGlite', async () => {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const app: SpawnedApp = spawnApp(
    'access-core',
    APP_MAIN.accessCore,
    [],
    {
      DATABASE_URL: undefined,
      DATABASE_SCHEMA: undefined,
      NODE_ENV: 'test',
      ACCESS_CORE_HOST: '127.0.0.1',
      ACCESS_CORE_PORT: String(port),
      ACCESS_CORE_DATA_DIR: path.join(tempDir('registry-race'), 'db'),
      ACCESS_CORE_ADMIN_PASSWORD: 'pglite-admin-password',
      PUSH_AUTO_ENROLL: 'true',
      LOG_LEVEL: 'warn',
    },
    { quiet: process.env.E2E_VERBOSE !== '1' },
  );
  await waitFor('access-core ready', async () => (await httpGetJson(`${url}/readyz`)).status === 200, 90_000);
  const login = await fetch(`${url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'admin', username: 'admin', password: 'pglite-admin-password' }),
  });
  const token = ((await login.json()) as { accessToken: string }).accessToken;
  // The embedded database belongs to the app's process: rows are read through the API.
  const list = async (p: string): Promise<Record<string, unknown>[]> => {
    const res = await fetch(`${url}${p}`, { headers: { authorization: `Bearer ${token}` } });
    return ((await res.json()) as { items: Record<string, unknown>[] }).items;
  };
  return {
    url,
    rowsOf: async (sn) => {
      const devices = (await list('/api/v1/devices?pageSize=100')).filter((d) => d.sn === sn);
      const ids = new Set(devices.map((d) => d.id));
      const doors = (await list(`/api/v1/doors?pageSize=100&q=${sn}`)).filter((d) => ids.has(d.deviceId));
      return { devices: devices.length, doors: doors.length };
    },
    defaultAreas: async () =>
      new Set(
        (await list('/api/v1/devices?pageSize=100')).filter((d) => String(d.sn).startsWith('R')).map((d) => d.areaId),
      ).size,
    done: () => app.stop(),
  };
});
