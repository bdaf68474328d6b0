import { generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { request as httpRequest } from 'node:http';
import { connect as tcpConnect } from 'node:net';
import {
  connectorHandshake,
  createSession,
  TunnelError,
  TunnelErrorCode,
  type TunnelSession,
  type TunnelStream,
  WS_SUBPROTOCOL_V1,
  wsTransport,
} from '@lanbridge/tunnel-protocol';
import { Client } from 'pg';
import WebSocket from 'ws';
import { type RunningBroker, startBroker } from './bootstrap';

const DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';
const SCHEMA = `broker_e2e_${randomBytes(6).toString('hex')}`;

interface TestConnector {
  readonly session: TunnelSession;
  readonly ws: WebSocket;
  /** Resolves with the WebSocket close code. */
  readonly closed: Promise<number>;
}

function keyPair(): { privateKey: KeyObject; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKey, publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString() };
}

/** Answers every stream with JSON echoing what arrived; `/slow` answers after 300 ms; upgrades echo. */
/** Reset codes the test connectors saw, newest last. */
const resets: string[] = [];

function respond(stream: TunnelStream, tag = 'c'): void {
  if (stream.requestHead.upgrade) {
    // A raw echo protocol: 101, then every byte comes back.
    stream.on('error', () => undefined);
    stream.sendResponseHead({ status: 101, headers: ['Upgrade', 'echo', 'Connection', 'Upgrade'] });
    stream.pipe(stream);
    return;
  }
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  stream.on('error', () => undefined);
  stream.on('close', () => {
    if (stream.resetError) resets.push(stream.resetError.code);
  });
  stream.on('end', () => {
    const head = stream.requestHead;
    const answer = (): void => {
      if (stream.state === 'reset') return;
      stream.sendResponseHead({
        status: 200,
        headers: ['Content-Type', 'application/json', 'Connection', 'x-hop', 'X-Hop', '1', 'X-Served-By', tag],
      });
      stream.end(
        JSON.stringify({
          method: head.method,
          path: head.path,
          headers: head.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      );
    };
    if (head.path.startsWith('/slow')) setTimeout(answer, 300);
    else answer();
  });
}

async function connect(
  broker: RunningBroker,
  connectorId: string,
  privateKey: KeyObject,
  tag = 'c',
): Promise<TestConnector> {
  const ws = new WebSocket(`${broker.url.replace(/^http/, 'ws')}/tunnel/v1/connect`, [WS_SUBPROTOCOL_V1], {
    perMessageDeflate: false,
  });
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  // Start the handshake before 'open': HELLO may arrive in the same read as the 101 response,
  // and the transport drops messages that arrive while no handler is set.
  const transport = wsTransport(ws);
  const ready = await connectorHandshake(transport, {
    connectorId,
    privateKey,
    agent: { version: 'test', hostname: 'e2e' },
  });
  const session = createSession(transport, 'connector', { version: ready.version });
  session.on('stream', (stream) => respond(stream, tag));
  return { session, ws, closed };
}

function get(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

async function until(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('cloud broker against PostgreSQL', () => {
  const pg = new Client({ connectionString: DATABASE_URL });
  let broker: RunningBroker;
  const live: TestConnector[] = [];

  const env = {
    DATABASE_URL,
    DATABASE_SCHEMA: SCHEMA,
    BROKER_PORT: '0',
    LOG_LEVEL: process.env.BROKER_E2E_LOG_LEVEL ?? 'silent',
    DRAIN_TIMEOUT_MS: '5000',
  };

  beforeAll(async () => {
    await pg.connect();
    await pg.query(`CREATE SCHEMA "${SCHEMA}"`);
    broker = await startBroker(env);
  });

  afterAll(async () => {
    for (const c of live) c.ws.terminate();
    await broker?.close();
    await pg.query(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`);
    await pg.end();
  });

  it('forwards /t/<org>/x down the tunnel with the prefix removed and forwarding headers set', async () => {
    const key = keyPair();
    const reg = await broker.connectors.register({
      orgSlug: 'acme',
      publicKeyPem: key.publicKeyPem,
      name: 'edge-1',
      ingressPolicy: 'open',
    });
    const c = await connect(broker, reg.connectorId, key.privateKey);
    live.push(c);
    await until(() => broker.registry.get(reg.connectorId) !== undefined);

    const res = await get(`${broker.url}/t/acme/x/y?q=1`, {
      'X-Custom': 'v',
      Connection: 'keep-alive, X-Drop',
      'X-Drop': 'gone',
    });
    expect(res.status).toBe(200);
    expect(res.headers['via']).toBe('1.1 lanbridge');
    expect(res.headers['x-hop']).toBeUndefined();
    const seen = JSON.parse(res.body) as { method: string; path: string; headers: string[] };
    expect(seen.method).toBe('GET');
    expect(seen.path).toBe('/x/y?q=1');
    const names = seen.headers.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
    expect(names).toContain('x-custom');
    expect(names).not.toContain('x-drop');
    expect(names).not.toContain('connection');
    const h = (n: string): string | undefined =>
      seen.headers[seen.headers.findIndex((x, i) => i % 2 === 0 && x.toLowerCase() === n) + 1];
    expect(h('x-forwarded-prefix')).toBe('/t/acme');
    expect(h('x-forwarded-for')).toBe('127.0.0.1');
    expect(h('x-forwarded-proto')).toBe('http');

    // last_seen_at is written in the background when the tunnel comes up.
    const lastSeen = async (): Promise<Date | null> =>
      (
        await pg.query<{ last_seen_at: Date | null }>(`SELECT last_seen_at FROM "${SCHEMA}".connector WHERE id = $1`, [
          reg.connectorId,
        ])
      ).rows[0].last_seen_at;
    const deadline = Date.now() + 3000;
    while ((await lastSeen()) === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(await lastSeen()).not.toBeNull();
  });

  it('streams a request body through and back', async () => {
    const body = 'x'.repeat(300_000);
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(`${broker.url}/t/acme/upload`, { method: 'POST', agent: false }, (r) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => resolve({ status: r.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      });
      req.on('error', reject);
      req.write(body.slice(0, 100_000));
      setTimeout(() => req.end(body.slice(100_000)), 20);
    });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ method: 'POST', path: '/upload', body });
  });

  it('carries an upgraded connection byte for byte through /t/<org>/', async () => {
    const socket = tcpConnect(broker.port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write('GET /t/acme/echo HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n');
    let received = '';
    socket.on('data', (c: Buffer) => {
      received += c.toString();
      if (received.includes('\r\n\r\n') && !received.includes('ping')) socket.write('ping');
    });
    await until(() => received.endsWith('ping'));
    expect(received).toMatch(/^HTTP\/1\.1 101 /);
    expect(received.toLowerCase()).toContain('upgrade: echo');
    expect(received).toContain('Via: 1.1 lanbridge');
    socket.destroy();
  });

  it('sends new requests to the other connector of an org once one drains', async () => {
    const a = keyPair();
    const b = keyPair();
    const ra = await broker.connectors.register({ orgSlug: 'ha', publicKeyPem: a.publicKeyPem, ingressPolicy: 'open' });
    const rb = await broker.connectors.register({ orgSlug: 'ha', publicKeyPem: b.publicKeyPem, ingressPolicy: 'open' });
    const ca = await connect(broker, ra.connectorId, a.privateKey, 'a');
    const cb = await connect(broker, rb.connectorId, b.privateKey, 'b');
    live.push(ca, cb);
    await until(() => broker.registry.forOrg(ra.orgId).length === 2);

    ca.session.goAway();
    await until(() => broker.registry.get(ra.connectorId)?.session.state !== 'open');
    for (let i = 0; i < 3; i++) {
      const res = await get(`${broker.url}/t/ha/x`);
      expect(res.status).toBe(200);
      expect(res.headers['x-served-by']).toBe('b');
    }
  });

  it('resets the stream with CANCELLED when the client goes away', async () => {
    const req = httpRequest(`${broker.url}/t/acme/slow`, { agent: false });
    req.on('error', () => undefined);
    req.end();
    await new Promise((r) => setTimeout(r, 50));
    req.destroy();
    await until(() => resets.includes(TunnelErrorCode.CANCELLED));
  });

  it('answers 404 ORG_NOT_FOUND for an unknown organization', async () => {
    const res = await get(`${broker.url}/t/no-such-org/x`);
    expect(res.status).toBe(404);
    expect(JSON.parse(res.body)).toMatchObject({ code: 'ORG_NOT_FOUND', requestId: expect.any(String) });
  });

  it('answers 503 CONNECTOR_OFFLINE at once for a known organization without a live connector', async () => {
    const key = keyPair();
    await broker.connectors.register({ orgSlug: 'offline-org', publicKeyPem: key.publicKeyPem, ingressPolicy: 'open' });
    const started = Date.now();
    const res = await get(`${broker.url}/t/offline-org/x`);
    expect(res.status).toBe(503);
    expect(JSON.parse(res.body)).toMatchObject({ code: 'CONNECTOR_OFFLINE' });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('closes a tunnel signed with the wrong key with 4401', async () => {
    const registered = keyPair();
    const other = keyPair();
    const reg = await broker.connectors.register({
      orgSlug: 'wrong-key',
      publicKeyPem: registered.publicKeyPem,
      ingressPolicy: 'open',
    });
    const ws = new WebSocket(`${broker.url.replace(/^http/, 'ws')}/tunnel/v1/connect`, [WS_SUBPROTOCOL_V1]);
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    const transport = wsTransport(ws);
    const err = await connectorHandshake(transport, {
      connectorId: reg.connectorId,
      privateKey: other.privateKey,
      agent: { version: 'test', hostname: 'e2e' },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TunnelError);
    expect((err as TunnelError).code).toBe(TunnelErrorCode.AUTH_FAILED);
    expect(await closed).toBe(4401);
    expect(broker.registry.get(reg.connectorId)).toBeUndefined();
  });

  it('refuses a tunnel without the lanbridge subprotocol with 426 before the upgrade', async () => {
    const res = await get(`${broker.url}/tunnel/v1/connect`, {
      Connection: 'Upgrade',
      Upgrade: 'websocket',
      'Sec-WebSocket-Version': '13',
      'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
      'Sec-WebSocket-Protocol': 'chat',
    });
    expect(res.status).toBe(426);
    expect(JSON.parse(res.body)).toMatchObject({ code: 'UNSUPPORTED_SUBPROTOCOL' });
  });

  it('serves /healthz, /readyz and /metrics without connector ids in labels', async () => {
    expect(JSON.parse((await get(`${broker.url}/healthz`)).body)).toEqual({ status: 'ok' });
    expect((await get(`${broker.url}/readyz`)).status).toBe(200);
    const metrics = await get(`${broker.url}/metrics`);
    expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
    expect(metrics.body).toMatch(/^lanbridge_tunnels_connected \d+$/m);
    expect(metrics.body).toMatch(/^lanbridge_streams_open \d+$/m);
    expect(metrics.body).toMatch(/^lanbridge_ingress_requests_total\{code="404"\} \d+$/m);
    expect(metrics.body).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/);
    const missing = await get(`${broker.url}/nope`);
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body)).toMatchObject({ code: 'NOT_FOUND', requestId: expect.any(String) });
  });

  it('a second session of the same connector evicts the first with 4000', async () => {
    const key = keyPair();
    const reg = await broker.connectors.register({
      orgSlug: 'evict',
      publicKeyPem: key.publicKeyPem,
      ingressPolicy: 'open',
    });
    const first = await connect(broker, reg.connectorId, key.privateKey);
    live.push(first);
    await until(() => broker.registry.get(reg.connectorId) !== undefined);
    const second = await connect(broker, reg.connectorId, key.privateKey);
    live.push(second);

    expect(await first.closed).toBe(4000);
    await until(() => broker.registry.get(reg.connectorId)?.session.state === 'open');
    expect(broker.registry.forOrg(reg.orgId)).toHaveLength(1);
    const res = await get(`${broker.url}/t/evict/still-works`);
    expect(res.status).toBe(200);
  });

  it('graceful close lets an in-flight request finish and sends GOAWAY to connectors', async () => {
    const key = keyPair();
    const reg = await broker.connectors.register({
      orgSlug: 'drain',
      publicKeyPem: key.publicKeyPem,
      ingressPolicy: 'open',
    });
    const c = await connect(broker, reg.connectorId, key.privateKey);
    live.push(c);
    await until(() => broker.registry.get(reg.connectorId) !== undefined);
    const goaway = new Promise<void>((resolve) => c.session.once('goaway', () => resolve()));

    const inFlight = get(`${broker.url}/t/drain/slow`);
    await until(() => c.session.stats.openStreams > 0);
    const closing = broker.close();
    await goaway;

    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ path: '/slow' });
    await closing;
    await expect(get(`${broker.url}/healthz`)).rejects.toThrow();
  });
});
