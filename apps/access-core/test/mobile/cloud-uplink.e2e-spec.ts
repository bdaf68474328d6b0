/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-return -- request bodies are checked by expect(), not by types */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SimulatedTerminal } from '@lanbridge/terminal-simulator';
import { TEST_DATABASE_URL } from '@lanbridge/testing';
import { startAccessCore, type RunningAccessCore } from '../../src/bootstrap';
import { ADMIN_PASSWORD, login, startSite, startTerminal, waitFor, type Api, type Site } from './mobile-harness';

type Json = Record<string, any>;

interface Received {
  readonly method: string;
  readonly path: string;
  readonly body: Json | undefined;
  readonly status: number;
  /** Item ids this request was answered as accepted. */
  readonly accepted: string[];
}

/**
 * A stand-in for the edge connector's uplink: a real HTTP server on 127.0.0.1 that records
 * every request and answers like the broker does (`{accepted: [ids]}`), or fails on demand.
 */
class FakeUplink {
  readonly received: Received[] = [];
  /** Paths (e.g. /uplink/v1/event-logs) answered 503; '*' fails everything. */
  readonly failing = new Set<string>();
  private readonly server: Server = createServer((req, res) => this.handle(req, res));
  url = '';

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/uplink`;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  ok(): Received[] {
    return this.received.filter((r) => r.status === 200);
  }

  /** Items of accepted batches to `path`. */
  items(path: string): Json[] {
    return this.ok()
      .filter((r) => r.path === `/uplink${path}`)
      .flatMap((r) => (r.body?.items ?? []) as Json[]);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const body = text ? (JSON.parse(text) as Json) : undefined;
      const path = req.url ?? '';
      const down = this.failing.has('*') || this.failing.has(path);
      const accepted = down ? [] : ((body?.items ?? []) as Json[]).map((i) => String(i.id));
      const status = down ? 503 : 200;
      this.received.push({ method: req.method ?? '', path, body, status, accepted });
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(down ? { code: 'TUNNEL_OFFLINE', message: 'no tunnel' } : { accepted }));
    });
  }
}

describe('cloud uplink: the outbox posts pushes, devices and event logs to CLOUD_UPLINK_URL', () => {
  let cloud: FakeUplink;
  let site: Site;
  let admin: Api;
  let t: SimulatedTerminal;
  let adminId: string;
  const people: Record<string, string> = {};
  let restarted: RunningAccessCore | undefined;

  const pending = async (kind?: string): Promise<number> =>
    (
      await site.pg.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM "${site.schema}".cloud_outbox ${kind ? 'WHERE kind = $1' : ''}`,
        kind ? [kind] : [],
      )
    ).rows[0].n;

  const notificationRows = async (personId: string): Promise<number> =>
    (
      await site.pg.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM "${site.schema}".notification WHERE recipient_person_id = $1`,
        [personId],
      )
    ).rows[0].n;

  async function alarm(): Promise<void> {
    await t.forceDoor(1);
    await t.closeDoor(1);
  }

  beforeAll(async () => {
    cloud = new FakeUplink();
    await cloud.start();
    site = await startSite('mobile_uplink', { CLOUD_UPLINK_URL: cloud.url });
    admin = await login(site.url, { type: 'admin', username: 'admin', password: ADMIN_PASSWORD });
    adminId = (await admin.get<Json>('/api/v1/me')).body.account.id as string;
    // A second administrator with background notifications on, a third with them off.
    for (const [username, enabled] of [
      ['day-guard', true],
      ['night-guard', false],
    ] as const) {
      const r = await site.pg.query<{ id: string }>(
        `INSERT INTO "${site.schema}".operator (username, password_hash, name, notifications_enabled)
         VALUES ($1, 'not-a-hash', $1, $2) RETURNING id`,
        [username, enabled],
      );
      people[username] = r.rows[0].id;
    }
    t = await startTerminal(site, 'MOBUPL0000001', 1);
    for (const pin of ['7301', '7302']) {
      const r = await admin.post<Json>('/api/v1/people', {
        pin,
        firstName: `P${pin}`,
        lastName: 'Uplink',
        cardNo: `${pin}0001`,
        appLoginEnabled: true,
        password: `${pin}-password`,
      });
      people[pin] = r.body.id as string;
    }
    const quiet = await login(site.url, { type: 'personnel', pin: '7302', password: '7302-password' });
    expect((await quiet.put('/api/v1/me/notifications', { enabled: false })).status).toBe(200);
    await waitFor(
      'the terminal knows the cards',
      async () => {
        await t.swipeCard('73010001', 1);
        await new Promise((r) => setTimeout(r, 500));
        return (await notificationRows(people['7301'])) > 0;
      },
      20_000,
    );
  }, 60_000);

  afterAll(async () => {
    await restarted?.close();
    await site?.stop();
    await cloud?.stop();
  });

  it('sends nothing while push to app and push data to cloud are off', async () => {
    await alarm();
    await t.swipeCard('73010001', 1);
    await new Promise((r) => setTimeout(r, 1500));
    expect(cloud.received).toEqual([]);
    expect(await pending()).toBe(0);
    expect((await admin.get<Json>('/api/v1/settings/cloud')).body).toMatchObject({
      pushToApp: false,
      pushDataToCloud: false,
      uplink: 'ok',
      pending: 0,
      lastError: null,
    });
  });

  it('sends the settings first, then pushes to the right recipients, device changes and event logs', async () => {
    const put = await admin.put<Json>('/api/v1/settings/cloud', { pushToApp: true, pushDataToCloud: true });
    expect(put.status).toBe(200);
    await waitFor(
      'settings in the cloud',
      () => Promise.resolve(cloud.ok().some((r) => r.path === '/uplink/v1/settings')),
      10_000,
    );
    expect(cloud.received[0]).toMatchObject({
      method: 'PUT',
      path: '/uplink/v1/settings',
      body: { pushToApp: true, pushDataToCloud: true },
    });

    await alarm();
    await t.swipeCard('73010001', 1); // notifications on
    await t.swipeCard('73020001', 1); // notifications off: no push
    const t2 = await startTerminal(site, 'MOBUPL0000002', 1);
    await waitFor(
      'alarm, notification, device and event logs',
      () =>
        Promise.resolve(
          cloud.items('/v1/notifications').some((i) => i.notification.type === 'alarm') &&
            cloud.items('/v1/notifications').some((i) => i.notification.type === 'notification') &&
            cloud.items('/v1/devices').some((i) => i.sn === 'MOBUPL0000002') &&
            cloud.items('/v1/event-logs').length >= 3,
        ),
      20_000,
    );
    await t2.stop();

    const alarmPush = cloud.items('/v1/notifications').find((i) => i.notification.type === 'alarm')!;
    // Known to the cloud by the alarm's id, so a push queued again for it is not sent twice.
    expect(alarmPush.id).toBe(alarmPush.notification.data.alarmId);
    expect([...alarmPush.recipients].sort()).toEqual([`admin:${adminId}`, `admin:${people['day-guard']}`].sort());
    expect(alarmPush.notification).toEqual({
      type: 'alarm',
      title: expect.stringMatching(/^Alarm: /),
      body: expect.any(String),
      data: { alarmId: expect.any(String), eventId: expect.any(String) },
      createdAt: expect.any(String),
    });
    const personal = cloud.items('/v1/notifications').filter((i) => i.notification.type === 'notification');
    expect(personal.map((i) => i.recipients)).toContainEqual([`personnel:${people['7301']}`]);
    expect(personal.flatMap((i) => i.recipients)).not.toContain(`personnel:${people['7302']}`);
    expect(Object.keys(personal[0].notification.data).sort()).toEqual(['eventId', 'notificationId']);

    const device = cloud.items('/v1/devices').find((i) => i.sn === 'MOBUPL0000002')!;
    expect(device).toEqual({
      id: expect.stringMatching(/^\d+$/),
      sn: 'MOBUPL0000002',
      name: expect.any(String),
      online: expect.any(Boolean),
      firmware: expect.any(String),
      area: expect.any(String),
      lastSeenAt: expect.any(String),
    });
    for (const item of cloud.items('/v1/event-logs')) {
      // No person data: exactly these fields.
      expect(Object.keys(item).sort()).toEqual(
        ['deviceName', 'deviceSn', 'eventCode', 'eventName', 'id', 'level', 'time'].sort(),
      );
    }
    const logged = await site.pg.query<{ id: string }>(
      `SELECT id FROM "${site.schema}".access_event WHERE device_sn = 'MOBUPL0000001' AND created_at > now() - interval '1 minute'`,
    );
    const sentIds = new Set(cloud.items('/v1/event-logs').map((i) => i.id as string));
    expect(logged.rows.some((r) => sentIds.has(r.id))).toBe(true);
    // Settings went before any data.
    expect(cloud.ok().findIndex((r) => r.path === '/uplink/v1/settings')).toBe(0);
    await waitFor('outbox empty', async () => (await pending()) === 0, 10_000);
  });

  it('retries while the endpoint fails, then delivers each item exactly once when it acknowledges', async () => {
    const before = cloud.received.length;
    cloud.failing.add('*');
    await alarm();
    await waitFor(
      'a refused delivery',
      () => Promise.resolve(cloud.received.slice(before).some((r) => r.status === 503)),
      10_000,
    );
    await waitFor(
      'status failing',
      async () => (await admin.get<Json>('/api/v1/settings/cloud')).body.uplink === 'failing',
      10_000,
    );
    const failing = (await admin.get<Json>('/api/v1/settings/cloud')).body;
    expect(failing.pending).toBeGreaterThan(0);
    expect(failing.lastError).toMatch(/503/);
    await new Promise((r) => setTimeout(r, 1500));
    cloud.failing.clear();
    await waitFor('outbox drained', async () => (await pending()) === 0, 30_000);
    await waitFor(
      'status ok',
      async () => (await admin.get<Json>('/api/v1/settings/cloud')).body.uplink === 'ok',
      10_000,
    );

    const refused = new Set(
      cloud.received
        .slice(before)
        .filter((r) => r.status === 503)
        .flatMap((r) => ((r.body?.items ?? []) as Json[]).map((i) => `${r.path}#${String(i.id)}`)),
    );
    expect(refused.size).toBeGreaterThan(0);
    const acked = cloud.ok().flatMap((r) => r.accepted.map((id) => `${r.path}#${id}`));
    // Every refused item arrived later, and nothing acknowledged was ever sent again.
    for (const item of refused) expect(acked).toContain(item);
    expect(new Set(acked).size).toBe(acked.length);
    await new Promise((r) => setTimeout(r, 1500));
    expect(cloud.ok().flatMap((r) => r.accepted.map((id) => `${r.path}#${id}`))).toEqual(acked);
  });

  it('turning data push off drops pending device/event-log items and deletes the data in the cloud', async () => {
    cloud.failing.add('/uplink/v1/event-logs');
    const before = cloud.received.length;
    await t.swipeCard('73010001', 1);
    await waitFor('event logs waiting', async () => (await pending('event-log')) > 0, 10_000);
    const stuck = new Set(
      cloud.received
        .slice(before)
        .filter((r) => r.path === '/uplink/v1/event-logs')
        .flatMap((r) => ((r.body?.items ?? []) as Json[]).map((i) => String(i.id))),
    );

    const off = await admin.put<Json>('/api/v1/settings/cloud', { pushDataToCloud: false });
    expect(off.body).toMatchObject({ pushToApp: true, pushDataToCloud: false });
    await waitFor(
      'data deleted in the cloud',
      () => Promise.resolve(cloud.ok().some((r) => r.method === 'DELETE')),
      15_000,
    );
    const tail = cloud.ok().slice(cloud.ok().findIndex((r) => r.body?.pushDataToCloud === false));
    expect(tail[0]).toMatchObject({
      method: 'PUT',
      path: '/uplink/v1/settings',
      body: { pushToApp: true, pushDataToCloud: false },
    });
    expect(tail.find((r) => r.method === 'DELETE')).toMatchObject({ path: '/uplink/v1/data' });
    expect(await pending('event-log')).toBe(0);

    cloud.failing.clear();
    const mark = cloud.received.length;
    await t.swipeCard('73010001', 1);
    await alarm();
    await waitFor(
      'the alarm push (push to app is still on)',
      () => Promise.resolve(cloud.received.slice(mark).some((r) => r.path === '/uplink/v1/notifications')),
      10_000,
    );
    await new Promise((r) => setTimeout(r, 1000));
    const later = cloud.received.slice(mark);
    expect(later.filter((r) => r.path === '/uplink/v1/event-logs' || r.path === '/uplink/v1/devices')).toEqual([]);
    for (const id of stuck) expect(cloud.items('/v1/event-logs').map((i) => i.id)).not.toContain(id);
  });

  it('keeps undelivered items across a restart', async () => {
    cloud.failing.add('*');
    const before = await notificationRows(people['7301']);
    await t.swipeCard('73010001', 1);
    await waitFor(
      'a push waiting',
      async () => (await pending('push')) > 0 && (await notificationRows(people['7301'])) > before,
      10_000,
    );
    const waiting = await site.pg.query<{ id: string }>(
      `SELECT COALESCE(payload->>'id', id::text) AS id FROM "${site.schema}".cloud_outbox WHERE kind = 'push'`,
    );
    await t.stop();
    await site.app.close();

    cloud.failing.clear();
    restarted = await startAccessCore({
      NODE_ENV: 'test',
      ACCESS_CORE_HOST: '127.0.0.1',
      ACCESS_CORE_PORT: '0',
      DATABASE_URL: TEST_DATABASE_URL,
      DATABASE_SCHEMA: site.schema,
      CLOUD_UPLINK_URL: cloud.url,
      LOG_LEVEL: 'silent',
    });
    await waitFor(
      'the waiting pushes delivered after the restart',
      () => Promise.resolve(waiting.rows.every((w) => cloud.items('/v1/notifications').some((i) => i.id === w.id))),
      15_000,
    );
    await waitFor('outbox empty', async () => (await pending()) === 0, 10_000);
  });
});
