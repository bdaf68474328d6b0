import { generateKeyPairSync } from 'node:crypto';
import * as oidc from 'openid-client';
import { connectorHandshake, WS_SUBPROTOCOL_V1, wsTransport } from '@lanbridge/tunnel-protocol';
import WebSocket from 'ws';
import {
  type Browser,
  type Harness,
  signedUpUser,
  startHarness,
  TEST_CLIENT,
  TEST_RS,
  TEST_WEB,
  type TestUser,
} from './harness';

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

function discover(h: Harness, clientId: string, auth: oidc.ClientAuth = oidc.None()): Promise<oidc.Configuration> {
  return oidc.discovery(new URL(h.url), clientId, undefined, auth, {
    execute: [oidc.allowInsecureRequests],
    algorithm: 'oauth2',
  });
}

async function authorize(
  u: TestUser,
  config: oidc.Configuration,
  params: Record<string, string>,
): Promise<{ status: number; location: URL | undefined }> {
  const url = oidc.buildAuthorizationUrl(config, params);
  const r = await u.browser.fetch(url.href);
  const loc = r.headers.get('location');
  return { status: r.status, location: loc ? new URL(loc, url) : undefined };
}

async function oauthError(p: Promise<unknown>): Promise<{ error: string; status: number }> {
  try {
    await p;
  } catch (err) {
    if (err instanceof oidc.ResponseBodyError) return { error: err.error, status: err.status };
    // A 401 with WWW-Authenticate (invalid_client) surfaces as a challenge error.
    if (err instanceof oidc.WWWAuthenticateChallengeError) return { error: 'invalid_client', status: err.status };
    throw err;
  }
  throw new Error('expected an OAuth error');
}

describe('OAuth2 authorization server (openid-client as the client)', () => {
  let h: Harness;
  let app: oidc.Configuration;
  let rs: oidc.Configuration;
  let connector: oidc.Configuration;
  let user: TestUser;

  beforeAll(async () => {
    h = await startHarness();
    app = await discover(h, TEST_CLIENT.clientId);
    rs = await discover(h, TEST_RS.clientId, oidc.ClientSecretBasic(TEST_RS.clientSecret));
    connector = await discover(h, 'lanbridge-connector');
    user = await signedUpUser(h, 'oauth');
  });
  afterAll(async () => {
    await h?.close();
  });

  async function codeFlow(): Promise<oidc.TokenEndpointResponse> {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const { status, location } = await authorize(user, app, {
      redirect_uri: TEST_CLIENT.redirectUri,
      scope: 'api',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    });
    expect(status).toBe(302);
    if (!location) throw new Error('no redirect');
    return oidc.authorizationCodeGrant(app, location, { pkceCodeVerifier: verifier, expectedState: state });
  }

  it('publishes RFC 8414 metadata and a JWKS with an Ed25519 key', async () => {
    const m = app.serverMetadata();
    expect(m.issuer).toBe(h.url);
    expect(m.code_challenge_methods_supported).toEqual(['S256']);
    expect(m.grant_types_supported).toContain(DEVICE_GRANT);
    const jwks = (await (await fetch(`${h.url}/.well-known/jwks.json`)).json()) as {
      keys: { kty: string; crv: string; kid: string; alg: string }[];
    };
    expect(jwks.keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA' });
    expect(jwks.keys[0]?.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('runs authorization code + PKCE, and the access token works on the API', async () => {
    const t = await codeFlow();
    expect(t.token_type.toLowerCase()).toBe('bearer');
    expect(t.refresh_token).toBeDefined();
    const me = await fetch(`${h.url}/api/v1/me`, { headers: { authorization: `Bearer ${t.access_token}` } });
    expect(me.status).toBe(200);
    expect(((await me.json()) as { email: string }).email).toBe(user.email);
  });

  it('refuses PKCE violations and redirect mismatches', async () => {
    // No challenge from a public client: error goes back to the (registered) redirect URI.
    const none = await authorize(user, app, { redirect_uri: TEST_CLIENT.redirectUri, scope: 'api', state: 's1' });
    expect(none.location?.searchParams.get('error')).toBe('invalid_request');
    // plain is not accepted.
    const plain = await authorize(user, app, {
      redirect_uri: TEST_CLIENT.redirectUri,
      code_challenge: oidc.randomPKCECodeVerifier(),
      code_challenge_method: 'plain',
    });
    expect(plain.location?.searchParams.get('error')).toBe('invalid_request');
    // Unregistered redirect URI (even a prefix match): no redirect at all.
    const evil = await authorize(user, app, {
      redirect_uri: `${TEST_CLIENT.redirectUri}/../evil`,
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    });
    expect(evil.status).toBe(400);
    expect(evil.location).toBeUndefined();

    // Wrong verifier.
    const verifier = oidc.randomPKCECodeVerifier();
    const r = await authorize(user, app, {
      redirect_uri: TEST_CLIENT.redirectUri,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    if (!r.location) throw new Error('no redirect');
    const wrong = await oauthError(
      oidc.authorizationCodeGrant(app, r.location, { pkceCodeVerifier: oidc.randomPKCECodeVerifier() }),
    );
    expect(wrong).toEqual({ error: 'invalid_grant', status: 400 });
    // Redirect URI mismatch at the token endpoint.
    const code = r.location.searchParams.get('code') ?? '';
    const mismatch = await oauthError(
      oidc.genericGrantRequest(app, 'authorization_code', {
        code,
        code_verifier: verifier,
        redirect_uri: 'http://127.0.0.1:9/other',
      }),
    );
    expect(mismatch).toEqual({ error: 'invalid_grant', status: 400 });
  });

  it('names the issuer (RFC 9207) in error redirects too, so a strict client shows the real error', async () => {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const r = await authorize(user, app, {
      redirect_uri: TEST_CLIENT.redirectUri,
      scope: 'api admin',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    });
    expect(r.status).toBe(302);
    if (!r.location) throw new Error('no redirect');
    expect(r.location.searchParams.get('iss')).toBe(h.url);
    // openid-client checks iss before it reads the error; without iss it would report that instead.
    const err = await oidc
      .authorizationCodeGrant(app, r.location, { pkceCodeVerifier: verifier, expectedState: state })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(oidc.AuthorizationResponseError);
    expect((err as oidc.AuthorizationResponseError).error).toBe('invalid_scope');
    // A success names it too (openid-client checks it in every test that runs the code flow).
    const ok = await authorize(user, app, {
      redirect_uri: TEST_CLIENT.redirectUri,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    expect(ok.location?.searchParams.get('iss')).toBe(h.url);
  });

  it('grants a confidential client without PKCE only the scopes it is registered for', async () => {
    const web = await discover(h, TEST_WEB.clientId, oidc.ClientSecretBasic(TEST_WEB.clientSecret));
    const wide = await authorize(user, web, { redirect_uri: TEST_WEB.redirectUri, scope: 'connector admin' });
    expect(wide.status).toBe(302);
    expect(wide.location?.searchParams.get('error')).toBe('invalid_scope');
    expect(wide.location?.searchParams.get('code')).toBeNull();
    const state = oidc.randomState();
    const fair = await authorize(user, web, { redirect_uri: TEST_WEB.redirectUri, scope: 'api', state });
    if (!fair.location) throw new Error('no redirect');
    const t = await oidc.authorizationCodeGrant(web, fair.location, { expectedState: state });
    expect(t.scope).toBe('api');
  });

  it('makes codes single-use: a replay fails and revokes what the code gave', async () => {
    const verifier = oidc.randomPKCECodeVerifier();
    const r = await authorize(user, app, {
      redirect_uri: TEST_CLIENT.redirectUri,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    if (!r.location) throw new Error('no redirect');
    const first = await oidc.authorizationCodeGrant(app, r.location, { pkceCodeVerifier: verifier });
    const replay = await oauthError(oidc.authorizationCodeGrant(app, r.location, { pkceCodeVerifier: verifier }));
    expect(replay).toEqual({ error: 'invalid_grant', status: 400 });
    expect((await oidc.tokenIntrospection(rs, first.access_token)).active).toBe(false);
  });

  it('rotates refresh tokens and revokes the family when a rotated one is reused', async () => {
    const t = await codeFlow();
    const r1 = t.refresh_token ?? '';
    const t2 = await oidc.refreshTokenGrant(app, r1);
    expect(t2.refresh_token).toBeDefined();
    expect(t2.refresh_token).not.toBe(r1);
    expect((await oidc.tokenIntrospection(rs, t2.access_token)).active).toBe(true);

    const reuse = await oauthError(oidc.refreshTokenGrant(app, r1));
    expect(reuse).toEqual({ error: 'invalid_grant', status: 400 });
    // The whole family is gone: the newest refresh and access tokens too.
    expect((await oidc.tokenIntrospection(rs, t2.access_token)).active).toBe(false);
    expect(await oauthError(oidc.refreshTokenGrant(app, t2.refresh_token ?? ''))).toEqual({
      error: 'invalid_grant',
      status: 400,
    });
  });

  it('revokes tokens (RFC 7009) and introspects only for confidential clients (RFC 7662)', async () => {
    const t = await codeFlow();
    const intro = await oidc.tokenIntrospection(rs, t.access_token);
    expect(intro).toMatchObject({
      active: true,
      client_id: TEST_CLIENT.clientId,
      sub: user.userId,
      scope: 'api',
      iss: h.url,
    });
    expect((await oidc.tokenIntrospection(rs, 'lba_garbage')).active).toBe(false);
    // Public clients cannot introspect.
    const pub = await fetch(`${h.url}/oauth/introspect`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: TEST_CLIENT.clientId, token: t.access_token }),
    });
    expect(pub.status).toBe(401);
    expect(((await pub.json()) as { error: string }).error).toBe('invalid_client');
    const badSecret = await discover(h, TEST_RS.clientId, oidc.ClientSecretBasic('wrong-secret-wrong-secret'));
    expect((await oauthError(oidc.tokenIntrospection(badSecret, t.access_token))).status).toBe(401);

    await oidc.tokenRevocation(app, t.refresh_token ?? '');
    expect((await oidc.tokenIntrospection(rs, t.access_token)).active).toBe(false);
    expect((await fetch(`${h.url}/api/v1/me`, { headers: { authorization: `Bearer ${t.access_token}` } })).status).toBe(
      401,
    );
  });

  it('answers token-endpoint errors with RFC 6749 §5.2 status codes', async () => {
    const post = (body: Record<string, string>): Promise<Response> =>
      fetch(`${h.url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(body),
      });
    const unsupported = await post({
      grant_type: 'password',
      client_id: TEST_CLIENT.clientId,
      username: 'a',
      password: 'b',
    });
    expect(unsupported.status).toBe(400);
    expect(((await unsupported.json()) as { error: string }).error).toBe('unsupported_grant_type');
    const badCode = await post({
      grant_type: 'authorization_code',
      client_id: TEST_CLIENT.clientId,
      code: 'nope',
      redirect_uri: TEST_CLIENT.redirectUri,
    });
    expect(badCode.status).toBe(400);
    expect(((await badCode.json()) as { error: string }).error).toBe('invalid_grant');
    const unknownClient = await post({ grant_type: 'authorization_code', client_id: 'who', code: 'x' });
    expect(unknownClient.status).toBe(401);
    const deviceByApp = await post({ grant_type: DEVICE_GRANT, client_id: TEST_CLIENT.clientId, device_code: 'x' });
    expect(deviceByApp.status).toBe(400);
    expect(((await deviceByApp.json()) as { error: string }).error).toBe('unauthorized_client');
  });

  describe('device flow (connector activation)', () => {
    function keyPem(): { pem: string; privateKey: ReturnType<typeof generateKeyPairSync>['privateKey'] } {
      const { privateKey, publicKey } = generateKeyPairSync('ed25519');
      return { pem: publicKey.export({ format: 'pem', type: 'spki' }).toString(), privateKey };
    }

    async function enterCode(b: Browser, userCode: string): Promise<string> {
      const form = await b.fetch('/activate');
      expect(form.status).toBe(200);
      const r = await b.fetch('/activate', {
        method: 'POST',
        form: { user_code: userCode.toLowerCase(), _csrf: b.cookie('lb_csrf') ?? '' },
      });
      expect(r.status).toBe(200);
      return r.text();
    }

    it('is pending, slows down fast pollers, and after approval registers the key in the chosen company', async () => {
      const { pem, privateKey } = keyPem();
      const da = await oidc.initiateDeviceAuthorization(connector, {
        public_key: pem,
        hostname: 'gate-pc-01',
        area: 'sg',
      });
      expect(da.user_code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
      expect(da.verification_uri).toBe(`${h.url}/activate`);
      expect(da.verification_uri_complete).toBeUndefined();
      expect(da.interval).toBe(1);

      const poll = (): Promise<unknown> =>
        oidc.genericGrantRequest(connector, DEVICE_GRANT, { device_code: da.device_code });
      expect(await oauthError(poll())).toEqual({ error: 'authorization_pending', status: 400 });
      expect(await oauthError(poll())).toEqual({ error: 'slow_down', status: 400 });
      // The client should now add 5 s (RFC 8628 §3.5). One that missed that answer and keeps
      // the announced interval is not slowed down again.
      await new Promise((r) => setTimeout(r, 1100));
      expect(await oauthError(poll())).toEqual({ error: 'authorization_pending', status: 400 });
      expect(await oauthError(poll())).toEqual({ error: 'slow_down', status: 400 });

      const page = await enterCode(user.browser, da.user_code);
      expect(page).toContain('gate-pc-01');
      expect(page).toContain('127.0.0.1');
      const created = await user.browser.fetch('/api/v1/companies', {
        method: 'POST',
        json: { name: 'Acme Security' },
      });
      const company = (await created.json()) as { id: string; slug: string };
      const approve = await user.browser.fetch('/activate', {
        method: 'POST',
        form: {
          user_code: da.user_code,
          decision: 'approve',
          organization_id: company.id,
          _csrf: user.browser.cookie('lb_csrf') ?? '',
        },
      });
      expect(approve.status).toBe(200);
      expect(await approve.text()).toContain('Acme Security');

      // openid-client never saw the two slow_downs above: at the announced interval it gets the token.
      const t = (await oidc.pollDeviceAuthorizationGrant(connector, da)) as oidc.TokenEndpointResponse &
        Record<string, unknown>;
      expect(t).toMatchObject({
        organization_id: company.id,
        organization_slug: company.slug,
        area: 'sg',
        broker_url: h.url,
        scope: 'connector',
      });
      expect(typeof t.connector_id).toBe('string');
      // The device code is spent.
      expect((await oauthError(poll())).error).toBe('invalid_grant');
      // The connector token grants no user API.
      expect(
        (await fetch(`${h.url}/api/v1/me`, { headers: { authorization: `Bearer ${t.access_token}` } })).status,
      ).toBe(401);

      // The registered key opens a tunnel for that company.
      const ws = new WebSocket(`${h.url.replace(/^http/, 'ws')}/tunnel/v1/connect`, [WS_SUBPROTOCOL_V1]);
      try {
        const ready = await connectorHandshake(wsTransport(ws), {
          connectorId: t.connector_id as string,
          privateKey,
          agent: { version: 'test', hostname: 'gate-pc-01' },
        });
        expect(ready.orgId).toBe(company.id);
      } finally {
        ws.terminate();
      }

      const audit = (await (await user.browser.fetch(`/api/v1/companies/${company.id}/audit`)).json()) as {
        action: string;
      }[];
      expect(audit.map((a) => a.action)).toContain('connector.activated');
    });

    it('can create the company while approving', async () => {
      const { pem } = keyPem();
      const da = await oidc.initiateDeviceAuthorization(connector, { public_key: pem, hostname: 'site-b' });
      await enterCode(user.browser, da.user_code);
      const approve = await user.browser.fetch('/activate', {
        method: 'POST',
        form: {
          user_code: da.user_code,
          decision: 'approve',
          organization_id: 'new',
          new_company_name: 'Brand New Co',
          _csrf: user.browser.cookie('lb_csrf') ?? '',
        },
      });
      expect(approve.status).toBe(200);
      const t = (await oidc.pollDeviceAuthorizationGrant(connector, da)) as oidc.TokenEndpointResponse &
        Record<string, unknown>;
      expect(t.organization_name).toBe('Brand New Co');
      const mine = (await (await user.browser.fetch('/api/v1/companies')).json()) as { id: string; role: string }[];
      expect(mine.find((c) => c.id === t.organization_id)?.role).toBe('owner');
    });

    it('reports access_denied when the user denies', async () => {
      const { pem } = keyPem();
      const da = await oidc.initiateDeviceAuthorization(connector, { public_key: pem, hostname: 'denied-host' });
      await enterCode(user.browser, da.user_code);
      const deny = await user.browser.fetch('/activate', {
        method: 'POST',
        form: { user_code: da.user_code, decision: 'deny', _csrf: user.browser.cookie('lb_csrf') ?? '' },
      });
      expect(deny.status).toBe(200);
      expect(await oauthError(oidc.pollDeviceAuthorizationGrant(connector, da))).toEqual({
        error: 'access_denied',
        status: 400,
      });
    });

    it('refuses bad device requests precisely', async () => {
      const post = (body: Record<string, string>): Promise<Response> =>
        fetch(`${h.url}/oauth/device_authorization`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams(body),
        });
      const noKey = await post({ client_id: 'lanbridge-connector', hostname: 'x' });
      expect(noKey.status).toBe(400);
      expect(((await noKey.json()) as { error: string }).error).toBe('invalid_request');
      const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 })
        .publicKey.export({ format: 'pem', type: 'spki' })
        .toString();
      expect((await post({ client_id: 'lanbridge-connector', hostname: 'x', public_key: rsa })).status).toBe(400);
      const { pem } = keyPem();
      expect(
        (await post({ client_id: 'lanbridge-connector', hostname: 'x', public_key: pem, area: 'mars' })).status,
      ).toBe(400);
      expect((await post({ client_id: 'nobody', hostname: 'x', public_key: pem })).status).toBe(401);
      // Unknown user code on the page.
      const bad = await user.browser.fetch('/activate', {
        method: 'POST',
        form: { user_code: 'BBBB-BBBB', _csrf: user.browser.cookie('lb_csrf') ?? '' },
      });
      expect(bad.status).toBe(404);
    });
  });
});

describe('device flow expiry', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ OAUTH_DEVICE_CODE_TTL_S: '1' });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('answers expired_token once the device code expired', async () => {
    const connector = await discover(h, 'lanbridge-connector');
    const pem = generateKeyPairSync('ed25519').publicKey.export({ format: 'pem', type: 'spki' }).toString();
    const da = await oidc.initiateDeviceAuthorization(connector, { public_key: pem, hostname: 'slow-site' });
    await new Promise((r) => setTimeout(r, 1200));
    expect(
      await oauthError(oidc.genericGrantRequest(connector, DEVICE_GRANT, { device_code: da.device_code })),
    ).toEqual({
      error: 'expired_token',
      status: 400,
    });
  });
});
