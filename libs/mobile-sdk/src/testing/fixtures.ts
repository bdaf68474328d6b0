/**
 * Test fixtures for the SDK's specs: a real local HTTP server, and tokens signed the way the
 * broker (org QR) and access-core (hello, access tokens) sign them per docs/mobile-path.md.
 * Node-only; not exported from the SDK entries.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  calculateJwkThumbprint,
  compactDecrypt,
  CompactSign,
  exportJWK,
  generateKeyPair,
  type CryptoKey,
  type JWK,
  SignJWT,
} from 'jose';

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

export interface Reply {
  readonly status?: number;
  readonly json?: unknown;
  readonly headers?: Record<string, string>;
  /** Destroy the socket without answering (a network error for the client). */
  readonly destroy?: boolean;
}

export type Handler = (req: RecordedRequest) => Reply | Promise<Reply>;

export interface TestServer {
  readonly url: string;
  readonly server: Server;
  readonly requests: RecordedRequest[];
  handle(method: string, path: string, handler: Handler): void;
  close(): Promise<void>;
}

/** A real HTTP server on 127.0.0.1 with a free port; unknown routes answer 404 NOT_FOUND. */
export async function startServer(): Promise<TestServer> {
  const routes = new Map<string, Handler>();
  const requests: RecordedRequest[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rec: RecordedRequest = {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(rec);
      const handler = routes.get(`${rec.method} ${rec.path.split('?')[0]}`);
      void Promise.resolve(handler ? handler(rec) : { status: 404, json: { code: 'NOT_FOUND', message: 'no route' } })
        .then((r) => {
          if (r.destroy) {
            req.socket.destroy();
            return;
          }
          const body = r.json === undefined ? '' : JSON.stringify(r.json);
          res.writeHead(r.status ?? 200, {
            ...(body ? { 'content-type': 'application/json' } : {}),
            ...r.headers,
          });
          res.end(body);
        })
        .catch((err: unknown) => {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ code: 'TEST_HANDLER_FAILED', message: String(err) }));
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    requests,
    handle: (method, path, handler) => routes.set(`${method} ${path}`, handler),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface Ed25519Key {
  readonly privateKey: CryptoKey;
  /** Public JWK: kty, crv, x (+ kid, alg, use as published). */
  readonly jwk: JWK & { kid: string };
  readonly thumbprint: string;
}

export async function ed25519Key(): Promise<Ed25519Key> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const pub = await exportJWK(publicKey);
  const thumbprint = await calculateJwkThumbprint({ kty: pub.kty, crv: pub.crv, x: pub.x }, 'sha256');
  return {
    privateKey,
    jwk: { kty: 'OKP', crv: 'Ed25519', x: pub.x, kid: thumbprint, alg: 'EdDSA', use: 'sig' },
    thumbprint,
  };
}

export interface X25519Key {
  readonly privateKey: CryptoKey;
  readonly jwk: { kty: 'OKP'; crv: 'X25519'; x: string; kid: string };
}

export async function x25519Key(): Promise<X25519Key> {
  const { privateKey, publicKey } = await generateKeyPair('ECDH-ES', { crv: 'X25519', extractable: true });
  const pub = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint({ kty: pub.kty, crv: pub.crv, x: pub.x }, 'sha256');
  return { privateKey, jwk: { kty: 'OKP', crv: 'X25519', x: pub.x ?? '', kid } };
}

const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');

/** A compact JWS with any header (including ones the SDK must refuse), signed with EdDSA. */
export async function signJws(header: Record<string, unknown>, payload: unknown, key: CryptoKey): Promise<string> {
  return new CompactSign(Buffer.from(JSON.stringify(payload)))
    .setProtectedHeader({ alg: 'EdDSA', ...header })
    .sign(key);
}

/** `alg: none`: header.payload. (empty signature). */
export function unsignedJws(header: Record<string, unknown>, payload: unknown): string {
  return `${b64({ alg: 'none', ...header })}.${b64(payload)}.`;
}

/** The organisation QR as the broker signs it (org-qr-jws.ts) plus `skt`. */
export function orgQrClaims(issuer: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: issuer,
    sub: '5b0e6a9e-8f5c-4a53-9a9e-2f1f8e0c1d11',
    aud: 'lanbridge-app',
    name: 'Acme Ltd',
    api: `${issuer}/t/acme`,
    v: 1,
    iat: now,
    exp: now + 3600,
    jti: '0f7a3f4e-1111-4222-8333-944455556666',
    ...over,
  };
}

export function signOrgQr(
  claims: Record<string, unknown>,
  key: Ed25519Key,
  header: Record<string, unknown> = {},
): Promise<string> {
  return signJws({ kid: key.jwk.kid, typ: 'org-qr+jwt', ...header }, claims, key.privateKey);
}

/** The hello as access-core signs it (mobile-path §2). */
export function signHello(
  payload: Record<string, unknown>,
  key: Ed25519Key,
  header: Record<string, unknown> = {},
): Promise<string> {
  return signJws(
    { typ: 'site-hello+jwt', jwk: { kty: 'OKP', crv: 'Ed25519', x: key.jwk.x }, ...header },
    payload,
    key.privateKey,
  );
}

/** An access token as access-core signs it (auth/access-token.ts). */
export function signAccessToken(
  key: Ed25519Key,
  claims: { iss: string; sub?: string; role?: string; name?: string; lifetimeS?: number },
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ role: claims.role ?? 'admin', name: claims.name ?? 'admin', sid: 'family-1' })
    .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: key.thumbprint })
    .setIssuer(claims.iss)
    .setAudience('lanbridge-mobile')
    .setSubject(claims.sub ?? '7d1c0d8e-2f0a-4c0e-9b43-0a6f3c1f9a10')
    .setIssuedAt(now)
    .setExpirationTime(now + (claims.lifetimeS ?? 900))
    .setJti(crypto.randomUUID())
    .sign(key.privateKey);
}

export interface FakeSite {
  readonly siteId: string;
  readonly signing: Ed25519Key;
  readonly encryption: X25519Key;
  /** Decrypted login plaintexts and JWE headers, in order. */
  readonly logins: { plaintext: Record<string, unknown>; header: Record<string, unknown> }[];
  /** Override to tamper with the hello (payload, signing key, header). */
  helloOverride?: (nonce: string) => Promise<string>;
  /** Override the access token issued (e.g. signed by another key). */
  tokenOverride?: () => Promise<string>;
  refreshCount: number;
}

/**
 * access-core's public auth endpoints under `<server>/t/acme` as the contract specifies them:
 * hello (signed), login with a JWE (decrypted with the X25519 key; hid and nonce checked),
 * refresh (single use), logout.
 */
export async function fakeSite(server: TestServer, prefix = '/t/acme'): Promise<FakeSite> {
  const site: FakeSite = {
    siteId: 'b3c0f7d2-5a55-4e2e-9c61-1f0d2f6a7e01',
    signing: await ed25519Key(),
    encryption: await x25519Key(),
    logins: [],
    refreshCount: 0,
  };
  const hellos = new Map<string, string>();
  let refreshToken = '';
  const pair = async (): Promise<Reply> => {
    refreshToken = crypto.randomUUID();
    return {
      json: {
        tokenType: 'Bearer',
        accessToken: site.tokenOverride
          ? await site.tokenOverride()
          : await signAccessToken(site.signing, { iss: site.siteId }),
        expiresIn: 900,
        refreshToken,
        refreshExpiresAt: new Date(Date.now() + 30 * 86400_000).toISOString(),
        role: 'admin',
        siteId: site.siteId,
      },
    };
  };
  server.handle('POST', `${prefix}/api/v1/auth/hello`, async (req) => {
    const { nonce } = JSON.parse(req.body) as { nonce: string };
    if (site.helloOverride) return { json: { hello: await site.helloOverride(nonce) } };
    const hid = crypto.randomUUID();
    hellos.set(hid, nonce);
    const iat = Math.floor(Date.now() / 1000);
    const hello = await signHello(
      { iss: site.siteId, nonce, hid, enc: site.encryption.jwk, iat, exp: iat + 120, v: 1 },
      site.signing,
    );
    return { json: { hello } };
  });
  server.handle('POST', `${prefix}/api/v1/auth/login`, async (req) => {
    const body = JSON.parse(req.body) as { jwe?: string };
    if (typeof body.jwe !== 'string')
      return { status: 400, json: { code: 'VALIDATION_FAILED', message: 'jwe expected' } };
    let plaintext: Record<string, unknown>;
    try {
      const r = await compactDecrypt(body.jwe, site.encryption.privateKey);
      plaintext = JSON.parse(Buffer.from(r.plaintext).toString('utf8')) as Record<string, unknown>;
      site.logins.push({ plaintext, header: r.protectedHeader });
    } catch {
      return { status: 400, json: { code: 'E2E_DECRYPT_FAILED', message: 'cannot decrypt' } };
    }
    const hid = String(plaintext.hid);
    if (hellos.get(hid) !== plaintext.nonce)
      return { status: 400, json: { code: 'E2E_HELLO_INVALID', message: 'bad hello' } };
    hellos.delete(hid);
    if (plaintext.password !== 'correct horse') {
      return {
        status: 401,
        json: { code: 'INVALID_CREDENTIALS', message: 'wrong name or password', requestId: 'r-1' },
      };
    }
    return pair();
  });
  server.handle('POST', `${prefix}/api/v1/auth/refresh`, async (req) => {
    const body = JSON.parse(req.body) as { refreshToken?: string };
    site.refreshCount += 1;
    if (body.refreshToken !== refreshToken) return { status: 401, json: { code: 'UNAUTHENTICATED', message: 'used' } };
    await new Promise((r) => setTimeout(r, 50));
    return pair();
  });
  server.handle('POST', `${prefix}/api/v1/auth/logout`, () => ({ status: 204 }));
  return site;
}
