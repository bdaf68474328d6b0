/**
 * Two broker nodes behind one address, sharing PostgreSQL and Redis: a client request that lands
 * on the node without the site's tunnel is forwarded to the node that holds it.
 */
import { createHash, generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { connect as tcpConnect } from 'node:net';
import { freePort } from '@lanbridge/testing';
import {
  connectorHandshake,
  createSession,
  TunnelErrorCode,
  type TunnelSession,
  type TunnelStream,
  WS_SUBPROTOCOL_V1,
  wsTransport,
} from '@lanbridge/tunnel-protocol';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import WebSocket from 'ws';
import { type RunningBroker, startBroker } from '../bootstrap';

const DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = 'redis://127.0.0.1:6379';
const SCHEMA = `cluster_e2e_${randomBytes(6).toString('hex')}`;
const SECRET = randomBytes(24).toString('base64url');

interface Answer {
  readonly method: string;
  readonly path: string;
  readonly headers: readonly string[];
  readonly bodySha256: string;
  readonly bodyBytes: number;
}

/** A site behind a tunnel: echoes what arrived (digest of the body), upgrades echo raw bytes. */
function answer(stream: TunnelStream): void {
  stream.on('error', () => undefined);
  if (stream.requestHead.upgrade) {
    stream.sendResponseHead({ status: 101, headers: ['Upgrade', 'echo', 'Connection', 'Upgrade'] });
    stream.pipe(stream);
    return;
  }
  const hash = createHash('sha256');
  let bytes = 0;
  stream.on('data', (c: Buffer) => {
    hash.update(c);
    bytes += c.length;
  });
  stream.on('end', () => {
    const head = stream.requestHead;
    const body: Answer = {
      method: head.method,
      path: head.path,
      headers: head.headers,
      bodySha256: hash.digest('hex'),
      bodyBytes: bytes,
    };
    stream.sendResponseHead({ status: 200, headers: ['Content-Type', 'application/json', 'X-Site', 'yes'] });
    stream.end(JSON.stringify(body));
  });
}

async function connect(
  broker: RunningBroker,
  connectorId: string,
  key: KeyObject,
): Promise<{ session: TunnelSession; ws: WebSocket }> {
  const ws = new WebSocket(`${broker.url.replace(/^http/, 'ws')}/tunnel/v1/connect`, [WS_SUBPROTOCOL_V1]);
  const transport = wsTransport(ws);
  const ready = await connectorHandshake(transport, {
    connectorId,
    privateKey: key,
    agent: { version: 'test', hostname: 'cluster-e2e' },
  });
  const session = createSession(transport, 'connector', { version: ready.version });
  session.on('stream', answer);
  return { session, ws };
}

interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

function send(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: Buffer } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: opts.method ?? 'GET', headers: opts.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

function header(a: Answer, name: string): string | undefined {
  const i = a.headers.findIndex((h, k) => k % 2 === 0 && h.toLowerCase() === name);
  return i === -1 ? undefined : a.headers[i + 1];
}

async function until(what: string, probe: () => Promise<boolean> | boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`${what}: not reached in ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('two broker nodes with the Redis tunnel directory', () => {
  const pg = new Client({ connectionString: DATABASE_URL });
  const redis = new Redis(REDIS_URL);
  let a: RunningBroker;
  let b: RunningBroker;
  const sockets: WebSocket[] = [];

  async function node(redisUrl = REDIS_URL): Promise<RunningBroker> {
    const port = await freePort();
    return startBroker(
      {
        DATABASE_URL,
        DATABASE_SCHEMA: SCHEMA,
        REDIS_URL: redisUrl,
        BROKER_PORT: String(port),
        BROKER_NODE_URL: `http://127.0.0.1:${port}`,
        BROKER_PEER_SECRET: SECRET,
        LOG_LEVEL: process.env.BROKER_E2E_LOG_LEVEL ?? 'silent',
        DRAIN_TIMEOUT_MS: '2000',
      },
      { presence: { ttlMs: 1500, lookupCacheMs: 0 } },
    );
  }

  /** Registers an organisation (open unless said) and connects its connector to `broker`. */
  async function site(
    broker: RunningBroker,
    slug: string,
    ingressPolicy: 'open' | 'site-session' = 'open',
  ): Promise<{
    orgId: string;
    connectorId: string;
    session: TunnelSession;
    ws: WebSocket;
    reconnect(to: RunningBroker): Promise<WebSocket>;
  }> {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const reg = await broker.connectors.register({
      orgSlug: slug,
      publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
      name: `${slug}-edge`,
      ingressPolicy,
    });
    const reconnect = async (to: RunningBroker): Promise<WebSocket> => {
      const again = await connect(to, reg.connectorId, privateKey);
      sockets.push(again.ws);
      await until('tunnel registered again', () => to.registry.get(reg.connectorId) !== undefined);
      return again.ws;
    };
    const c = await connect(broker, reg.connectorId, privateKey);
    sockets.push(c.ws);
    await until('tunnel registered', () => broker.registry.get(reg.connectorId) !== undefined);
    const orgId = broker.registry.get(reg.connectorId)?.orgId as string;
    // The claim is written right after the tunnel is added (by a node that reaches Redis).
    if (broker.config.redisUrl === REDIS_URL) {
      await until('claim written', async () => (await redis.zcard(`lanbridge:tunnel-nodes:${orgId}`)) > 0);
    }
    return { orgId, connectorId: reg.connectorId, ...c, reconnect };
  }

  beforeAll(async () => {
    await pg.connect();
    await pg.query(`CREATE SCHEMA "${SCHEMA}"`);
    a = await node();
    b = await node();
  });

  afterAll(async () => {
    for (const ws of sockets) ws.terminate();
    await Promise.all([a?.close(), b?.close()]);
    await pg.query(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`);
    await pg.end();
    redis.disconnect();
  });

  it('serves a request that lands on the other node, with the client address and no node headers at the site', async () => {
    await site(a, 'north');
    const res = await send(`${b.url}/t/north/doors?floor=2`, { headers: { 'X-Forwarded-For': '198.51.100.7' } });
    expect(res.status).toBe(200);
    expect(res.headers['x-site']).toBe('yes');
    const seen = JSON.parse(res.body) as Answer;
    expect(seen.path).toBe('/doors?floor=2');
    // What the site sees is what a direct request would have shown: the client's chain plus
    // the client's own address, not the first node's.
    expect(header(seen, 'x-forwarded-for')).toBe('198.51.100.7, 127.0.0.1');
    expect(header(seen, 'x-forwarded-prefix')).toBe('/t/north');
    const names = seen.headers.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
    expect(names).not.toContain('x-lanbridge-peer');
    expect(names).not.toContain('x-lanbridge-peer-client');
    // Operators see the hops in the metrics of the node the client reached.
    const metrics = await send(`${b.url}/metrics`);
    expect(metrics.body).toMatch(/^lanbridge_ingress_peer_forwards_total\{outcome="answered"\} [1-9]\d*$/m);
  });

  it('streams a 4 MiB upload through the other node intact', async () => {
    await site(a, 'south');
    const body = randomBytes(4 << 20);
    const res = await send(`${b.url}/t/south/upload`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(body.length) },
      body,
    });
    expect(res.status).toBe(200);
    const seen = JSON.parse(res.body) as Answer;
    expect(seen.method).toBe('POST');
    expect(seen.bodyBytes).toBe(body.length);
    expect(seen.bodySha256).toBe(createHash('sha256').update(body).digest('hex'));
  });

  it('passes an upgrade through the other node end to end', async () => {
    await site(a, 'east');
    const port = Number(new URL(b.url).port);
    const sock = tcpConnect(port, '127.0.0.1');
    const received: Buffer[] = [];
    sock.on('data', (c: Buffer) => received.push(c));
    sock.write('GET /t/east/live HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n');
    await until('101 received', () => Buffer.concat(received).includes('\r\n\r\n'));
    expect(Buffer.concat(received).toString().split('\r\n')[0]).toBe('HTTP/1.1 101 Switching Protocols');
    received.length = 0;
    sock.write('ping through two nodes');
    await until('echo received', () => Buffer.concat(received).toString() === 'ping through two nodes');
    sock.destroy();
  });

  it('checks the site session on the node the client reached: no token, no forwarding', async () => {
    await site(a, 'guarded', 'site-session');
    const res = await send(`${b.url}/t/guarded/api/doors`);
    expect(res.status).toBe(401);
    expect((JSON.parse(res.body) as { code: string }).code).toBe('SESSION_REQUIRED');
    expect(res.headers['x-site']).toBeUndefined();
  });

  it('reads a sign-in body whole on the node the client reached and forwards it with its length', async () => {
    await site(a, 'signin', 'site-session');
    const body = Buffer.from(JSON.stringify({ jwe: randomBytes(3000).toString('base64url') }));
    // Chunked: the node reads it (bounded) before forwarding, so the peer gets an exact length.
    const res = await send(`${b.url}/t/signin/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' },
      body,
    });
    expect(res.status).toBe(200);
    const seen = JSON.parse(res.body) as Answer;
    expect(seen.bodySha256).toBe(createHash('sha256').update(body).digest('hex'));
    expect(header(seen, 'content-length')).toBe(String(body.length));
    const big = await send(`${b.url}/t/signin/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' },
      body: Buffer.alloc(64 * 1024, 0x20),
    });
    expect(big.status).toBe(413);
    expect((JSON.parse(big.body) as { code: string }).code).toBe('PUBLIC_BODY_TOO_LARGE');
  });

  it('refuses a client that sends the node headers, on every node', async () => {
    await site(a, 'west');
    for (const target of [a, b]) {
      const res = await send(`${target.url}/t/west/x`, {
        headers: { 'X-Lanbridge-Peer': 'guess', 'X-Lanbridge-Peer-Client': '10.0.0.1' },
      });
      expect(res.status).toBe(403);
      expect((JSON.parse(res.body) as { code: string }).code).toBe('BROKER_PEER_REFUSED');
    }
    // The site still answers normal requests on both nodes.
    expect((await send(`${a.url}/t/west/x`)).status).toBe(200);
    expect((await send(`${b.url}/t/west/x`)).status).toBe(200);
  });

  it('follows the tunnel when the connector moves, and says offline when it is gone', async () => {
    const s = await site(a, 'moving');
    expect((await send(`${b.url}/t/moving/x`)).status).toBe(200);
    // The connector reconnects and lands on the other node: A now forwards to B.
    s.ws.close();
    await until('claim withdrawn', async () => (await redis.zcard(`lanbridge:tunnel-nodes:${s.orgId}`)) === 0);
    const moved = await s.reconnect(b);
    await until('claim moved', async () => (await redis.zcard(`lanbridge:tunnel-nodes:${s.orgId}`)) === 1);
    expect((await send(`${a.url}/t/moving/x`)).status).toBe(200);
    expect((await send(`${b.url}/t/moving/x`)).status).toBe(200);
    moved.close();
    await until('claim withdrawn', async () => (await redis.zcard(`lanbridge:tunnel-nodes:${s.orgId}`)) === 0);
    const offline = await send(`${b.url}/t/moving/x`);
    expect(offline.status).toBe(503);
    expect((JSON.parse(offline.body) as { code: string }).code).toBe('CONNECTOR_OFFLINE');
  });

  it('newest session wins across nodes: reconnecting to the other node closes the old session at once', async () => {
    const s = await site(a, 'twice');
    const closed = new Promise<string | undefined>((resolve) => s.session.once('close', (err) => resolve(err?.code)));
    // The old tunnel stays open on A (its connection is not closed): B's new session evicts it.
    await s.reconnect(b);
    expect(await closed).toBe(TunnelErrorCode.REPLACED);
    await until('old session gone from A', () => a.registry.forOrg(s.orgId).length === 0);
    expect((await send(`${a.url}/t/twice/x`)).status).toBe(200);
  });

  it('a late announcement of an older session elsewhere does not close the newer session here', async () => {
    const s = await site(a, 'late');
    let closedWith: string | undefined;
    s.session.once('close', (err) => (closedWith = err?.code ?? 'closed'));
    const announce = (connectedAt: Date): Promise<number> =>
      redis.publish(
        'lanbridge:tunnel-events',
        JSON.stringify({
          t: 'session',
          connectorId: s.connectorId,
          sessionId: 'another',
          connectedAt: connectedAt.toISOString(),
          node: 'http://192.0.2.1:8080',
        }),
      );
    await announce(new Date(Date.now() - 60_000));
    await new Promise((r) => setTimeout(r, 200));
    expect(closedWith).toBeUndefined();
    expect((await send(`${a.url}/t/late/x`)).status).toBe(200);
    await announce(new Date(Date.now() + 1000));
    await until('closed by the newer session', () => closedWith !== undefined);
    expect(closedWith).toBe(TunnelErrorCode.REPLACED);
  });

  it('revoking a connector on one node closes its tunnel on the node that holds it', async () => {
    const s = await site(a, 'revoked');
    const closed = new Promise<string | undefined>((resolve) => s.session.once('close', (err) => resolve(err?.code)));
    await b.connectors.revoke(s.connectorId);
    expect(await closed).toBe(TunnelErrorCode.REVOKED);
    await until('tunnel gone from A', () => a.registry.get(s.connectorId) === undefined);
    const res = await send(`${b.url}/t/revoked/x`);
    expect(res.status).toBe(503);
  });

  it('every node sees where a connector is online (the portal status and the QR resolve read this)', async () => {
    const s = await site(a, 'seen');
    const remote = await b.registry.elsewhere(s.connectorId);
    expect(remote?.node).toBe(a.config.cluster?.nodeUrl);
    expect(remote?.sessionId).toBe(a.registry.get(s.connectorId)?.sessionId);
    // The node that holds it answers from its own registry.
    expect(await a.registry.elsewhere(s.connectorId)).toBeUndefined();
    s.ws.close();
    await until('record withdrawn', async () => (await b.registry.elsewhere(s.connectorId)) === undefined);
  });

  it('answers 502 at once for a node that died holding a claim, and forgets it when the claim lapses', async () => {
    // A claim left by a node that no longer listens (it died without withdrawing).
    const s = await site(a, 'orphan');
    expect((await send(`${a.url}/t/orphan/x`)).status).toBe(200);
    s.ws.terminate();
    await until('claim withdrawn', async () => (await redis.zcard(`lanbridge:tunnel-nodes:${s.orgId}`)) === 0);
    const deadUrl = `http://127.0.0.1:${await freePort()}`;
    await redis.zadd(`lanbridge:tunnel-nodes:${s.orgId}`, Date.now() + 1000, deadUrl);
    const started = Date.now();
    const res = await send(`${b.url}/t/orphan/x`);
    expect(res.status).toBe(502);
    expect((JSON.parse(res.body) as { code: string }).code).toBe('BROKER_PEER_UNREACHABLE');
    expect(Date.now() - started).toBeLessThan(2000);
    expect((await send(`${b.url}/metrics`)).body).toMatch(
      /^lanbridge_ingress_peer_forwards_total\{outcome="unreachable"\} [1-9]\d*$/m,
    );
    await new Promise((r) => setTimeout(r, 1100));
    const later = await send(`${b.url}/t/orphan/x`);
    expect(later.status).toBe(503);
    expect((JSON.parse(later.body) as { code: string }).code).toBe('CONNECTOR_OFFLINE');
  });

  it('withdraws its claims when a node drains, so its peers stop forwarding to it', async () => {
    const c = await node();
    const s = await site(c, 'draining');
    expect((await send(`${b.url}/t/draining/x`)).status).toBe(200);
    await c.close();
    expect(await redis.zcard(`lanbridge:tunnel-nodes:${s.orgId}`)).toBe(0);
    const res = await send(`${b.url}/t/draining/x`);
    expect(res.status).toBe(503);
    expect((JSON.parse(res.body) as { code: string }).code).toBe('CONNECTOR_OFFLINE');
  });

  it('without Redis, a node serves its own tunnels, answers 503 at once for the others, and stops promptly', async () => {
    const lonely = await node(`redis://127.0.0.1:${await freePort()}`);
    let closed = false;
    try {
      const s = await site(lonely, 'lonely');
      expect((await send(`${lonely.url}/t/lonely/x`)).status).toBe(200);
      const started = Date.now();
      const res = await send(`${lonely.url}/t/north/x`);
      expect(res.status).toBe(503);
      expect((JSON.parse(res.body) as { code: string }).code).toBe('CONNECTOR_OFFLINE');
      expect(Date.now() - started).toBeLessThan(5000);
      s.ws.terminate();
      // Shutting down must not wait for the Redis that is not there.
      const stopping = Date.now();
      await lonely.close();
      closed = true;
      expect(Date.now() - stopping).toBeLessThan(5000);
    } finally {
      if (!closed) await lonely.close();
    }
  });
});
