// The broker learning a site's key through the tunnel, against PostgreSQL: a real broker and a
// real tunnel session, with the site side played by the test (so it can stay silent, then
// answer, then change its key).
import { createHash, generateKeyPairSync, type KeyObject, randomBytes, randomUUID, sign } from 'node:crypto';
import { createLogger } from '@lanbridge/logging';
import {
  connectorHandshake,
  type ControlMessage,
  createSession,
  type TunnelSession,
  type TunnelStream,
  WS_SUBPROTOCOL_V1,
  wsTransport,
} from '@lanbridge/tunnel-protocol';
import { Client } from 'pg';
import WebSocket from 'ws';
import { type RunningBroker, startBroker } from '../bootstrap';

const DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';
const SCHEMA = `site_trust_e2e_${randomBytes(6).toString('hex')}`;

const b64 = (v: object): string => Buffer.from(JSON.stringify(v)).toString('base64url');
const claimsOf = (jws: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(jws.split('.')[1], 'base64url').toString('utf8')) as Record<string, unknown>;

function jws(header: object, payload: object, key: KeyObject): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${sign(null, Buffer.from(input), key).toString('base64url')}`;
}

/** The site's side: an Ed25519 key, a site id, and how many hellos to refuse before answering. */
class FakeSite {
  key = generateKeyPairSync('ed25519').privateKey;
  refuse = 0;
  readonly hellos: number[] = [];
  readonly requests: string[] = [];
  constructor(readonly siteId: string) {}

  get x(): string {
    return String(this.key.export({ format: 'jwk' }).x);
  }

  get thumbprint(): string {
    return createHash('sha256')
      .update(JSON.stringify({ crv: 'Ed25519', kty: 'OKP', x: this.x }))
      .digest('base64url');
  }

  token(): string {
    const iat = Math.floor(Date.now() / 1000);
    return jws(
      { alg: 'EdDSA', typ: 'at+jwt', kid: this.thumbprint },
      {
        iss: this.siteId,
        aud: 'lanbridge-mobile',
        sub: 'op-1',
        role: 'admin',
        name: 'admin',
        sid: 's-1',
        iat,
        exp: iat + 600,
        jti: randomUUID(),
      },
      this.key,
    );
  }

  answer(stream: TunnelStream): void {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('error', () => undefined);
    stream.on('end', () => {
      const { method, path } = stream.requestHead;
      if (method === 'POST' && path === '/api/v1/auth/hello') {
        this.hellos.push(Date.now());
        if (this.refuse > 0) {
          this.refuse--;
          stream.sendResponseHead({ status: 503, headers: ['Content-Type', 'application/json'] });
          stream.end('{"code":"NOT_READY"}');
          return;
        }
        const { nonce } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { nonce: string };
        const enc = generateKeyPairSync('x25519').publicKey.export({ format: 'jwk' });
        const iat = Math.floor(Date.now() / 1000);
        const hello = jws(
          { alg: 'EdDSA', typ: 'site-hello+jwt', jwk: { kty: 'OKP', crv: 'Ed25519', x: this.x } },
          {
            iss: this.siteId,
            nonce,
            hid: randomUUID(),
            enc: { kty: 'OKP', crv: 'X25519', x: enc.x, kid: 'e', alg: 'ECDH-ES', use: 'enc' },
            iat,
            exp: iat + 120,
            v: 1,
          },
          this.key,
        );
        stream.sendResponseHead({ status: 200, headers: ['Content-Type', 'application/json'] });
        stream.end(JSON.stringify({ hello }));
        return;
      }
      this.requests.push(`${method} ${path}`);
      stream.sendResponseHead({ status: 200, headers: ['Content-Type', 'text/plain'] });
      stream.end('site');
    });
  }
}

interface Connected {
  readonly session: TunnelSession;
  readonly ws: WebSocket;
  readonly messages: ControlMessage[];
}

async function connect(broker: RunningBroker, connectorId: string, key: KeyObject, site: FakeSite): Promise<Connected> {
  const ws = new WebSocket(`${broker.url.replace(/^http/, 'ws')}/tunnel/v1/connect`, [WS_SUBPROTOCOL_V1]);
  const transport = wsTransport(ws);
  const ready = await connectorHandshake(transport, {
    connectorId,
    privateKey: key,
    agent: { version: 'test', hostname: 'site-trust-e2e' },
  });
  const session = createSession(transport, 'connector', { version: ready.version });
  const messages: ControlMessage[] = [];
  session.on('message', (m) => messages.push(m));
  session.on('stream', (s) => site.answer(s));
  return { session, ws, messages };
}

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** skt of the newest org-qr control message the connector got. */
function lastQrSkt(c: Connected): unknown {
  const qr = c.messages.filter((m) => m.type === 'org-qr').at(-1);
  if (typeof qr?.payload !== 'string') return undefined;
  return claimsOf(qr.payload.slice(qr.payload.indexOf('#') + 1)).skt;
}

describe('site trust: the broker learns the site key through the tunnel', () => {
  const pg = new Client({ connectionString: DATABASE_URL });
  const logs: Record<string, unknown>[] = [];
  const logger = createLogger(
    'site-trust-e2e',
    { level: 'info' },
    {
      write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>),
    },
  );
  let broker: RunningBroker;
  const open: Connected[] = [];
  const site = new FakeSite(randomUUID());
  const connectorKey = generateKeyPairSync('ed25519');
  let connectorId = '';

  const get = (token?: string): Promise<Response> =>
    fetch(`${broker.url}/t/pinned/api/v1/me`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  beforeAll(async () => {
    await pg.connect();
    await pg.query(`CREATE SCHEMA "${SCHEMA}"`);
    broker = await startBroker(
      { DATABASE_URL, DATABASE_SCHEMA: SCHEMA, BROKER_PORT: '0', DRAIN_TIMEOUT_MS: '1000' },
      { logger },
    );
    connectorId = (
      await broker.connectors.register({
        orgSlug: 'pinned',
        publicKeyPem: connectorKey.publicKey.export({ format: 'pem', type: 'spki' }).toString(),
      })
    ).connectorId;
  });

  afterAll(async () => {
    for (const c of open) c.ws.terminate();
    await broker?.close();
    await pg.query(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`);
    await pg.end();
  });

  it('asks a site that does not answer again after a pause, and records its key once it does', async () => {
    site.refuse = 1;
    const c = await connect(broker, connectorId, connectorKey.privateKey, site);
    open.push(c);
    await until('first hello', () => (site.hellos.length >= 1 ? true : undefined));

    // Until the key is known the broker answers for the site, without a stream.
    const early = await get(site.token());
    expect(early.status).toBe(503);
    expect(early.headers.get('retry-after')).toBe('5');
    expect(((await early.json()) as { code: string }).code).toBe('SITE_KEY_UNAVAILABLE');
    expect(logs.some((l) => l.msg === 'site hello failed; asking again' && l.status === 503)).toBe(true);

    await until('the key', async () => ((await get(site.token())).status === 200 ? true : undefined));
    expect(site.hellos).toHaveLength(2);
    expect(site.hellos[1] - site.hellos[0]).toBeGreaterThanOrEqual(900);
    expect(site.requests).toEqual(['GET /api/v1/me']);
    const row = await pg.query<{ site_id: string; site_key_thumbprint: string; site_key_jwk: unknown }>(
      `SELECT site_id, site_key_thumbprint, site_key_jwk FROM "${SCHEMA}".organization WHERE slug = 'pinned'`,
    );
    expect(row.rows[0]).toEqual({
      site_id: site.siteId,
      site_key_thumbprint: site.thumbprint,
      site_key_jwk: { kty: 'OKP', crv: 'Ed25519', x: site.x },
    });
    // The QR the connector shows is reissued with the key pinned.
    await until('a QR with skt', () => (lastQrSkt(c) === site.thumbprint ? true : undefined));
    expect((await get()).status).toBe(401);
  });

  it('logs a changed site key, refuses tokens of the old key and reissues the QR with the new one', async () => {
    const before = open[0];
    const oldToken = site.token();
    const oldThumbprint = site.thumbprint;
    const oldQr = before.messages.filter((m) => m.type === 'org-qr').at(-1)?.payload as string;
    before.ws.close();
    site.key = generateKeyPairSync('ed25519').privateKey;
    const c = await connect(broker, connectorId, connectorKey.privateKey, site);
    open.push(c);

    await until('the new key', async () => ((await get(site.token())).status === 200 ? true : undefined));
    const refused = await get(oldToken);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { code: string }).code).toBe('SESSION_INVALID');
    const warning = logs.find((l) => l.msg?.toString().startsWith('site key changed'));
    expect(warning).toMatchObject({ level: 40, previousThumbprint: oldThumbprint, thumbprint: site.thumbprint });

    await until('a QR with the new skt', () => (lastQrSkt(c) === site.thumbprint ? true : undefined));
    const resolve = (payload: string): Promise<Response> =>
      fetch(`${broker.url}/api/v1/org-qr/resolve`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token: payload }),
      });
    expect((await resolve(oldQr)).status).toBe(410);
    const current = await resolve(c.messages.filter((m) => m.type === 'org-qr').at(-1)?.payload as string);
    expect(await current.json()).toMatchObject({ skt: site.thumbprint, siteKeyThumbprint: site.thumbprint });
    // No token ever reaches a log line.
    expect(JSON.stringify(logs)).not.toContain(oldToken.split('.')[2]);
  });

  it('asks again at once when the connector says its server address changed, and reissues the QR', async () => {
    const c = open.at(-1) as Connected;
    await until('the current key', async () => ((await get(site.token())).status === 200 ? true : undefined));
    const hellosBefore = site.hellos.length;
    const oldToken = site.token();
    // The connector now forwards to another access-core, with a key of its own.
    site.key = generateKeyPairSync('ed25519').privateKey;
    c.session.sendMessage({ type: 'config-changed', localAppUrl: 'http://127.0.0.1:8091' });
    await until('a QR with the new skt', () => (lastQrSkt(c) === site.thumbprint ? true : undefined));
    expect(site.hellos.length).toBe(hellosBefore + 1);
    expect((await get(site.token())).status).toBe(200);
    expect((await get(oldToken)).status).toBe(401);
    expect(
      logs.some(
        (l) => l.msg === 'asking the site for its key again' && l.reason === 'server address changed on the connector',
      ),
    ).toBe(true);
  });

  it('asks again when a site answers a client hello with a key it does not know', async () => {
    const c = open.at(-1) as Connected;
    site.key = generateKeyPairSync('ed25519').privateKey;
    const hellosBefore = site.hellos.length;
    // A client's hello through the tunnel: the site's answer shows the new key.
    const res = await fetch(`${broker.url}/t/pinned/api/v1/auth/hello`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ nonce: randomBytes(16).toString('base64url') }),
    });
    expect(res.status).toBe(200);
    await until('a QR with the new skt', () => (lastQrSkt(c) === site.thumbprint ? true : undefined));
    // The client's hello and the broker's own.
    expect(site.hellos.length).toBe(hellosBefore + 2);
    expect((await get(site.token())).status).toBe(200);
  });

  it('makes another broker node on the same database take the new key at the first token it signed', async () => {
    const other = await startBroker({
      DATABASE_URL,
      DATABASE_SCHEMA: SCHEMA,
      BROKER_PORT: '0',
      DRAIN_TIMEOUT_MS: '1000',
      LOG_LEVEL: 'silent',
    });
    try {
      const viaOther = (token: string): Promise<Response> =>
        fetch(`${other.url}/t/pinned/api/v1/me`, { headers: { authorization: `Bearer ${token}` } });
      // The other node has no tunnel of the site: a token it accepts ends at CONNECTOR_OFFLINE.
      const accepted = async (token: string): Promise<string> =>
        ((await (await viaOther(token)).json()) as { code: string }).code;
      expect(await accepted(site.token())).toBe('CONNECTOR_OFFLINE');
      const c = open.at(-1) as Connected;
      site.key = generateKeyPairSync('ed25519').privateKey;
      c.session.sendMessage({ type: 'config-changed', localAppUrl: 'http://127.0.0.1:8092' });
      await until('the new key here', async () => ((await get(site.token())).status === 200 ? true : undefined));
      // The other node holds the old key (kept a minute). A token of a key it does not know makes
      // it read the key again, at most once a second.
      await new Promise((r) => setTimeout(r, 1000));
      expect(await accepted(site.token())).toBe('CONNECTOR_OFFLINE');
    } finally {
      await other.close();
    }
  });
});
