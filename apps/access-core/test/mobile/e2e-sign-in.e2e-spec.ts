/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are checked by expect(), not by types */
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { CompactEncrypt, compactVerify, decodeProtectedHeader, importJWK, type JWK } from 'jose';
import { ADMIN_PASSWORD, Api, login, startSite, type Site } from './mobile-harness';

type Json = Record<string, any>;

const PERSON_PASSWORD = 'e2e-person-secret-8812';

function thumbprint(jwk: { crv: string; kty: string; x: string }): string {
  return createHash('sha256')
    .update(JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x }))
    .digest('base64url');
}

/** The checks the SDK makes on a hello (docs/mobile-path.md §2), returning its payload. */
async function verifyHello(hello: string, pinnedSkt: string, nonce: string): Promise<Json> {
  const header = decodeProtectedHeader(hello) as Json;
  expect(header).toMatchObject({ alg: 'EdDSA', typ: 'site-hello+jwt', jwk: { kty: 'OKP', crv: 'Ed25519' } });
  expect(thumbprint(header.jwk)).toBe(pinnedSkt);
  const { payload } = await compactVerify(hello, await importJWK(header.jwk as JWK, 'EdDSA'));
  const claims = JSON.parse(Buffer.from(payload).toString('utf8')) as Json;
  expect(claims.nonce).toBe(nonce);
  expect(claims.exp - claims.iat).toBe(120);
  return { ...claims, jwk: header.jwk };
}

async function seal(plaintext: Json, enc: Json, header: Json = {}): Promise<string> {
  return new CompactEncrypt(Buffer.from(JSON.stringify(plaintext)))
    .setProtectedHeader({ alg: 'ECDH-ES', enc: 'A256GCM', kid: enc.kid, ...header })
    .encrypt(await importJWK(enc as JWK, 'ECDH-ES'));
}

describe('end-to-end verifiable sign-in (hello + JWE login)', () => {
  let site: Site;
  let skt: string;
  let n = 0;
  // Each test signs in from its own client address (the app trusts X-Forwarded-For from loopback),
  // so the per-IP limit of one test does not spill into another.
  const from = (): Record<string, string> => ({ 'x-forwarded-for': `198.51.100.${++n}` });
  const nonce = (): string => randomBytes(32).toString('base64url');

  async function hello(headers: Record<string, string>): Promise<{ nonce: string; claims: Json }> {
    const nc = nonce();
    const r = await new Api(site.url).post<Json>('/api/v1/auth/hello', { nonce: nc }, headers);
    expect(r.status).toBe(200);
    return { nonce: nc, claims: await verifyHello(r.body.hello as string, skt, nc) };
  }

  beforeAll(async () => {
    site = await startSite('mobile_e2e', { AUTH_LOGIN_MAX_PER_IP: '8' });
    const jwks = await new Api(site.url).get<{ keys: Json[] }>('/.well-known/jwks.json');
    skt = jwks.body.keys.find((k) => k.use === 'sig')!.kid as string;
    const admin = await login(site.url, { type: 'admin', username: 'admin', password: ADMIN_PASSWORD });
    const p = await admin.post<Json>('/api/v1/people', {
      pin: '8101',
      firstName: 'Erin',
      lastName: 'Encrypted',
      appLoginEnabled: true,
      password: PERSON_PASSWORD,
    });
    expect(p.status).toBe(201);
  }, 60_000);

  afterAll(async () => {
    await site?.stop();
  });

  it('publishes the Ed25519 signing key and the X25519 encryption key, each with its RFC 7638 kid', async () => {
    for (const path of ['/.well-known/jwks.json', '/api/v1/auth/jwks']) {
      const { keys } = (await new Api(site.url).get<{ keys: Json[] }>(path)).body;
      expect(keys).toEqual([
        { kty: 'OKP', crv: 'Ed25519', x: expect.any(String), kid: skt, alg: 'EdDSA', use: 'sig' },
        { kty: 'OKP', crv: 'X25519', x: expect.any(String), kid: expect.any(String), alg: 'ECDH-ES', use: 'enc' },
      ]);
      for (const k of keys) expect(k.kid).toBe(thumbprint(k as { crv: string; kty: string; x: string }));
    }
  });

  it('signs a hello that verifies with its header jwk, whose thumbprint is the signing kid, echoing the nonce', async () => {
    const { claims } = await hello(from());
    const jwks = (await new Api(site.url).get<{ keys: Json[] }>('/.well-known/jwks.json')).body.keys;
    expect(claims).toMatchObject({ v: 1, hid: expect.any(String), iss: expect.any(String) });
    expect(claims.enc).toEqual(jwks.find((k) => k.use === 'enc'));
  });

  it('signs in with a JWE login (admin and personnel); the token verifies with the pinned key', async () => {
    const headers = from();
    const h = await hello(headers);
    const jwe = await seal(
      { type: 'admin', username: 'admin', password: ADMIN_PASSWORD, hid: h.claims.hid, nonce: h.nonce },
      h.claims.enc,
    );
    const r = await new Api(site.url).post<Json>('/api/v1/auth/login', { jwe }, headers);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ tokenType: 'Bearer', role: 'admin', siteId: h.claims.iss });
    const { payload } = await compactVerify(
      r.body.accessToken as string,
      await importJWK(h.claims.jwk as JWK, 'EdDSA'),
    );
    expect(JSON.parse(Buffer.from(payload).toString())).toMatchObject({ iss: h.claims.iss, role: 'admin' });
    expect((await new Api(site.url, r.body.accessToken as string).get('/api/v1/me')).status).toBe(200);

    const hp = await hello(headers);
    const person = await new Api(site.url).post<Json>(
      '/api/v1/auth/login',
      {
        jwe: await seal(
          { type: 'personnel', pin: '8101', password: PERSON_PASSWORD, hid: hp.claims.hid, nonce: hp.nonce },
          hp.claims.enc,
        ),
      },
      headers,
    );
    expect(person.status).toBe(200);
    expect(person.body.role).toBe('personnel');
  });

  it('refuses a replayed hid and a wrong nonce with 400 E2E_HELLO_INVALID', async () => {
    const headers = from();
    const h = await hello(headers);
    const creds = { type: 'admin', username: 'admin', password: ADMIN_PASSWORD };
    const jwe = await seal({ ...creds, hid: h.claims.hid, nonce: h.nonce }, h.claims.enc);
    expect((await new Api(site.url).post('/api/v1/auth/login', { jwe }, headers)).status).toBe(200);
    const replay = await new Api(site.url).post<Json>('/api/v1/auth/login', { jwe }, headers);
    expect(replay.status).toBe(400);
    expect(replay.body).toMatchObject({ code: 'E2E_HELLO_INVALID', message: expect.any(String) });
    expect(replay.body.accessToken).toBeUndefined();

    const h2 = await hello(headers);
    const wrong = await new Api(site.url).post<Json>(
      '/api/v1/auth/login',
      { jwe: await seal({ ...creds, hid: h2.claims.hid, nonce: nonce() }, h2.claims.enc) },
      headers,
    );
    expect(wrong.status).toBe(400);
    expect(wrong.body.code).toBe('E2E_HELLO_INVALID');
    // The failed attempt used the hello up: the right nonce does not work after a wrong one.
    const late = await new Api(site.url).post<Json>(
      '/api/v1/auth/login',
      { jwe: await seal({ ...creds, hid: h2.claims.hid, nonce: h2.nonce }, h2.claims.enc) },
      headers,
    );
    expect(late.body.code).toBe('E2E_HELLO_INVALID');
  });

  it('refuses an expired hello', async () => {
    const headers = from();
    const h = await hello(headers);
    site.clock.offsetMs += 121_000;
    try {
      const r = await new Api(site.url).post<Json>(
        '/api/v1/auth/login',
        {
          jwe: await seal(
            { type: 'admin', username: 'admin', password: ADMIN_PASSWORD, hid: h.claims.hid, nonce: h.nonce },
            h.claims.enc,
          ),
        },
        headers,
      );
      expect(r.body.code).toBe('E2E_HELLO_INVALID');
    } finally {
      site.clock.offsetMs -= 121_000;
    }
  });

  it('refuses garbage, another key and another algorithm with 400 E2E_DECRYPT_FAILED', async () => {
    const api = new Api(site.url);
    const h = await hello(from());
    const body = { type: 'admin', username: 'admin', password: ADMIN_PASSWORD, hid: h.claims.hid, nonce: h.nonce };
    const other = generateKeyPairSync('x25519').publicKey.export({ format: 'jwk' }) as Json;
    const attempts: string[] = [
      'aaaa.bbbb.cccc.dddd.eeee',
      await seal(body, { ...other, kid: h.claims.enc.kid }),
      await seal(body, h.claims.enc, { alg: 'ECDH-ES+A256KW' }),
      await seal(body, h.claims.enc, { enc: 'A128GCM' }),
    ];
    for (const jwe of attempts) {
      const r = await api.post<Json>('/api/v1/auth/login', { jwe }, from());
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ code: 'E2E_DECRYPT_FAILED', message: expect.any(String) });
    }
    // None of those consumed the hello: it still signs in.
    const ok = await api.post<Json>('/api/v1/auth/login', { jwe: await seal(body, h.claims.enc) }, from());
    expect(ok.status).toBe(200);
  });

  it('validates hello and login bodies', async () => {
    const api = new Api(site.url);
    for (const bad of [
      {},
      { nonce: 'short' },
      { nonce: 'x'.repeat(100) },
      { nonce: `${nonce()}=` },
      { nonce: nonce(), x: 1 },
    ]) {
      const r = await api.post<Json>('/api/v1/auth/hello', bad, from());
      expect(r.status).toBe(400);
      expect(r.body.code).toBe('VALIDATION_FAILED');
    }
    const mixed = await api.post<Json>('/api/v1/auth/login', { jwe: 'a.b.c.d.e', password: 'x' }, from());
    expect(mixed.body.code).toBe('VALIDATION_FAILED');
    // A NUL inside the encrypted credentials is refused like a plain one, not a database error.
    const headers = from();
    const h = await hello(headers);
    const sealed = { type: 'admin', username: 'ad\u0000min', password: 'x', hid: h.claims.hid, nonce: h.nonce };
    const nul = await api.post<Json>('/api/v1/auth/login', { jwe: await seal(sealed, h.claims.enc) }, headers);
    expect(nul.status).toBe(400);
    expect(nul.body).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ field: 'username' }] });
    // Plain login keeps working on the LAN.
    expect(
      (await api.post('/api/v1/auth/login', { type: 'admin', username: 'admin', password: ADMIN_PASSWORD }, from()))
        .status,
    ).toBe(200);
  });

  it('rate-limits hellos per client IP with the login limiter (429 RATE_LIMITED + Retry-After)', async () => {
    const headers = from();
    for (let i = 0; i < 8; i++) {
      expect((await new Api(site.url).post('/api/v1/auth/hello', { nonce: nonce() }, headers)).status).toBe(200);
    }
    const r = await new Api(site.url).post<Json>('/api/v1/auth/hello', { nonce: nonce() }, headers);
    expect(r.status).toBe(429);
    expect(r.body.code).toBe('RATE_LIMITED');
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await new Api(site.url).post('/api/v1/auth/hello', { nonce: nonce() }, from())).status).toBe(200);
  });

  it('never writes a password to the log', () => {
    const text = JSON.stringify(site.logLines);
    expect(site.logLines.length).toBeGreaterThan(10);
    expect(text).toMatch(/encrypted sign-in refused/);
    expect(text).not.toContain(ADMIN_PASSWORD);
    expect(text).not.toContain(PERSON_PASSWORD);
  });
});
