import { gzipSync } from 'node:zlib';
import { Browser, type Harness, signedUpUser, startHarness } from './harness';

describe('accounts: sign-up, verification, sign-in, sessions, passwords, throttling', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ SIGNIN_MAX_FAILURES_PER_ACCOUNT: '3' });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('signs up, refuses sign-in before verification, verifies from the mail, signs in', async () => {
    const b = new Browser(h.url);
    const email = 'ada@example.test';
    const password = 'a long enough passphrase';
    const r = await b.fetch('/api/v1/accounts', {
      method: 'POST',
      json: { firstName: 'Ada', lastName: 'Lovelace', email, contactNumber: '+44 20 0000', password },
    });
    expect(r.status).toBe(201);
    const early = await b.fetch('/api/v1/sessions', { method: 'POST', json: { email, password } });
    expect(early.status).toBe(403);
    expect(((await early.json()) as { code: string }).code).toBe('EMAIL_NOT_VERIFIED');

    const token = await h.mail.link(email, /verify-email\?token=([A-Za-z0-9_-]+)/);
    expect((await b.fetch('/api/v1/accounts/verify-email', { method: 'POST', json: { token } })).status).toBe(204);
    // Single use.
    const again = await b.fetch('/api/v1/accounts/verify-email', { method: 'POST', json: { token } });
    expect(again.status).toBe(400);
    expect(((await again.json()) as { code: string }).code).toBe('TOKEN_INVALID');

    const s = await b.fetch('/api/v1/sessions', { method: 'POST', json: { email: 'ADA@example.test', password } });
    expect(s.status).toBe(201);
    const cookie = s.headers.getSetCookie().find((c) => c.startsWith('lb_session='));
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    const me = await b.fetch('/api/v1/me');
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ email, firstName: 'Ada', emailVerified: true });

    const dup = await new Browser(h.url).fetch('/api/v1/accounts', {
      method: 'POST',
      json: { firstName: 'A', lastName: 'B', email, contactNumber: '123', password },
    });
    expect(dup.status).toBe(409);
  });

  it('applies the password policy: 8 characters minimum, 64+ allowed, no truncation', async () => {
    const b = new Browser(h.url);
    const short = await b.fetch('/api/v1/accounts', {
      method: 'POST',
      json: { firstName: 'S', lastName: 'S', email: 'short@example.test', contactNumber: '123', password: 'seven77' },
    });
    expect(short.status).toBe(400);
    expect(((await short.json()) as { code: string }).code).toBe('PASSWORD_POLICY');

    const long = 'x'.repeat(100);
    const u = await new Browser(h.url).fetch('/api/v1/accounts', {
      method: 'POST',
      json: { firstName: 'L', lastName: 'L', email: 'long@example.test', contactNumber: '123', password: long },
    });
    expect(u.status).toBe(201);
    const token = await h.mail.link('long@example.test', /verify-email\?token=([A-Za-z0-9_-]+)/);
    await b.fetch('/api/v1/accounts/verify-email', { method: 'POST', json: { token } });
    // A password equal to the first 72 characters (bcrypt's cut) must not work.
    const cut = await b.fetch('/api/v1/sessions', {
      method: 'POST',
      json: { email: 'long@example.test', password: long.slice(0, 72) },
    });
    expect(cut.status).toBe(401);
    const ok = await b.fetch('/api/v1/sessions', {
      method: 'POST',
      json: { email: 'long@example.test', password: long },
    });
    expect(ok.status).toBe(201);
  });

  it('lists and ends sessions; changing the password ends the other sessions', async () => {
    const u = await signedUpUser(h, 'sess');
    const second = new Browser(h.url);
    expect(
      (await second.fetch('/api/v1/sessions', { method: 'POST', json: { email: u.email, password: u.password } }))
        .status,
    ).toBe(201);
    const third = new Browser(h.url);
    expect(
      (await third.fetch('/api/v1/sessions', { method: 'POST', json: { email: u.email, password: u.password } }))
        .status,
    ).toBe(201);

    const list = (await (await u.browser.fetch('/api/v1/sessions')).json()) as {
      id: string;
      current: boolean;
      ip: string;
    }[];
    expect(list).toHaveLength(3);
    expect(list.filter((s) => s.current)).toHaveLength(1);
    expect(list[0]?.ip).toMatch(/127\.0\.0\.1/);

    // End the third browser's session from the first.
    const thirdId = ((await (await third.fetch('/api/v1/sessions')).json()) as { id: string; current: boolean }[]).find(
      (s) => s.current,
    )?.id;
    expect((await u.browser.fetch(`/api/v1/sessions/${thirdId}`, { method: 'DELETE' })).status).toBe(204);
    expect((await third.fetch('/api/v1/me')).status).toBe(401);

    // Writes with a cookie need the CSRF token.
    const noCsrf = await u.browser.fetch('/api/v1/me/password', {
      method: 'POST',
      headers: { 'x-csrf-token': 'wrong-token-wrong-token' },
      json: { currentPassword: u.password, newPassword: 'another long passphrase' },
    });
    expect(noCsrf.status).toBe(403);
    expect(((await noCsrf.json()) as { code: string }).code).toBe('CSRF_FAILED');

    const wrong = await u.browser.fetch('/api/v1/me/password', {
      method: 'POST',
      json: { currentPassword: 'not my password', newPassword: 'another long passphrase' },
    });
    expect(wrong.status).toBe(401);
    const change = await u.browser.fetch('/api/v1/me/password', {
      method: 'POST',
      json: { currentPassword: u.password, newPassword: 'another long passphrase' },
    });
    expect(change.status).toBe(204);
    expect((await u.browser.fetch('/api/v1/me')).status).toBe(200);
    expect((await second.fetch('/api/v1/me')).status).toBe(401);
    const old = await new Browser(h.url).fetch('/api/v1/sessions', {
      method: 'POST',
      json: { email: u.email, password: u.password },
    });
    expect(old.status).toBe(401);

    expect((await u.browser.fetch('/api/v1/sessions/current', { method: 'DELETE' })).status).toBe(204);
    expect((await u.browser.fetch('/api/v1/me')).status).toBe(401);
  });

  it('resets a forgotten password by mail (single use) and ends every session', async () => {
    const u = await signedUpUser(h, 'reset');
    const b = new Browser(h.url);
    expect((await b.fetch('/api/v1/password-resets', { method: 'POST', json: { email: u.email } })).status).toBe(202);
    // Unknown addresses get the same answer.
    expect(
      (await b.fetch('/api/v1/password-resets', { method: 'POST', json: { email: 'nobody@example.test' } })).status,
    ).toBe(202);
    const token = await h.mail.link(u.email, /reset-password\?token=([A-Za-z0-9_-]+)/);
    const done = await b.fetch('/api/v1/password-resets/complete', {
      method: 'POST',
      json: { token, newPassword: 'brand new passphrase' },
    });
    expect(done.status).toBe(204);
    const reuse = await b.fetch('/api/v1/password-resets/complete', {
      method: 'POST',
      json: { token, newPassword: 'third passphrase!!' },
    });
    expect(reuse.status).toBe(400);
    expect((await u.browser.fetch('/api/v1/me')).status).toBe(401);
    expect(
      (
        await b.fetch('/api/v1/sessions', {
          method: 'POST',
          json: { email: u.email, password: 'brand new passphrase' },
        })
      ).status,
    ).toBe(201);
  });

  it('throttles wrong passwords per account with 429 and Retry-After, and audits every attempt', async () => {
    const u = await signedUpUser(h, 'brute');
    const b = new Browser(h.url);
    for (let i = 0; i < 3; i++) {
      const r = await b.fetch('/api/v1/sessions', {
        method: 'POST',
        json: { email: u.email, password: `wrong ${i} password` },
      });
      expect(r.status).toBe(401);
    }
    const blocked = await b.fetch('/api/v1/sessions', {
      method: 'POST',
      json: { email: u.email, password: u.password },
    });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await blocked.json()) as { code: string }).code).toBe('TOO_MANY_ATTEMPTS');

    const audit = (await (await u.browser.fetch('/api/v1/me/audit')).json()) as {
      action: string;
      outcome: string;
      ip: string;
      userAgent: string;
      at: string;
    }[];
    const signins = audit.filter((a) => a.action === 'account.signin');
    expect(signins.filter((a) => a.outcome === 'failure').length).toBeGreaterThanOrEqual(3);
    expect(signins.some((a) => a.outcome === 'success')).toBe(true);
    expect(signins[0]?.at).toMatch(/Z$/);
    expect(signins[0]?.ip).toMatch(/127\.0\.0\.1/);
  });

  it('rejects unknown fields, oversized and malformed bodies with precise 4xx', async () => {
    const b = new Browser(h.url);
    const unknown = await b.fetch('/api/v1/sessions', {
      method: 'POST',
      json: { email: 'a@b.c', password: 'x', admin: true },
    });
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({
      code: 'VALIDATION_FAILED',
      message: expect.stringContaining('admin') as unknown,
    });
    const big = await b.fetch('/api/v1/accounts', { method: 'POST', json: { firstName: 'x'.repeat(200_000) } });
    expect(big.status).toBe(413);
    expect(((await big.json()) as { code: string }).code).toBe('PAYLOAD_TOO_LARGE');
    const bad = await b.fetch('/api/v1/sessions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"email":',
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { code: string }).code).toBe('MALFORMED_BODY');
    const badBearer = await b.fetch('/api/v1/me', { headers: { authorization: 'Bearer not-a-token' } });
    expect(badBearer.status).toBe(401);
    expect(((await badBearer.json()) as { code: string }).code).toBe('UNAUTHENTICATED');
  });

  it('answers a body that is not in its declared Content-Encoding 400 and an unknown coding 415, on every parser', async () => {
    const targets: [string, string, string][] = [
      ['/api/v1/sessions', 'application/json', JSON.stringify({ email: 'a@b.c', password: 'x' })],
      ['/oauth/token', 'application/x-www-form-urlencoded', 'grant_type=client_credentials'],
      ['/api/v1/push/subscriptions', 'application/json', '{}'],
      ['/api/v1/connector-activations', 'application/json', '{}'],
    ];
    for (const [path, type, body] of targets) {
      for (const coding of ['gzip', 'deflate', 'br']) {
        const res = await fetch(`${h.url}${path}`, {
          method: 'POST',
          headers: { 'content-type': type, 'content-encoding': coding },
          body,
        });
        expect([path, coding, res.status, await res.json()]).toEqual([
          path,
          coding,
          400,
          {
            code: 'BODY_DECODING_FAILED',
            message: `the body is not valid ${coding} data, as its Content-Encoding says`,
          },
        ]);
      }
      const unknown = await fetch(`${h.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': type, 'content-encoding': 'x-unknown' },
        body,
      });
      expect([path, unknown.status, ((await unknown.json()) as { code: string }).code]).toEqual([
        path,
        415,
        'UNSUPPORTED_ENCODING',
      ]);
    }
    // A body that really is gzip is read as usual.
    const zipped = await fetch(`${h.url}/api/v1/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gzipSync(JSON.stringify({ email: 'nobody@example.test', password: 'wrong password' })),
    });
    expect(zipped.status).toBe(401);
  });

  it('refuses U+0000 in a body field or the URL with 400 NUL_CHARACTER instead of failing in the database', async () => {
    const signIn = await fetch(`${h.url}/api/v1/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'ada\u0000@example.test', password: 'whatever it is' }),
    });
    expect(signIn.status).toBe(400);
    expect(await signIn.json()).toEqual({
      code: 'NUL_CHARACTER',
      message: 'body.email holds U+0000, which no field accepts',
    });
    const form = await fetch(`${h.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=refresh_token&refresh_token=a%00b',
    });
    expect(form.status).toBe(400);
    expect(((await form.json()) as { code: string }).code).toBe('NUL_CHARACTER');
    const query = await fetch(`${h.url}/api/v1/areas?x=%00`);
    expect(query.status).toBe(400);
    expect(((await query.json()) as { code: string }).code).toBe('NUL_CHARACTER');
  });

  it('serves the sign-up and sign-in pages and signs in through the form with CSRF', async () => {
    const b = new Browser(h.url);
    const page = await b.fetch('/sign-in?return_to=/activate');
    expect(page.status).toBe(200);
    const html = await page.text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
    expect(csrf).toBeDefined();
    const u = await signedUpUser(h, 'form');
    const noToken = await new Browser(h.url).fetch('/sign-in', {
      method: 'POST',
      form: { email: u.email, password: u.password },
    });
    expect(noToken.status).toBe(403);
    const ok = await b.fetch('/sign-in?return_to=/activate', {
      method: 'POST',
      form: { email: u.email, password: u.password, _csrf: csrf ?? '' },
    });
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe('/activate');
    const open = await b.fetch('/sign-in?return_to=//evil.example', {
      method: 'POST',
      form: { email: u.email, password: u.password, _csrf: b.cookie('lb_csrf') ?? '' },
    });
    expect(open.headers.get('location')).toBe('/portal');
    expect((await b.fetch('/sign-up')).status).toBe(200);
    expect((await b.fetch('/api/v1/areas')).status).toBe(200);
  });
});
