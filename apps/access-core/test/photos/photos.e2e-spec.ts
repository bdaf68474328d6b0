/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-return -- response bodies are checked by expect(), not by types */
/**
 * Photos (visitor, licence plate, goods, person) are stored encrypted and come back byte for
 * byte, on both databases access-core runs on: the embedded PGlite (which returns `bytea` as a
 * Uint8Array, not a Buffer) and the PostgreSQL server. PGlite cannot run inside jest's module
 * sandbox, so each database gets the built app from dist/ as a child process.
 */
import path from 'node:path';
import {
  APP_MAIN,
  createTestSchema,
  freePort,
  httpGetJson,
  spawnApp,
  tempDir,
  TEST_DATABASE_URL,
  waitFor,
  type ScratchSchema,
  type SpawnedApp,
} from '@lanbridge/testing';

const ADMIN_PASSWORD = 'photo-test-password';
// A 1×1 PNG and the first bytes of a JPEG: what a phone camera hands the app.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from('lanbridge-jpeg-payload')]);
const PLATE = Buffer.concat([JPEG, Buffer.from('-plate')]);
const GOODS = Buffer.concat([PNG, Buffer.from('goods')]);
const PERSON = Buffer.concat([JPEG, Buffer.from('-person')]);
const PERSON_2 = Buffer.concat([PNG, Buffer.from('second')]);

type Json = Record<string, any>;

const databases: [string, () => Promise<{ env: Record<string, string>; drop(): Promise<void> }>][] = [
  [
    'embedded PGlite',
    () =>
      Promise.resolve({
        env: { ACCESS_CORE_DATA_DIR: path.join(tempDir('photos-pglite'), 'db') },
        drop: async () => {},
      }),
  ],
  [
    'PostgreSQL server',
    async () => {
      const schema: ScratchSchema = await createTestSchema('ac_photos');
      return { env: { DATABASE_URL: TEST_DATABASE_URL, DATABASE_SCHEMA: schema.name }, drop: () => schema.drop() };
    },
  ],
];

describe.each(databases)('photos on %s', (_name, database) => {
  let app: SpawnedApp | undefined;
  let drop: () => Promise<void> = async () => {};
  let url = '';
  let token = '';

  const call = async (method: string, p: string, body?: unknown): Promise<{ status: number; body: Json }> => {
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
  const bytes = async (p: string): Promise<{ status: number; type: string | null; body: Buffer }> => {
    const res = await fetch(`${url}${p}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, type: res.headers.get('content-type'), body: Buffer.from(await res.arrayBuffer()) };
  };

  beforeAll(async () => {
    const db = await database();
    drop = db.drop;
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    app = spawnApp(
      'access-core',
      APP_MAIN.accessCore,
      [],
      {
        // Only what this database needs (spawn drops undefined keys of the inherited env).
        DATABASE_URL: undefined,
        DATABASE_SCHEMA: undefined,
        NODE_ENV: 'test',
        ACCESS_CORE_HOST: '127.0.0.1',
        ACCESS_CORE_PORT: String(port),
        ACCESS_CORE_ADMIN_PASSWORD: ADMIN_PASSWORD,
        LOG_LEVEL: 'warn',
        ...db.env,
      },
      { quiet: process.env.E2E_VERBOSE !== '1' },
    );
    await waitFor('access-core ready', async () => (await httpGetJson(`${url}/readyz`)).status === 200, 60_000);
    const login = await call('POST', '/api/v1/auth/login', {
      type: 'admin',
      username: 'admin',
      password: ADMIN_PASSWORD,
    });
    expect(login.status).toBe(200);
    token = login.body.accessToken as string;
  }, 90_000);

  afterAll(async () => {
    await app?.stop();
    await drop();
  });

  it('keeps the visitor, plate and goods photos of a visit', async () => {
    const host = await call('POST', '/api/v1/people', { pin: 'H100', firstName: 'Host' });
    expect(host.status).toBe(201);
    const start = new Date();
    const visit = await call('POST', '/api/v1/visits', {
      name: 'Grace Hopper',
      hostPin: 'H100',
      startAt: start.toISOString(),
      endAt: new Date(start.getTime() + 3_600_000).toISOString(),
      photo: PNG.toString('base64'),
      platePhoto: PLATE.toString('base64'),
      goodsPhoto: GOODS.toString('base64'),
    });
    expect(visit.status).toBe(201);
    const id = visit.body.id as string;
    const detail = await call('GET', `/api/v1/visits/${id}`);
    expect((detail.body.photos as Json[]).map((p) => p.kind)).toEqual(['visitor', 'plate', 'goods']);
    for (const [kind, expected, type] of [
      ['visitor', PNG, 'image/png'],
      ['plate', PLATE, 'image/jpeg'],
      ['goods', GOODS, 'image/png'],
    ] as const) {
      const photo = await bytes(`/api/v1/visits/${id}/photos/${kind}`);
      expect({ kind, status: photo.status, type: photo.type }).toEqual({ kind, status: 200, type });
      expect(photo.body.equals(expected)).toBe(true);
    }
  });

  it("keeps a person's photo, replaces and removes it, and exports it", async () => {
    const created = await call('POST', '/api/v1/people', {
      pin: 'P200',
      firstName: 'Ada',
      photo: PERSON.toString('base64'),
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect(created.body.photoUrl).toBe(`/api/v1/people/${id}/photo`);
    expect((await bytes(`/api/v1/people/${id}/photo`)).body.equals(PERSON)).toBe(true);
    expect((await call('GET', `/api/v1/people/${id}`)).body.photoUrl).toBe(`/api/v1/people/${id}/photo`);
    const exported = await call('GET', `/api/v1/people/${id}/export`);
    expect(exported.body.person.photo).toBe(PERSON.toString('base64'));

    expect((await call('PATCH', `/api/v1/people/${id}`, { photo: PERSON_2.toString('base64') })).status).toBe(200);
    const replaced = await bytes(`/api/v1/people/${id}/photo`);
    expect(replaced.type).toBe('image/png');
    expect(replaced.body.equals(PERSON_2)).toBe(true);

    const removed = await call('PATCH', `/api/v1/people/${id}`, { photo: null });
    expect(removed.body.photoUrl).toBeNull();
    expect((await bytes(`/api/v1/people/${id}/photo`)).status).toBe(404);
    expect(
      (await call('PATCH', `/api/v1/people/${id}`, { photo: Buffer.from('text').toString('base64') })).body,
    ).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: [{ field: 'photo', problems: ['must be a JPEG or PNG image'] }],
    });
  });
});
