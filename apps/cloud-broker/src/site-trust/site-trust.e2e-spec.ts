// The broker learning a site's key through the tunnel, against PostgreSQL: a real broker and a
// real tunnel session, with the site side played by the test (so it can stay silent, then
// answer, then change its key).
import { generateKeyPairSync, type KeyObject, randomBytes, randomUUID } from 'node:crypto';
import { createLogger } from '@lanbridge/logging';
import { Client } from 'pg';
import { connectSite, FakeSite, type SiteTunnel } from '../../test/support/fake-site';
import { type RunningBroker, startBroker } from '../bootstrap';

const DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';
const SCHEMA = `site_trust_e2e_${randomBytes(6).toString('hex')}`;

const claimsOf = (jws: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(jws.split('.')[1], 'base64url').toString('utf8')) as Record<string, unknown>;

const connect = (broker: RunningBroker, connectorId: string, key: KeyObject, site: FakeSite): Promise<SiteTunnel> =>
  connectSite(broker.url, connectorId, key, site);

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
function lastQrSkt(c: SiteTunnel): unknown {
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
  const open: SiteTunnel[] = [];
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
    const c = open.at(-1) as SiteTunnel;
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
    const c = open.at(-1) as SiteTunnel;
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
      const c = open.at(-1) as SiteTunnel;
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
