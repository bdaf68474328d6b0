// Lockouts under parallel attempts: the cloud sign-in counts each attempt before it checks the
// password, connector activation codes before the code is looked up, and the site sign-in throttle on /t/<org>/ counts each request before a stream is
// opened, so 50 requests sent at once get exactly the limit through. Run on Redis and on the
// in-memory fallback (a broker without REDIS_URL).
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import {
  connectorHandshake,
  createSession,
  type TunnelSession,
  WS_SUBPROTOCOL_V1,
  wsTransport,
} from '@lanbridge/tunnel-protocol';
import WebSocket from 'ws';
import { Browser, type Harness, signedUpUser, startHarness } from './harness';

const PARALLEL = 50;

/** A connector session whose site counts the sign-in requests that reach it. */
async function countingSite(
  brokerUrl: string,
  connectorId: string,
  privateKey: KeyObject,
): Promise<{ session: TunnelSession; reached: string[] }> {
  const ws = new WebSocket(`${brokerUrl.replace(/^http/, 'ws')}/tunnel/v1/connect`, [WS_SUBPROTOCOL_V1], {
    perMessageDeflate: false,
  });
  const transport = wsTransport(ws);
  const ready = await connectorHandshake(transport, {
    connectorId,
    privateKey,
    agent: { version: 't', hostname: 't' },
  });
  const session = createSession(transport, 'connector', { version: ready.version });
  const reached: string[] = [];
  session.on('stream', (s) => {
    s.on('error', () => undefined);
    s.resume();
    const { method, path } = s.requestHead;
    // The broker's own hello (learning the site key) is not a client's sign-in.
    const fromClient = s.requestHead.headers.some((h) => h.toLowerCase() === 'x-forwarded-for');
    if (fromClient) reached.push(`${method} ${path}`);
    s.sendResponseHead({ status: fromClient ? 401 : 404, headers: ['content-type', 'application/json'] });
    s.end('{"code":"INVALID_CREDENTIALS"}');
  });
  return { session, reached };
}

async function statuses(n: number, send: (i: number) => Promise<Response>): Promise<Map<number, number>> {
  const answers = await Promise.all(Array.from({ length: n }, (_, i) => send(i)));
  const count = new Map<number, number>();
  for (const r of answers) {
    await r.arrayBuffer();
    count.set(r.status, (count.get(r.status) ?? 0) + 1);
  }
  return count;
}

describe.each<{ backend: string; env: Record<string, string> }>([
  { backend: 'Redis', env: {} },
  { backend: 'memory', env: { REDIS_URL: '' } },
])('lockouts under $backend', ({ env }) => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({
      ...env,
      SIGNIN_MAX_FAILURES_PER_ACCOUNT: '5',
      SIGNIN_MAX_FAILURES_PER_IP: '7',
      INGRESS_SIGNIN_MAX_PER_IP: '6',
      INGRESS_SIGNIN_MAX_PER_ORG: '1000',
      // Each test comes from an address of its own (X-Forwarded-For), so their budgets stay apart.
      TRUST_PROXY_HOPS: '1',
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it(`checks 5 of ${PARALLEL} parallel wrong passwords for one account and refuses the rest with 429`, async () => {
    const u = await signedUpUser(h, 'parallel');
    const b = new Browser(h.url);
    const got = await statuses(PARALLEL, (i) =>
      b.fetch('/api/v1/sessions', {
        method: 'POST',
        json: { email: u.email, password: `wrong guess ${i}` },
        // Many addresses: the account's limit, not an address's, is what stops them.
        headers: { 'x-forwarded-for': `198.51.100.${i + 1}` },
      }),
    );
    expect(Object.fromEntries(got)).toEqual({ 401: 5, 429: PARALLEL - 5 });
    // The right password is refused too while the account is locked.
    const locked = await b.fetch('/api/v1/sessions', {
      method: 'POST',
      json: { email: u.email, password: u.password },
    });
    expect(locked.status).toBe(429);
    const audit = (await (await u.browser.fetch('/api/v1/me/audit')).json()) as {
      action: string;
      details: { reason?: string } | null;
    }[];
    const reasons = audit.filter((a) => a.action === 'account.signin').map((a) => a.details?.reason);
    expect(reasons.filter((r) => r === 'wrong_password')).toHaveLength(5);
  });

  it(`checks 7 of ${PARALLEL} parallel wrong sign-ins from one address over many accounts`, async () => {
    const b = new Browser(h.url);
    const from = { 'x-forwarded-for': '203.0.113.7' };
    // Seven failures are allowed from one address; a correct sign-in in between gives its point back.
    const u = await signedUpUser(h, 'sprayed');
    expect(
      (
        await b.fetch('/api/v1/sessions', {
          method: 'POST',
          json: { email: u.email, password: u.password },
          headers: from,
        })
      ).status,
    ).toBe(201);
    const got = await statuses(PARALLEL, (i) =>
      b.fetch('/api/v1/sessions', {
        method: 'POST',
        json: { email: `nobody-${i}@example.test`, password: 'wrong guess' },
        headers: from,
      }),
    );
    expect(Object.fromEntries(got)).toEqual({ 401: 7, 429: PARALLEL - 7 });
  });

  it(`looks up 10 of ${PARALLEL} parallel wrong activation codes from one address`, async () => {
    const publicKey = generateKeyPairSync('ed25519').publicKey.export({ format: 'pem', type: 'spki' }).toString();
    const got = await statuses(PARALLEL, (i) =>
      fetch(`${h.url}/api/v1/connector-activations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.99' },
        body: JSON.stringify({ code: `WRONG-CODE-${i}`, publicKey, hostname: 'guesser' }),
      }),
    );
    expect(Object.fromEntries(got)).toEqual({ 400: 10, 429: PARALLEL - 10 });
  });

  it(`lets 6 of ${PARALLEL} parallel site sign-ins through /t/<org>/ and answers the rest 429 without a stream`, async () => {
    const owner = await signedUpUser(h, 'site-owner');
    const company = (await (
      await owner.browser.fetch('/api/v1/companies', { method: 'POST', json: { name: 'Parallel Gates' } })
    ).json()) as { slug: string };
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const reg = await h.broker.connectors.register({
      orgSlug: company.slug,
      publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    });
    const site = await countingSite(h.url, reg.connectorId, privateKey);
    try {
      const got = await statuses(PARALLEL, (i) =>
        fetch(`${h.url}/t/${company.slug}/api/v1/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-forwarded-for': '192.0.2.9' },
          body: JSON.stringify({ type: 'admin', username: 'admin', password: `wrong guess ${i}` }),
        }),
      );
      expect(Object.fromEntries(got)).toEqual({ 401: 6, 429: PARALLEL - 6 });
      expect(site.reached).toHaveLength(6);
    } finally {
      site.session.close();
    }
  });
});
