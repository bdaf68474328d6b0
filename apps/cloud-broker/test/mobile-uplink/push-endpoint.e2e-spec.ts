// Web Push cannot be turned against the broker's own network (SSRF): subscriptions to endpoints
// off the push-service allowlist, on plain http, or on names that resolve to non-public addresses
// are refused with 400 PUSH_ENDPOINT_NOT_ALLOWED; at send time the address is checked again and
// the connection goes to the checked address only, and redirects are not followed. Real HTTP
// servers on 127.0.0.1 play the push service and the internal targets; a broker on PostgreSQL
// takes the subscriptions.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '@lanbridge/logging';
import { DEFAULT_PUSH_ENDPOINT_HOSTS, type Lookup, type PushEndpointPolicy } from '../../src/push/push-endpoint';
import { generateVapidKeys } from '../../src/push/vapid-keys';
import { WebPushProvider } from '../../src/push/web-push.provider';
import { DATABASE_URL, type Harness, signedUpUser, startHarness } from '../accounts/harness';
import { LocalPushService, TestSite } from './support';

const logger = createLogger('push-endpoint-e2e', { level: process.env.LOG_LEVEL ?? 'silent' });
const vapid = generateVapidKeys();

/** An internal service the broker must never reach: counts every request. */
async function internalTarget(respond?: (res: http.ServerResponse) => void): Promise<{
  url: string;
  hits: string[];
  close(): Promise<void>;
}> {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    req.resume();
    if (respond) respond(res);
    else res.writeHead(201).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

function provider(endpoints: PushEndpointPolicy, lookup: Lookup): WebPushProvider {
  return new WebPushProvider({
    vapid: () => vapid,
    subject: 'mailto:ops@example.test',
    ttlS: 60,
    endpoints,
    lookup,
    logger,
  });
}

const payload = { body: JSON.stringify({ v: 1, id: 'e1' }), urgency: 'high' as const };

describe('push endpoints at send time', () => {
  const push = new LocalPushService();
  beforeAll(() => push.start());
  afterAll(() => push.stop());

  it('does not connect when a listed name now resolves to a non-public address (DNS rebinding)', async () => {
    const target = await internalTarget();
    try {
      const port = new URL(target.url).port;
      const p = provider({ hosts: [`push.example.test:${port}`], allowInsecure: false }, () =>
        Promise.resolve([{ address: '127.0.0.1', family: 4 }]),
      );
      const keys = push.subscription().keys;
      const r = await p.send({ id: 's1', endpoint: `https://push.example.test:${port}/p/1`, keys }, payload);
      expect(r).toEqual({
        retry: true,
        reason:
          'push endpoint refused: push.example.test resolves to a non-public address: 127.0.0.1 is a loopback address',
      });
      expect(target.hits).toEqual([]);
    } finally {
      await target.close();
    }
  });

  it('connects to the address it checked, not to what a second lookup would say', async () => {
    const sub = push.subscription();
    const port = new URL(push.url).port;
    const asked: string[] = [];
    // The first answer is the checked one; any later lookup would send the POST elsewhere.
    const lookup: Lookup = (host) => {
      asked.push(host);
      return Promise.resolve([{ address: asked.length === 1 ? '127.0.0.1' : '192.0.2.1', family: 4 }]);
    };
    const p = provider({ hosts: [`push.example.test:${port}`], allowInsecure: true }, lookup);
    const endpoint = sub.endpoint.replace('127.0.0.1', 'push.example.test');
    expect(await p.send({ id: 's2', endpoint, keys: sub.keys }, payload)).toEqual({ ok: true });
    expect(asked).toEqual(['push.example.test']);
    expect(sub.received).toHaveLength(1);
    expect(sub.received[0]?.headers.host).toBe(`push.example.test:${port}`);
  });

  it('does not follow a redirect to an internal address', async () => {
    const target = await internalTarget();
    const redirector = await internalTarget((res) => res.writeHead(307, { location: `${target.url}/admin` }).end());
    try {
      const host = new URL(redirector.url).host;
      const p = provider({ hosts: [host], allowInsecure: true }, () => Promise.resolve([]));
      const r = await p.send({ id: 's3', endpoint: `${redirector.url}/p/1`, keys: push.subscription().keys }, payload);
      expect(r).toEqual({ retry: true, reason: 'push service answered 307' });
      expect(redirector.hits).toEqual(['POST /p/1']);
      expect(target.hits).toEqual([]);
    } finally {
      await target.close();
      await redirector.close();
    }
  });

  it('drops a stored subscription the policy refuses outright, without a request', async () => {
    const target = await internalTarget();
    try {
      const p = provider({ hosts: ['fcm.googleapis.com'], allowInsecure: false }, () => Promise.resolve([]));
      const r = await p.send({ id: 's4', endpoint: `${target.url}/p`, keys: push.subscription().keys }, payload);
      expect(r).toEqual({ gone: true, status: 0 });
      expect(target.hits).toEqual([]);
    } finally {
      await target.close();
    }
  });
});

describe('push subscriptions at the broker (the default list, plus localhost)', () => {
  // Only makes subscription keys; never listens.
  const keysOnly = new LocalPushService();
  let h: Harness;
  let site: TestSite;
  let target: Awaited<ReturnType<typeof internalTarget>>;

  beforeAll(async () => {
    target = await internalTarget();
    // localhost is listed to show that a listed name is still refused for where it resolves.
    h = await startHarness({ PUSH_ENDPOINT_HOSTS: `${DEFAULT_PUSH_ENDPOINT_HOSTS.join(',')},localhost` });
    const owner = await signedUpUser(h, 'push-owner');
    const company = (await (
      await owner.browser.fetch('/api/v1/companies', {
        method: 'POST',
        json: { name: `Push ${randomBytes(2).toString('hex')}` },
      })
    ).json()) as { id: string; slug: string };
    const { publicKey } = generateKeyPairSync('ed25519');
    await h.broker.connectors.register({
      orgSlug: company.slug,
      publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    });
    site = new TestSite();
    await site.register(DATABASE_URL, h.schema, company.id);
  });
  afterAll(async () => {
    await h?.close();
    await target?.close();
  });

  const subscribe = (endpoint: string) =>
    fetch(`${h.url}/api/v1/push/subscriptions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${site.accessToken('admin', '1')}` },
      body: JSON.stringify({ endpoint, keys: keysOnly.subscription().keys }),
    });

  it('refuses http://127.0.0.1, internal addresses and hosts off the list with 400 PUSH_ENDPOINT_NOT_ALLOWED', async () => {
    const cases: [string, RegExp][] = [
      [`${target.url}/push/1`, /https/],
      [`https://127.0.0.1:${new URL(target.url).port}/push/1`, /not a push service/],
      ['https://169.254.169.254/latest/meta-data', /not a push service/],
      ['https://push.example.com/p/1', /not a push service this broker posts to/],
      [`https://localhost:${new URL(target.url).port}/push/1`, /localhost resolves to a non-public address/],
    ];
    for (const [endpoint, why] of cases) {
      const res = await subscribe(endpoint);
      const body = (await res.json()) as { code: string; message: string };
      expect([endpoint, res.status, body.code]).toEqual([endpoint, 400, 'PUSH_ENDPOINT_NOT_ALLOWED']);
      expect(body.message).toMatch(why);
    }
    expect(target.hits).toEqual([]);
  });
});
