import { LanbridgeClient, type SessionSnapshot } from './client';
import { LanbridgeError, SdkErrorCode } from './errors';
import type { Organisation } from './org-qr';
import {
  ed25519Key,
  fakeSite,
  type FakeSite,
  signAccessToken,
  signHello,
  startServer,
  type TestServer,
} from './testing/fixtures';

const ADMIN = { type: 'admin', username: 'admin', password: 'correct horse' } as const;

async function refusal(p: Promise<unknown>): Promise<LanbridgeError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof LanbridgeError)) throw new Error(`expected a LanbridgeError, got ${String(err)}`);
  return err;
}

describe('LanbridgeClient sign-in (mobile-path §2)', () => {
  let server: TestServer;
  let site: FakeSite;
  let org: Organisation;
  let sessions: (SessionSnapshot | undefined)[];

  const client = (over: Partial<Organisation> = {}): LanbridgeClient =>
    new LanbridgeClient({ org: { ...org, ...over }, onSessionChange: (s) => sessions.push(s) });

  beforeEach(async () => {
    server = await startServer();
    site = await fakeSite(server);
    org = {
      issuer: server.url,
      orgId: 'org-1',
      name: 'Acme Ltd',
      api: `${server.url}/t/acme`,
      skt: site.signing.thumbprint,
    };
    sessions = [];
  });

  afterEach(() => server.close());

  it('accepts a genuine hello and signs in with the credentials inside a JWE only', async () => {
    const c = client();
    const hello = await c.hello();
    expect(hello).toMatchObject({ siteId: site.siteId, thumbprint: site.signing.thumbprint, enc: site.encryption.jwk });

    const session = await c.login(ADMIN);
    expect(session).toMatchObject({ role: 'admin', siteId: site.siteId, name: 'admin' });
    expect(sessions).toEqual([session]);

    const [login] = site.logins;
    expect(login.header).toMatchObject({ alg: 'ECDH-ES', enc: 'A256GCM', kid: site.encryption.jwk.kid });
    const helloBodies = server.requests
      .filter((r) => r.path.endsWith('/auth/hello'))
      .map((r) => JSON.parse(r.body) as { nonce: string });
    expect(login.plaintext).toEqual({
      type: 'admin',
      username: 'admin',
      password: 'correct horse',
      hid: expect.any(String),
      nonce: helloBodies[1].nonce, // login made its own, fresh hello
    });
    expect(Buffer.from(helloBodies[1].nonce, 'base64url')).toHaveLength(32);
    for (const r of server.requests) expect(r.body).not.toContain('correct horse');
  });

  it('signs personnel in with pin and password', async () => {
    await client().login({ type: 'personnel', pin: '1001', password: 'correct horse' });
    expect(site.logins[0].plaintext).toMatchObject({ type: 'personnel', pin: '1001', password: 'correct horse' });
  });

  it('refuses a hello signed by another key than the one in its header', async () => {
    const impostor = await ed25519Key();
    site.helloOverride = async (nonce) => {
      const iat = Math.floor(Date.now() / 1000);
      const genuine = await signHello(
        { iss: site.siteId, nonce, hid: 'h1', enc: site.encryption.jwk, iat, exp: iat + 120, v: 1 },
        site.signing,
      );
      const forged = await signHello(
        { iss: site.siteId, nonce, hid: 'h1', enc: site.encryption.jwk, iat, exp: iat + 120, v: 1 },
        impostor,
      );
      // the genuine header (pinned key), the impostor's signature
      return `${genuine.split('.')[0]}.${forged.split('.')[1]}.${forged.split('.')[2]}`;
    };
    const err = await refusal(client().login(ADMIN));
    expect(err.code).toBe(SdkErrorCode.E2E_SITE_NOT_VERIFIED);
    expect(err.message).toContain('signature');
    expect(site.logins).toHaveLength(0);
    expect(server.requests.filter((r) => r.path.endsWith('/login'))).toHaveLength(0);
  });

  it('refuses a hello from a site key the QR does not pin (thumbprint mismatch)', async () => {
    const impostor = await ed25519Key();
    site.helloOverride = async (nonce) => {
      const iat = Math.floor(Date.now() / 1000);
      return signHello(
        { iss: site.siteId, nonce, hid: 'h1', enc: site.encryption.jwk, iat, exp: iat + 120, v: 1 },
        impostor,
      );
    };
    const err = await refusal(client().login(ADMIN));
    expect([err.code, err.message]).toEqual([
      SdkErrorCode.E2E_SITE_NOT_VERIFIED,
      'the site key does not match the key pinned by the QR code (thumbprint mismatch)',
    ]);
    expect(server.requests.filter((r) => r.path.endsWith('/login'))).toHaveLength(0);
  });

  it('refuses a hello answering another nonce', async () => {
    site.helloOverride = async () => {
      const iat = Math.floor(Date.now() / 1000);
      return signHello(
        {
          iss: site.siteId,
          nonce: 'replayed-nonce-from-before',
          hid: 'h1',
          enc: site.encryption.jwk,
          iat,
          exp: iat + 120,
          v: 1,
        },
        site.signing,
      );
    };
    const err = await refusal(client().hello());
    expect([err.code, err.message]).toEqual([
      SdkErrorCode.E2E_SITE_NOT_VERIFIED,
      'the hello answers another nonce than the one sent',
    ]);
  });

  it('refuses an expired hello, and wrong typ or alg', async () => {
    const iat = Math.floor(Date.now() / 1000) - 600;
    site.helloOverride = (nonce) =>
      signHello(
        { iss: site.siteId, nonce, hid: 'h1', enc: site.encryption.jwk, iat, exp: iat + 120, v: 1 },
        site.signing,
      );
    expect((await refusal(client().hello())).message).toBe('the hello has expired');

    const now = Math.floor(Date.now() / 1000);
    site.helloOverride = (nonce) =>
      signHello(
        { iss: site.siteId, nonce, hid: 'h1', enc: site.encryption.jwk, iat: now, exp: now + 120, v: 1 },
        site.signing,
        { typ: 'JWT' },
      );
    expect((await refusal(client().hello())).code).toBe(SdkErrorCode.E2E_SITE_NOT_VERIFIED);
  });

  it('refuses an access token not signed by the pinned key, and clears nothing it did not set', async () => {
    const impostor = await ed25519Key();
    site.tokenOverride = () => signAccessToken(impostor, { iss: site.siteId });
    const err = await refusal(client().login(ADMIN));
    expect(err.code).toBe(SdkErrorCode.E2E_SITE_NOT_VERIFIED);
    expect(err.message).toContain('access token');
    expect(sessions).toEqual([]);

    site.tokenOverride = () => signAccessToken(site.signing, { iss: 'another-site' });
    expect((await refusal(client().login(ADMIN))).message).toBe(
      'the access token was issued by another site than the hello',
    );
  });

  it('refuses to sign in to an organisation without a pin', async () => {
    const err = await refusal(client({ skt: null }).login(ADMIN));
    expect(err.code).toBe(SdkErrorCode.QR_NOT_PINNED);
    expect(server.requests).toHaveLength(0);
  });

  it('passes the server refusal through with code, status and request id', async () => {
    const err = await refusal(client().login({ ...ADMIN, password: 'wrong' }));
    expect([err.code, err.status, err.requestId, err.message]).toEqual([
      'INVALID_CREDENTIALS',
      401,
      'r-1',
      'wrong name or password',
    ]);
  });

  it('refreshes before expiry once for concurrent callers, and ends the session when refresh is refused', async () => {
    const c = client();
    const first = await c.login(ADMIN);
    // Pretend the token expires in 30 s: inside the 60 s leeway.
    const stale = new LanbridgeClient({
      org,
      session: { ...first, accessExpiresAt: Date.now() + 30_000 },
      onSessionChange: (s) => sessions.push(s),
    });
    const tokens = await Promise.all([stale.accessToken(), stale.accessToken(), stale.accessToken()]);
    expect(site.refreshCount).toBe(1);
    expect(new Set(tokens).size).toBe(1);
    expect(tokens[0]).not.toBe(first.accessToken);
    expect(stale.session?.refreshToken).not.toBe(first.refreshToken);

    // The first client's refresh token was used by the second: single use, so refused.
    const err = await refusal(c.refresh());
    expect(err.code).toBe(SdkErrorCode.NOT_SIGNED_IN);
    expect(c.session).toBeUndefined();
    expect(sessions.at(-1)).toBeUndefined();
  });

  it('logs out on the site and forgets the session', async () => {
    const c = client();
    await c.login(ADMIN);
    await c.logout();
    expect(c.session).toBeUndefined();
    const logout = server.requests.find((r) => r.path.endsWith('/auth/logout'));
    expect(logout?.headers.authorization).toMatch(/^Bearer ey/);
    expect((await refusal(c.dashboard.get())).code).toBe(SdkErrorCode.NOT_SIGNED_IN);
  });
});
