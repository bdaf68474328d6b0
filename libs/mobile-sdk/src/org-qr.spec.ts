import { SignJWT } from 'jose';
import { LanbridgeError, SdkErrorCode } from './errors';
import { parseOrgQr, verifyOrgQr, type TrustedIssuer } from './org-qr';
import {
  ed25519Key,
  type Ed25519Key,
  orgQrClaims,
  signOrgQr,
  startServer,
  type TestServer,
  unsignedJws,
} from './testing/fixtures';

const SKT = 'Qm9ndXMgdGh1bWJwcmludCBmb3IgdGVzdHMgb25seS4uLg'.slice(0, 43);

async function codeOf(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (err) {
    if (err instanceof LanbridgeError) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error('expected a LanbridgeError');
}

describe('organisation QR', () => {
  let broker: TestServer;
  let key: Ed25519Key;
  let trusted: TrustedIssuer[];
  let resolvedSkt: string | null;

  beforeAll(async () => {
    broker = await startServer();
    key = await ed25519Key();
    trusted = [{ issuer: broker.url }];
    broker.handle('GET', '/.well-known/jwks.json', () => ({ json: { keys: [key.jwk] } }));
    broker.handle('POST', '/api/v1/org-qr/resolve', (req) => {
      const { token } = JSON.parse(req.body) as { token: string };
      const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as Record<string, unknown>;
      return {
        json: {
          orgId: claims.sub,
          name: claims.name,
          apiBaseUrl: claims.api,
          issuer: claims.iss,
          version: 1,
          expiresAt: new Date(Number(claims.exp) * 1000).toISOString(),
          online: true,
          siteKeyThumbprint: resolvedSkt,
        },
      };
    });
  });

  beforeEach(() => {
    broker.requests.length = 0;
    resolvedSkt = SKT;
  });

  afterAll(() => broker.close());

  const qrText = async (over: Record<string, unknown> = {}, header: Record<string, unknown> = {}): Promise<string> =>
    `${broker.url}/o#${await signOrgQr(orgQrClaims(broker.url, { skt: SKT, ...over }), key, header)}`;

  it('accepts a genuine QR: JWKS from the pinned issuer, then resolve at the broker', async () => {
    const org = await verifyOrgQr(await qrText(), { trustedIssuers: trusted });
    expect(org).toEqual({
      issuer: broker.url,
      orgId: '5b0e6a9e-8f5c-4a53-9a9e-2f1f8e0c1d11',
      name: 'Acme Ltd',
      api: `${broker.url}/t/acme`,
      skt: SKT,
      online: true,
      qrExpiresAt: expect.any(String),
    });
    expect(broker.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /.well-known/jwks.json',
      'POST /api/v1/org-qr/resolve',
    ]);
  });

  it('refuses an issuer that is not pinned, without contacting it', async () => {
    const other = await startServer();
    try {
      other.handle('GET', '/.well-known/jwks.json', () => ({ json: { keys: [key.jwk] } }));
      const token = await signOrgQr(orgQrClaims(other.url, { skt: SKT }), key);
      const r = await codeOf(verifyOrgQr(`${other.url}/o#${token}`, { trustedIssuers: trusted }));
      expect(r.code).toBe(SdkErrorCode.QR_UNTRUSTED_ISSUER);
      expect(r.message).toContain(other.url);
      expect(other.requests).toHaveLength(0);
      expect(broker.requests).toHaveLength(0);
    } finally {
      await other.close();
    }
  });

  it('refuses a QR link whose host differs from the signed issuer', async () => {
    const token = await signOrgQr(orgQrClaims(broker.url, { skt: SKT }), key);
    const r = await codeOf(verifyOrgQr(`https://evil.example/o#${token}`, { trustedIssuers: trusted }));
    expect(r.code).toBe(SdkErrorCode.QR_INVALID);
  });

  it('refuses alg none and HS256 (also HMAC keyed with the public key)', async () => {
    const claims = orgQrClaims(broker.url, { skt: SKT });
    const none = unsignedJws({ typ: 'org-qr+jwt', kid: key.jwk.kid }, claims);
    expect((await codeOf(verifyOrgQr(`${broker.url}/o#${none}x`, { trustedIssuers: trusted }))).code).toBe(
      SdkErrorCode.QR_INVALID,
    );
    expect((await codeOf(verifyOrgQr(none, { trustedIssuers: trusted }))).code).toBe(SdkErrorCode.QR_INVALID);
    for (const secret of [
      new TextEncoder().encode('a shared secret of 32 bytes!!!!!'),
      Buffer.from(key.jwk.x!, 'base64url'),
    ]) {
      const hs = await new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256', typ: 'org-qr+jwt', kid: key.jwk.kid })
        .sign(secret);
      const r = await codeOf(verifyOrgQr(`${broker.url}/o#${hs}`, { trustedIssuers: trusted }));
      expect(r.code).toBe(SdkErrorCode.QR_INVALID);
      expect(r.message).toContain('HS256');
    }
    expect(broker.requests.filter((r) => r.path.includes('resolve'))).toHaveLength(0);
  });

  it('refuses an expired QR, and tolerates 60 s of clock skew', async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = await qrText({ iat: now - 7200, exp: now - 61 });
    const r = await codeOf(verifyOrgQr(expired, { trustedIssuers: trusted }));
    expect(r).toEqual({ code: SdkErrorCode.QR_INVALID, message: 'the QR code has expired' });
    const justExpired = await qrText({ iat: now - 7200, exp: now - 30 });
    await expect(verifyOrgQr(justExpired, { trustedIssuers: trusted })).resolves.toMatchObject({ name: 'Acme Ltd' });
    const future = await qrText({ iat: now + 3600, exp: now + 7200 });
    expect((await codeOf(verifyOrgQr(future, { trustedIssuers: trusted }))).code).toBe(SdkErrorCode.QR_INVALID);
  });

  it('refuses a QR without skt unless the caller opts out', async () => {
    const claims = orgQrClaims(broker.url);
    const text = `${broker.url}/o#${await signOrgQr(claims, key)}`;
    expect((await codeOf(verifyOrgQr(text, { trustedIssuers: trusted }))).code).toBe(SdkErrorCode.QR_NOT_PINNED);
    const org = await verifyOrgQr(text, { trustedIssuers: trusted, allowUnpinned: true });
    expect(org.skt).toBe(SKT); // the broker's answer over TLS fills the pin
    resolvedSkt = null;
    expect((await verifyOrgQr(text, { trustedIssuers: trusted, allowUnpinned: true })).skt).toBeNull();
  });

  it('refuses a tampered payload and a token signed by another key under the same kid', async () => {
    const text = await qrText();
    const [h, , s] = text.split('#')[1].split('.');
    const evil = Buffer.from(JSON.stringify(orgQrClaims(broker.url, { skt: SKT, name: 'Evil Corp' }))).toString(
      'base64url',
    );
    const r = await codeOf(verifyOrgQr(`${broker.url}/o#${h}.${evil}.${s}`, { trustedIssuers: trusted }));
    expect(r).toEqual({ code: SdkErrorCode.QR_INVALID, message: 'the QR signature does not verify' });

    const impostor = await ed25519Key();
    const forged = await signOrgQr(orgQrClaims(broker.url, { skt: SKT }), impostor, { kid: key.jwk.kid });
    expect((await codeOf(verifyOrgQr(`${broker.url}/o#${forged}`, { trustedIssuers: trusted }))).code).toBe(
      SdkErrorCode.QR_INVALID,
    );
    const unknownKid = await signOrgQr(orgQrClaims(broker.url, { skt: SKT }), impostor);
    expect((await codeOf(verifyOrgQr(`${broker.url}/o#${unknownKid}`, { trustedIssuers: trusted }))).message).toContain(
      'is not one of',
    );
  });

  it('refuses wrong typ, audience, version, and an API outside the issuer', async () => {
    const cases = [
      await qrText({}, { typ: 'JWT' }),
      await qrText({ aud: 'someone-else' }),
      await qrText({ v: 2 }),
      await qrText({ api: 'https://elsewhere.example/t/acme' }),
    ];
    for (const text of cases) {
      expect((await codeOf(verifyOrgQr(text, { trustedIssuers: trusted }))).code).toBe(SdkErrorCode.QR_INVALID);
    }
  });

  it('refuses a broker answer that contradicts the QR', async () => {
    resolvedSkt = 'A'.repeat(43);
    expect((await codeOf(verifyOrgQr(await qrText(), { trustedIssuers: trusted }))).code).toBe(
      SdkErrorCode.QR_RESOLVE_MISMATCH,
    );
  });

  it('passes the broker refusal through with its code (e.g. a rotated QR)', async () => {
    broker.handle('POST', '/api/v1/org-qr/resolve', () => ({
      status: 410,
      json: { code: 'ORG_QR_REVOKED', message: 'this QR code was replaced or revoked', requestId: 'req-9' },
    }));
    const err = (await verifyOrgQr(await qrText(), { trustedIssuers: trusted }).catch(
      (e: unknown) => e,
    )) as LanbridgeError;
    expect(err).toBeInstanceOf(LanbridgeError);
    expect([err.code, err.status, err.requestId]).toEqual(['ORG_QR_REVOKED', 410, 'req-9']);
  });

  it('uses JWKS pinned in the app without fetching', async () => {
    const org = await verifyOrgQr(await qrText(), {
      trustedIssuers: [{ issuer: broker.url, jwks: { keys: [key.jwk] } }],
      resolve: false,
    });
    expect(org.orgId).toBe('5b0e6a9e-8f5c-4a53-9a9e-2f1f8e0c1d11');
    expect(broker.requests).toHaveLength(0);
  });

  it('parses QR texts', () => {
    expect(parseOrgQr(' https://SG.lanbridge.example:443/o#a.b.c ')).toEqual({
      issuer: 'https://sg.lanbridge.example',
      token: 'a.b.c',
    });
    expect(parseOrgQr('a.b.c')).toEqual({ issuer: undefined, token: 'a.b.c' });
    for (const bad of [
      '',
      'https://x.example/o#',
      'https://x.example/p/o#a.b.c',
      'ftp://x/o#a.b.c',
      'hello',
      'x'.repeat(5000),
    ]) {
      expect(() => parseOrgQr(bad)).toThrow(LanbridgeError);
    }
  });
});
