/* eslint-disable @typescript-eslint/no-explicit-any -- stream messages and bodies are checked by expect(), not by types */
/**
 * An alarm stored just before access-core dies is not lost: a terminal's upload of alarm lines
 * is answered OK, access-core is killed with SIGKILL at once, and after the restart every one
 * of those alarms is in the live stream's log (a client resuming from the last id it had gets
 * each exactly once), in the administrators' notifications once, and queued for the cloud.
 * The real process from dist/ on a PostgreSQL schema of its own.
 */
import { Client } from 'pg';
import {
  createTestSchema,
  freePort,
  APP_MAIN,
  httpGetJson,
  spawnApp,
  TEST_DATABASE_URL,
  waitFor,
} from '@lanbridge/testing';
import type { ScratchSchema, SpawnedApp } from '@lanbridge/testing';
import { StreamClient } from '../mobile/mobile-harness';

type Json = Record<string, any>;

const SN = `CRASH${process.pid}`;
const PASSWORD = 'crash-admin-password';
const LINES = 12;

describe('alarms across a kill -9 of access-core', () => {
  let schema: ScratchSchema;
  let pg: Client;
  let app: SpawnedApp | undefined;
  let url = '';
  let env: Record<string, string | undefined> = {};
  const clients: StreamClient[] = [];

  const start = async (): Promise<void> => {
    app = spawnApp('access-core', APP_MAIN.accessCore, [], env, { quiet: process.env.E2E_VERBOSE !== '1' });
    await waitFor('access-core ready', async () => (await httpGetJson(`${url}/readyz`)).status === 200, 60_000);
  };
  const login = async (): Promise<string> => {
    const res = await fetch(`${url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'admin', username: 'admin', password: PASSWORD }),
    });
    return ((await res.json()) as { accessToken: string }).accessToken;
  };
  const sql = async <T = Json>(text: string, params: unknown[] = []): Promise<T[]> =>
    (await pg.query(text, params)).rows as T[];

  beforeAll(async () => {
    schema = await createTestSchema('ac_crash');
    pg = new Client({ connectionString: TEST_DATABASE_URL });
    await pg.connect();
    await pg.query(`SET search_path TO "${schema.name}"`);
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    env = {
      NODE_ENV: 'test',
      ACCESS_CORE_HOST: '127.0.0.1',
      ACCESS_CORE_PORT: String(port),
      DATABASE_URL: TEST_DATABASE_URL,
      DATABASE_SCHEMA: schema.name,
      ACCESS_CORE_ADMIN_PASSWORD: PASSWORD,
      PUSH_AUTO_ENROLL: 'true',
      // Nothing listens there: what is queued for the cloud stays in the outbox to be counted.
      CLOUD_UPLINK_URL: `http://127.0.0.1:${await freePort()}/uplink`,
      LOG_LEVEL: 'warn',
    };
    await start();
  }, 90_000);

  afterAll(async () => {
    for (const c of clients) c.close();
    await app?.stop('SIGKILL');
    await pg.end();
    await schema.drop();
  });

  it('publishes, notifies and queues for the cloud, once, every alarm and notification of lines answered OK before the kill', async () => {
    let token = await login();
    const settings = await fetch(`${url}/api/v1/settings/cloud`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ pushToApp: true }),
    });
    expect(settings.status).toBe(200);
    const registry = await fetch(`${url}/iclock/registry?SN=${SN}`, { method: 'POST', body: 'LockCount=1' });
    expect(registry.status).toBe(200);
    // A person whose own access (a normal event) becomes a notification for them.
    const person = await fetch(`${url}/api/v1/people`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ pin: '8801', firstName: 'Nora', lastName: 'Crash', cardNo: '88010001' }),
    });
    expect(person.status).toBe(201);
    const personId = ((await person.json()) as { id: string }).id;

    // A client on the stream, live from now.
    const before = await StreamClient.open(url, token, 'protocol');
    clients.push(before);
    before.ws.send(JSON.stringify({ type: 'resume' }));
    await waitFor('resumed', () => Promise.resolve(before.of('resumed').length === 1), 10_000);

    // Unknown cards: event 27, an exception, an alarm each.
    const cards = Array.from({ length: LINES }, (_, i) => `77${process.pid % 10_000}${String(i).padStart(3, '0')}`);
    const personLine = `time=2026-01-05 10:01:00\tpin=8801\tcardno=88010001\teventaddr=1\tevent=0\tinoutstatus=0\tverifytype=1\tindex=${LINES + 1}`;
    const body = [
      ...cards.map(
        (card, i) =>
          `time=2026-01-05 10:00:${String(i).padStart(2, '0')}\tpin=0\tcardno=${card}\teventaddr=1\tevent=27\tinoutstatus=0\tverifytype=1\tindex=${i + 1}`,
      ),
      personLine,
    ].join('\r\n');
    const upload = await fetch(`${url}/iclock/cdata?SN=${SN}&table=rtlog`, { method: 'POST', body: `${body}\r\n` });
    const answer = await upload.text();
    app!.child.kill('SIGKILL');
    expect(answer).toBe('OK');
    await app!.stop();

    const stored = await sql<{ id: string; card_no: string }>(
      `SELECT a.id::text, e.card_no FROM alarm a JOIN access_event e ON e.id = a.event_id WHERE e.device_sn = $1`,
      [SN],
    );
    expect(stored.map((r) => r.card_no).sort()).toEqual([...cards].sort());
    const alarmIds = stored.map((r) => r.id).sort();

    await start();
    token = await login();
    const lastId = before
      .of('alarm')
      .map((m) => m.id as string)
      .reduce((max, id) => (BigInt(id) > BigInt(max) ? id : max), before.of('resumed')[0].after as string);
    const after = await StreamClient.open(url, token, 'protocol');
    clients.push(after);
    after.ws.send(JSON.stringify({ type: 'resume', after: lastId }));
    const received = (): string[] =>
      [...before.of('alarm'), ...after.of('alarm')].map((m) => (m.data as Json).id as string);
    await waitFor('every alarm on the stream', () => Promise.resolve(new Set(received()).size >= LINES), 30_000);
    // A moment more for any second copy to show.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(received().sort()).toEqual(alarmIds);

    // In the log once each, and in the administrator's notifications once each.
    const logged = await sql<{ id: string }>(
      `SELECT data->>'id' AS id FROM stream_event WHERE type = 'alarm' ORDER BY id`,
    );
    expect(logged.map((r) => r.id).sort()).toEqual(alarmIds);
    await waitFor('notifications stored', async () => {
      const n = await sql<{ n: number }>(`SELECT count(*)::int AS n FROM notification WHERE kind = 'alarm'`);
      return n[0].n >= LINES;
    });
    const notified = await sql<{ event_id: string; n: number }>(
      `SELECT event_id::text, count(*)::int AS n FROM notification WHERE kind = 'alarm' GROUP BY event_id`,
    );
    expect(notified).toHaveLength(LINES);
    expect(notified.every((r) => r.n === 1)).toBe(true);
    // Queued for the cloud (nothing listens at CLOUD_UPLINK_URL, so the rows stay).
    await waitFor('pushes queued', async () => {
      const rows = await sql<{ alarm: string }>(
        `SELECT DISTINCT payload->'notification'->'data'->>'alarmId' AS alarm FROM cloud_outbox WHERE kind = 'push' AND payload->'notification'->>'type' = 'alarm'`,
      );
      return rows.length >= LINES;
    });
    const queued = await sql<{ alarm: string }>(
      `SELECT payload->'notification'->'data'->>'alarmId' AS alarm FROM cloud_outbox WHERE kind = 'push' AND payload->'notification'->>'type' = 'alarm'`,
    );
    expect(new Set(queued.map((r) => r.alarm))).toEqual(new Set(alarmIds));
    // The person's notification: stored once, in the log once, queued for the cloud.
    await waitFor('the person notified', async () => {
      const n = await sql<{ n: number }>(`SELECT count(*)::int AS n FROM notification WHERE recipient_person_id = $1`, [
        personId,
      ]);
      return n[0].n >= 1;
    });
    expect(await sql(`SELECT id FROM notification WHERE recipient_person_id = $1`, [personId])).toHaveLength(1);
    expect(
      await sql(`SELECT id FROM stream_event WHERE type = 'notification' AND audience @> $1::jsonb`, [
        JSON.stringify({ personIds: [personId] }),
      ]),
    ).toHaveLength(1);
    await waitFor('the person push queued', async () => {
      const rows = await sql(`SELECT id FROM cloud_outbox WHERE kind = 'push' AND payload->'recipients' ? $1`, [
        `personnel:${personId}`,
      ]);
      return rows.length >= 1;
    });
    // Nothing left to follow up.
    await waitFor('follow-up finished', async () => (await sql(`SELECT 1 FROM event_dispatch`)).length === 0);
  });
});
