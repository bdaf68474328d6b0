// Lockouts under parallel attempts: the cloud sign-in counts each attempt before it checks the
// password, connector activation codes before the code is looked up, and the site sign-in
// throttle on /t/<org>/ counts each request before a stream is opened, so 50 requests sent at
// once get exactly the limit through. Run on Redis and on the in-memory fallback (a broker
// without REDIS_URL).
import { generateKeyPairSync } from 'node:crypto';
import { recordingSiteFor } from '../support/recording-site';
import { Browser, type Harness, signedUpUser, startHarness } from './harness';

const PARALLEL = 50;

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
    const site = await recordingSiteFor(h.broker, company.slug, () => ({ status: 401, body: '{}' }));
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
      site.close();
    }
  });
});
