/**
 * Broker-side site sessions (docs/mobile-path.md §1 and §3), with the real apps as processes:
 * client → cloud broker (/t/<org>/…) → tunnel → edge connector → recording proxy → access-core.
 * A second organisation stands on a stand-in site with a key of its own.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Client } from 'pg';
import WebSocket from 'ws';
import {
  APP_MAIN,
  freePort,
  httpGetJson,
  runJsonCli,
  type SiteStack,
  type SpawnedApp,
  spawnApp,
  startSiteStack,
  TEST_DATABASE_URL,
  tempDir,
  waitFor,
} from '@lanbridge/testing';
import { json, request } from './support/http';
import { type RecordingProxy, startRecordingProxy } from './support/recording-proxy';

interface Jwk {
  readonly kty: string;
  readonly crv: string;
  readonly x: string;
  readonly kid?: string;
  readonly use?: string;
}

const b64json = (v: object): string => Buffer.from(JSON.stringify(v)).toString('base64url');
const decodePart = (jws: string, i: 0 | 1): Record<string, unknown> =>
  JSON.parse(Buffer.from(jws.split('.')[i], 'base64url').toString('utf8')) as Record<string, unknown>;

/** RFC 7638 thumbprint of an OKP JWK. */
function thumbprint(jwk: Pick<Jwk, 'crv' | 'kty' | 'x'>): string {
  return crypto
    .createHash('sha256')
    .update(JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x }))
    .digest('base64url');
}

function signJws(header: object, payload: object, key: crypto.KeyObject): string {
  const input = `${b64json(header)}.${b64json(payload)}`;
  return `${input}.${crypto.sign(null, Buffer.from(input), key).toString('base64url')}`;
}

function accessToken(key: crypto.KeyObject, kid: string, claims: Record<string, unknown>): string {
  const iat = Math.floor(Date.now() / 1000);
  return signJws(
    { alg: 'EdDSA', typ: 'at+jwt', kid },
    {
      aud: 'lanbridge-mobile',
      sub: 'op-1',
      role: 'admin',
      name: 'admin',
      sid: 's-1',
      iat,
      exp: iat + 600,
      jti: crypto.randomUUID(),
      ...claims,
    },
    key,
  );
}

/** A stand-in on-prem site: answers hellos signed with its own key, records everything else. */
async function startFakeSite(siteId: string): Promise<{
  url: string;
  privateKey: crypto.KeyObject;
  thumbprint: string;
  seen: string[];
  close(): Promise<void>;
}> {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ed25519');
  const jwk = publicKey.export({ format: 'jwk' }) as Jwk;
  const enc = crypto.generateKeyPairSync('x25519').publicKey.export({ format: 'jwk' }) as Jwk;
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/api/v1/auth/hello') {
        const { nonce } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { nonce: string };
        const iat = Math.floor(Date.now() / 1000);
        const hello = signJws(
          { alg: 'EdDSA', typ: 'site-hello+jwt', jwk: { kty: 'OKP', crv: 'Ed25519', x: jwk.x } },
          {
            iss: siteId,
            nonce,
            hid: crypto.randomUUID(),
            enc: { kty: 'OKP', crv: 'X25519', x: enc.x, kid: thumbprint(enc), alg: 'ECDH-ES', use: 'enc' },
            iat,
            exp: iat + 120,
            v: 1,
          },
          privateKey,
        );
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ hello }));
        return;
      }
      seen.push(`${req.method} ${req.url}`);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ site: siteId, path: req.url }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    privateKey,
    thumbprint: thumbprint(jwk),
    seen,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/** Opens a WebSocket; resolves with its first message, or rejects with the refusal status and body. */
function openStream(url: string, protocols: string[]): Promise<{ protocol: string; first: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols);
    ws.once('message', (data: Buffer) => {
      resolve({ protocol: ws.protocol, first: JSON.parse(data.toString('utf8')) as Record<string, unknown> });
      ws.close();
    });
    ws.once('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const err = Object.assign(new Error(`refused with ${res.statusCode}`), {
          status: res.statusCode,
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as { code: string },
        });
        reject(err);
      });
    });
    ws.once('error', reject);
  });
}

const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 300));

describe('site sessions: the broker checks /t/<org>/ of a site-session organisation', () => {
  let stack: SiteStack;
  let proxy: RecordingProxy;
  let pg: Client;
  let schema: string;
  let siteJwk: Jwk;
  let tmp: string;
  let fakeSite: Awaited<ReturnType<typeof startFakeSite>>;
  let connectorB: SpawnedApp | undefined;
  const slugB = `site-b-${crypto.randomBytes(3).toString('hex')}`;
  let api: string;

  async function orgRow(
    slug: string,
  ): Promise<{ id: string; site_id: string | null; site_key_thumbprint: string | null }> {
    const r = await pg.query<{ id: string; site_id: string | null; site_key_thumbprint: string | null }>(
      `SELECT "id", "site_id", "site_key_thumbprint" FROM "${schema}"."organization" WHERE "slug" = $1`,
      [slug],
    );
    return r.rows[0];
  }

  let session: { accessToken: string; refreshToken: string } | undefined;
  /** Signs in once (sign-ins count against the per-IP limit the throttling test exercises). */
  async function signIn(): Promise<{ accessToken: string; refreshToken: string }> {
    if (session) return session;
    const r = await request(`${api}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(JSON.stringify({ type: 'admin', username: 'admin', password: stack.adminPassword })),
    });
    expect(r.status).toBe(200);
    session = json<{ accessToken: string; refreshToken: string }>(r);
    return session;
  }

  beforeAll(async () => {
    tmp = tempDir('e2e-site-session');
    proxy = await startRecordingProxy();
    stack = await startSiteStack({
      prefix: 'e2e_site_session',
      brokerEnv: {
        INGRESS_SIGNIN_MAX_PER_IP: '5',
        INGRESS_SIGNIN_WINDOW_S: '60',
        ...(process.env.E2E_VERBOSE === '1' ? { LOG_LEVEL: 'info' } : {}),
      },
      connectorEnv: { LOCAL_APP_URL: proxy.url },
    });
    proxy.setTarget(stack.accessCoreUrl);
    api = stack.apiUrl;
    schema = stack.brokerEnv.DATABASE_SCHEMA;
    pg = new Client({ connectionString: TEST_DATABASE_URL });
    await pg.connect();
    const jwks = (await httpGetJson(`${stack.accessCoreUrl}/.well-known/jwks.json`)).body as { keys: Jwk[] };
    const sig = jwks.keys.find((k) => k.crv === 'Ed25519');
    if (!sig) throw new Error('access-core publishes no Ed25519 key');
    siteJwk = sig;

    // A second organisation whose site has a key of its own.
    fakeSite = await startFakeSite(`site-b-${crypto.randomUUID()}`);
    const { privateKey, publicKey } = crypto.generateKeyPairSync('ed25519');
    const keyFile = path.join(tmp, 'connector-b.key');
    fs.writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), { mode: 0o600 });
    const pubFile = path.join(tmp, 'connector-b.pub');
    fs.writeFileSync(pubFile, publicKey.export({ type: 'spki', format: 'pem' }).toString());
    const reg = runJsonCli<{ connectorId: string }>(
      APP_MAIN.brokerCli,
      ['register-connector', '--org', slugB, '--public-key', pubFile],
      stack.brokerEnv,
    );
    connectorB = spawnApp(
      'edge-connector-b',
      APP_MAIN.connector,
      ['run'],
      {
        BROKER_URL: `${stack.brokerUrl.replace(/^http/, 'ws')}/tunnel/v1/connect`,
        CONNECTOR_ID: reg.connectorId,
        CONNECTOR_KEY_FILE: keyFile,
        LOCAL_APP_URL: fakeSite.url,
        STATUS_HOST: '127.0.0.1',
        STATUS_PORT: String(await freePort()),
        LOG_LEVEL: 'warn',
      },
      { quiet: process.env.E2E_VERBOSE !== '1' },
    );
    await waitFor('both site keys recorded', async () =>
      Boolean((await orgRow(stack.orgSlug))?.site_key_thumbprint && (await orgRow(slugB))?.site_key_thumbprint),
    );
  }, 180_000);

  afterAll(async () => {
    await connectorB?.stop();
    await stack?.stop();
    await pg?.end();
    await fakeSite?.close();
    await proxy?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  }, 60_000);

  it('records the site id and key the site proves through the tunnel when it comes up', async () => {
    const row = await orgRow(stack.orgSlug);
    expect(row.site_key_thumbprint).toBe(thumbprint(siteJwk));
    expect(row.site_id).toEqual(expect.any(String));
    // The broker asked the site itself, through the connector.
    expect(proxy.seen.some((s) => s.method === 'POST' && s.path === '/api/v1/auth/hello')).toBe(true);
    expect((await orgRow(slugB)).site_key_thumbprint).toBe(fakeSite.thumbprint);
  });

  it('lets the public sign-in endpoints, the JWKS and the privacy policy through without a token', async () => {
    for (const p of ['/.well-known/jwks.json', '/api/v1/auth/jwks', '/api/v1/privacy-policy']) {
      const r = await request(`${api}${p}`);
      expect([p, r.status]).toEqual([p, 200]);
    }
    const jwks = json<{ keys: Jwk[] }>(await request(`${api}/.well-known/jwks.json`));
    expect(jwks.keys.map((k) => k.x)).toContain(siteJwk.x);
    const hello = await request(`${api}/api/v1/auth/hello`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(JSON.stringify({ nonce: crypto.randomBytes(32).toString('base64url') })),
    });
    expect(hello.status).toBe(200);
    expect(decodePart(json<{ hello: string }>(hello).hello, 0)).toMatchObject({ typ: 'site-hello+jwt' });
  });

  it('answers 401 SESSION_REQUIRED without a token, and access-core never sees the request', async () => {
    const before = proxy.seen.length;
    const me = await request(`${api}/api/v1/me`);
    expect(me.status).toBe(401);
    expect(json(me)).toMatchObject({ code: 'SESSION_REQUIRED', requestId: expect.any(String) });
    expect(me.headers['www-authenticate']).toMatch(/^Bearer /);
    const write = await request(`${api}/api/v1/doors/1/unlock`, { method: 'POST', body: Buffer.from('{}') });
    expect(json(write).code).toBe('SESSION_REQUIRED');
    // Paths the site may route like public ones are not public at the broker.
    for (const [method, p] of [
      ['POST', '/api/v1/auth/login/'],
      ['GET', '/API/V1/ME'],
      ['GET', '/api/v1/auth/jwks/x'],
    ]) {
      const r = await request(`${api}${p}`, { method });
      expect([p, json(r).code]).toEqual([p, 'SESSION_REQUIRED']);
    }
    await settle();
    expect(proxy.seen.slice(before)).toEqual([]);
  });

  it('signs in through the broker, and the site token then opens the rest of the API', async () => {
    const { accessToken, refreshToken } = await signIn();
    expect(decodePart(accessToken, 1).iss).toBe((await orgRow(stack.orgSlug)).site_id);
    const me = await request(`${api}/api/v1/me`, { headers: { authorization: `Bearer ${accessToken}` } });
    expect(me.status).toBe(200);
    expect(proxy.seen.some((s) => s.path === '/api/v1/me' && s.headers.authorization === `Bearer ${accessToken}`)).toBe(
      true,
    );
    const refreshed = await request(`${api}/api/v1/auth/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(JSON.stringify({ refreshToken })),
    });
    expect(refreshed.status).toBe(200);
  });

  it('refuses a forged token (signed by another key, or altered) with 401 SESSION_INVALID', async () => {
    const siteId = (await orgRow(stack.orgSlug)).site_id ?? '';
    const forger = crypto.generateKeyPairSync('ed25519').privateKey;
    const forged = accessToken(forger, thumbprint(siteJwk), { iss: siteId });
    const { accessToken: real } = await signIn();
    const [h, , s] = real.split('.');
    const altered = `${h}.${b64json({ ...decodePart(real, 1), sub: 'someone-else' })}.${s}`;
    const before = proxy.seen.length;
    for (const token of [forged, altered, 'not-a-token']) {
      const r = await request(`${api}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } });
      expect(r.status).toBe(401);
      expect(json(r).code).toBe('SESSION_INVALID');
      expect(r.headers['www-authenticate']).toContain('invalid_token');
    }
    await settle();
    expect(proxy.seen.slice(before)).toEqual([]);
  });

  it("refuses organisation A's token at organisation B, whose own site's token passes", async () => {
    const { accessToken: tokenA } = await signIn();
    const atB = await request(`${stack.brokerUrl}/t/${slugB}/api/v1/me`, {
      headers: { authorization: `Bearer ${tokenA}` },
    });
    expect(atB.status).toBe(401);
    expect(json(atB).code).toBe('SESSION_INVALID');
    expect(fakeSite.seen).toEqual([]);

    const siteB = (await orgRow(slugB)).site_id ?? '';
    const tokenB = accessToken(fakeSite.privateKey, fakeSite.thumbprint, { iss: siteB });
    const ok = await request(`${stack.brokerUrl}/t/${slugB}/api/v1/me`, {
      headers: { authorization: `Bearer ${tokenB}` },
    });
    expect(ok.status).toBe(200);
    expect(fakeSite.seen).toEqual(['GET /api/v1/me']);
    // And B's token is no key to A.
    const atA = await request(`${api}/api/v1/me`, { headers: { authorization: `Bearer ${tokenB}` } });
    expect(json(atA).code).toBe('SESSION_INVALID');
  });

  it('throttles sign-in per client IP with 429 and Retry-After while another IP still gets in', async () => {
    const hello = (localAddress: string) =>
      request(`${api}/api/v1/auth/hello`, {
        method: 'POST',
        localAddress,
        headers: { 'content-type': 'application/json' },
        body: Buffer.from(JSON.stringify({ nonce: crypto.randomBytes(32).toString('base64url') })),
      });
    for (let i = 0; i < 5; i++) expect((await hello('127.0.0.2')).status).toBe(200);
    const before = proxy.seen.length;
    const limited = await hello('127.0.0.2');
    expect(limited.status).toBe(429);
    expect(json(limited).code).toBe('RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    await settle();
    expect(proxy.seen.slice(before)).toEqual([]);
    expect((await hello('127.0.0.3')).status).toBe(200);
  });

  it('refuses a WebSocket upgrade without a bearer; with one it reaches /api/v1/stream', async () => {
    const streamUrl = `${api.replace(/^http/, 'ws')}/api/v1/stream`;
    const before = proxy.seen.length;
    await expect(openStream(streamUrl, ['lanbridge.stream.v1'])).rejects.toMatchObject({
      status: 401,
      body: { code: 'SESSION_REQUIRED' },
    });
    await expect(openStream(streamUrl, ['lanbridge.stream.v1', 'bearer.a.b.c'])).rejects.toMatchObject({
      status: 401,
      body: { code: 'SESSION_INVALID' },
    });
    await settle();
    expect(proxy.seen.slice(before)).toEqual([]);

    const { accessToken } = await signIn();
    const opened = await openStream(streamUrl, ['lanbridge.stream.v1', `bearer.${accessToken}`]);
    expect(opened.protocol).toBe('lanbridge.stream.v1');
    expect(opened.first.type).toBe('ready');
    expect(proxy.seen.some((s) => s.upgrade && s.path === '/api/v1/stream')).toBe(true);
  });

  it("pins the site key in the organisation QR: skt is the thumbprint of access-core's signing key", async () => {
    const expected = thumbprint(siteJwk);
    // The QR issued at connect time (before the key was known) is rotated for one with skt.
    let token = '';
    await waitFor('a live QR with skt', async () => {
      const r = await pg.query<{ token: string }>(
        `SELECT q."token" FROM "${schema}"."org_qr_token" q JOIN "${schema}"."organization" o
           ON o."id" = q."organization_id" WHERE o."slug" = $1 AND q."revoked_at" IS NULL`,
        [stack.orgSlug],
      );
      token = r.rows[0]?.token ?? '';
      return token !== '' && decodePart(token, 1).skt === expected;
    });
    const brokerJwks = (await httpGetJson(`${stack.brokerUrl}/.well-known/jwks.json`)).body as { keys: Jwk[] };
    const kid = decodePart(token, 0).kid;
    const key = brokerJwks.keys.find((k) => k.kid === kid);
    if (!key) throw new Error('QR key not in the broker JWKS');
    const [h, p, s] = token.split('.');
    const pub = crypto.createPublicKey({ key: { kty: key.kty, crv: key.crv, x: key.x }, format: 'jwk' });
    expect(crypto.verify(null, Buffer.from(`${h}.${p}`), pub, Buffer.from(s, 'base64url'))).toBe(true);

    const resolved = await request(`${stack.brokerUrl}/api/v1/org-qr/resolve`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(JSON.stringify({ token })),
    });
    expect(resolved.status).toBe(200);
    expect(json(resolved)).toMatchObject({ skt: expected, online: true });
  });
});
