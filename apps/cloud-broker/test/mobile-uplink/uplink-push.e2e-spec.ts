// Site → cloud through real processes from dist/: access-core's outbox calls are made by the
// test against a real edge connector's /uplink, which relays them on connector-opened streams to
// a real broker; notifications come out as Web Push at a local push service that decrypts them.
// Run once with REDIS_URL (BullMQ) and once without (in-process queue).
import { randomBytes } from 'node:crypto';
import { TEST_DATABASE_URL } from '@lanbridge/testing';
import { Queue } from 'bullmq';
import { Client } from 'pg';
import {
  dropRedisPrefix,
  LocalPushService,
  notificationItem,
  sleep,
  type SpawnedSite,
  type SpawnedStack,
  startSpawnedStack,
  type TestSubscription,
  waitUntil,
} from './support';

const REDIS_URL = 'redis://127.0.0.1:6379';
const RETRY_BASE_MS = 150;

async function call(
  url: string,
  method: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown> & unknown[] }> {
  const res = await fetch(url, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

describe.each<{ queue: 'bullmq' | 'in-process'; env: Record<string, string> }>([
  { queue: 'bullmq', env: { REDIS_URL } },
  { queue: 'in-process', env: {} },
])('uplink and push through a real connector and broker ($queue queue)', ({ queue, env }) => {
  const prefix = `lbtest-${randomBytes(4).toString('hex')}`;
  const push = new LocalPushService();
  const pg = new Client({ connectionString: TEST_DATABASE_URL });
  let stack: SpawnedStack;
  let a: SpawnedSite;
  let b: SpawnedSite;

  const uplink = (site: SpawnedSite, path: string, body?: unknown, method = 'POST') =>
    call(`${site.connectorUrl}/uplink${path}`, method, body);
  const api = (site: SpawnedSite, who: string, method: string, path: string, body?: unknown) => {
    const [role, sub] = who.split(':') as ['admin' | 'personnel', string];
    return call(`${stack.brokerUrl}/api/v1/push${path}`, method, body, {
      authorization: `Bearer ${site.site.accessToken(role, sub)}`,
    });
  };
  async function subscribe(site: SpawnedSite, who: string): Promise<TestSubscription & { id: string }> {
    const sub = push.subscription();
    let r = await api(site, who, 'POST', '/subscriptions', { endpoint: sub.endpoint, keys: sub.keys });
    // The broker remembers "no site key yet" for 2 s; the test wrote the key straight into the
    // database, so a lookup made just before may still answer 503 SITE_KEY_UNAVAILABLE.
    for (let i = 0; i < 30 && r.status === 503; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      r = await api(site, who, 'POST', '/subscriptions', { endpoint: sub.endpoint, keys: sub.keys });
    }
    expect(r.status).toBe(201);
    return Object.assign(sub, { id: r.body.id as string });
  }
  const count = async (table: string, orgId: string): Promise<number> =>
    Number(
      (await pg.query(`SELECT count(*) AS n FROM "${stack.schema}"."${table}" WHERE "org_id" = $1`, [orgId])).rows[0].n,
    );

  beforeAll(async () => {
    await pg.connect();
    await push.start();
    stack = await startSpawnedStack({
      ...env,
      PUSH_QUEUE_PREFIX: prefix,
      PUSH_RETRY_BASE_MS: String(RETRY_BASE_MS),
      // The local push service is plain http on loopback: listed by host and port, test setting on.
      PUSH_ENDPOINT_HOSTS: new URL(push.url).host,
      PUSH_ENDPOINT_ALLOW_INSECURE: 'true',
    });
    a = await stack.addSite(`org-a-${randomBytes(3).toString('hex')}`);
    b = await stack.addSite(`org-b-${randomBytes(3).toString('hex')}`);
  }, 90_000);

  afterAll(async () => {
    await stack?.stop();
    await push.stop();
    await pg.end();
    if (queue === 'bullmq') await dropRedisPrefix(REDIS_URL, prefix);
  }, 60_000);

  it('publishes the VAPID key the deliveries are signed with', async () => {
    const r = await call(`${stack.brokerUrl}/api/v1/push/config`, 'GET');
    expect(r.status).toBe(200);
    expect(Buffer.from(r.body.vapidPublicKey as string, 'base64url')).toHaveLength(65);
  });

  it('relays a notification from the site to the subscribed device, encrypted for it alone', async () => {
    const admin = await subscribe(a, 'admin:1');
    const guard = await subscribe(a, 'personnel:7');
    const item = notificationItem(1001, ['admin:1']);
    const r = await uplink(a, '/v1/notifications', { items: [item] });
    expect(r).toEqual({ status: 200, body: { accepted: [1001] } });
    await waitUntil('the push', () => admin.received.length === 1);
    const got = admin.received[0];
    expect(got.message).toEqual({ v: 1, id: '1001', orgId: a.orgId, notification: item.notification });
    expect(got.headers['content-encoding']).toBe('aes128gcm');
    expect(got.headers.urgency).toBe('high');
    expect(Number(got.headers.ttl)).toBeGreaterThan(0);
    const vapid = (await call(`${stack.brokerUrl}/api/v1/push/config`, 'GET')).body.vapidPublicKey as string;
    expect(got.headers.authorization).toMatch(new RegExp(`^vapid t=[\\w-]+\\.[\\w-]+\\.[\\w-]+, k=${vapid}$`));
    await sleep(300);
    expect(guard.attempts).toHaveLength(0);
  });

  it('accepts a redelivered batch again without sending it twice', async () => {
    const admin = await subscribe(a, 'admin:2');
    const batch = { items: [notificationItem('evt-2001', ['admin:2']), notificationItem('evt-2002', ['admin:2'])] };
    expect((await uplink(a, '/v1/notifications', batch)).body).toEqual({ accepted: ['evt-2001', 'evt-2002'] });
    // The site lost the answer and sends the same batch once more.
    expect((await uplink(a, '/v1/notifications', batch)).body).toEqual({ accepted: ['evt-2001', 'evt-2002'] });
    await waitUntil('both pushes', () => admin.received.length === 2);
    await sleep(4 * RETRY_BASE_MS);
    expect(admin.attempts.map((p) => (p.message as { id: string }).id).sort()).toEqual(['evt-2001', 'evt-2002']);
  });

  it('retries with exponential backoff while the push service fails, then delivers', async () => {
    const admin = await subscribe(a, 'admin:3');
    admin.script.push(500, 500);
    await uplink(a, '/v1/notifications', { items: [notificationItem(3001, ['admin:3'])] });
    await waitUntil('delivery after two failures', () => admin.received.length === 1);
    expect(admin.attempts).toHaveLength(3);
    const [t0, t1, t2] = admin.attempts.map((p) => p.at) as [number, number, number];
    expect(t1 - t0).toBeGreaterThanOrEqual(RETRY_BASE_MS * 0.9);
    expect(t2 - t1).toBeGreaterThanOrEqual(2 * RETRY_BASE_MS * 0.9);
    expect((admin.received[0].message as { id: string }).id).toBe('3001');
  });

  it('gives up after 5 attempts (dead letter) and keeps the subscription', async () => {
    const admin = await subscribe(a, 'admin:4');
    admin.script.push(500, 500, 500, 500, 500, 500, 500);
    await uplink(a, '/v1/notifications', { items: [notificationItem(4001, ['admin:4'])] });
    await waitUntil('five attempts', () => admin.attempts.length === 5, 20_000);
    await sleep(32 * RETRY_BASE_MS);
    expect(admin.attempts).toHaveLength(5);
    expect(admin.received).toHaveLength(0);
    const mine = await api(a, 'admin:4', 'GET', '/subscriptions');
    expect((mine.body as unknown as { id: string }[]).map((s) => s.id)).toEqual([admin.id]);
    if (queue === 'bullmq') {
      const dead = new Queue('lanbridge-push-dead', { connection: { url: REDIS_URL }, prefix });
      try {
        await waitUntil('the dead-letter job', async () => (await dead.getJobCounts('waiting')).waiting === 1);
        const [job] = await dead.getJobs(['waiting']);
        expect(job?.id).toBe(`${a.orgId}:4001:${admin.id}`);
        expect(job?.data).toMatchObject({ eventId: '4001', attempts: 5, reason: 'push service answered 500' });
      } finally {
        await dead.close();
      }
    }
  });

  it('deletes a subscription the push service reports gone (410)', async () => {
    const admin = await subscribe(a, 'admin:5');
    push.expire(admin);
    await uplink(a, '/v1/notifications', { items: [notificationItem(5001, ['admin:5'])] });
    await waitUntil('the subscription to be deleted', async () => {
      const r = await api(a, 'admin:5', 'GET', '/subscriptions');
      return (r.body as unknown as unknown[]).length === 0;
    });
    expect(admin.attempts).toHaveLength(1);
  });

  it("never delivers one organisation's notification to another's subscribers", async () => {
    const inA = await subscribe(a, 'admin:9');
    const inB = await subscribe(b, 'admin:9');
    await uplink(b, '/v1/notifications', { items: [notificationItem(9001, ['admin:9'])] });
    await waitUntil("org B's push", () => inB.received.length === 1);
    expect((inB.received[0].message as { orgId: string }).orgId).toBe(b.orgId);
    await sleep(500);
    expect(inA.attempts).toHaveLength(0);
    // A token of organisation A does not reach B's subscription either.
    expect((await api(a, 'admin:9', 'DELETE', `/subscriptions/${inB.id}`)).status).toBe(404);
    expect((await api(b, 'admin:9', 'GET', '/subscriptions')).body).toHaveLength(1);
  });

  it('refuses device and event-log data while the site does not push data (409), stores and deletes it after', async () => {
    const devices = {
      items: [
        {
          sn: 'CKJG201',
          name: 'Gate 1',
          online: true,
          firmware: 'ZAM180-1.2',
          area: 'Lobby',
          lastSeenAt: new Date().toISOString(),
        },
      ],
    };
    const logs = {
      items: [1, 2, 3].map((i) => ({
        id: 7000 + i,
        time: new Date(Date.now() - i * 1000).toISOString(),
        deviceSn: 'CKJG201',
        deviceName: 'Gate 1',
        eventCode: 0,
        eventName: 'Normal verify open',
        level: 'info',
      })),
    };
    expect(await uplink(a, '/v1/settings', { pushToApp: true, pushDataToCloud: false }, 'PUT')).toEqual({
      status: 200,
      body: { pushToApp: true, pushDataToCloud: false },
    });
    const refused = await uplink(a, '/v1/devices', devices);
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('CLOUD_DATA_DISABLED');
    expect((await uplink(a, '/v1/event-logs', logs)).status).toBe(409);
    expect(await count('cloud_device', a.orgId)).toBe(0);
    expect(await count('cloud_event_log', a.orgId)).toBe(0);

    await uplink(a, '/v1/settings', { pushToApp: true, pushDataToCloud: true }, 'PUT');
    expect(await uplink(a, '/v1/devices', devices)).toEqual({ status: 200, body: { accepted: ['CKJG201'] } });
    expect(await uplink(a, '/v1/event-logs', logs)).toEqual({ status: 200, body: { accepted: [7001, 7002, 7003] } });
    // Redelivered logs are accepted and stored once.
    expect((await uplink(a, '/v1/event-logs', logs)).status).toBe(200);
    expect(await count('cloud_device', a.orgId)).toBe(1);
    expect(await count('cloud_event_log', a.orgId)).toBe(3);
    expect(await count('cloud_event_log', b.orgId)).toBe(0);

    expect(await uplink(a, '/v1/data', undefined, 'DELETE')).toEqual({
      status: 200,
      body: { deleted: { devices: 1, eventLogs: 3 } },
    });
    expect(await count('cloud_device', a.orgId)).toBe(0);
    expect(await count('cloud_event_log', a.orgId)).toBe(0);
  });

  it('answers bad requests on the stream only; the tunnel stays up', async () => {
    const bad = await fetch(`${a.connectorUrl}/uplink/v1/notifications`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"items": [',
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { code: string }).code).toBe('UPLINK_INVALID_JSON');
    const envelope = await uplink(a, '/v1/notifications', { items: 'nope' });
    expect(envelope.status).toBe(400);
    expect(envelope.body.code).toBe('UPLINK_VALIDATION_FAILED');
    // One malformed item is left out and named; the others go through.
    const admin = await subscribe(a, 'admin:6');
    const mixed = await uplink(a, '/v1/notifications', {
      items: [{ id: 'x:y', recipients: [], notification: {} }, notificationItem(6001, ['admin:6'])],
    });
    expect(mixed.status).toBe(200);
    expect(mixed.body.accepted).toEqual([6001]);
    expect(mixed.body.rejected).toEqual([
      { index: 0, problems: expect.arrayContaining([expect.stringContaining('items[0].id')]) },
    ]);
    await waitUntil('the good one', () => admin.received.length === 1);
    const status = await call(`${a.connectorUrl}/status`, 'GET');
    expect(status.body).toMatchObject({ online: true, reconnects: 0 });
  });
});
