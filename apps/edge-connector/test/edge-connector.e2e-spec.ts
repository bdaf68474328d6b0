import { createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { createLogger } from '@lanbridge/logging';
import { TunnelErrorCode, type TunnelError } from '@lanbridge/tunnel-protocol';
import { startConnector } from '../src/bootstrap';
import { HttpForwarder } from '../src/forward/http-forwarder';
import { generateConnectorKey, loadConnectorKey } from '../src/keys/connector-key';
import { TunnelClient, type TunnelClientOptions } from '../src/tunnel/tunnel-client';
import { TestBroker } from './test-broker';

const logger = createLogger('edge-connector-test', { level: process.env.LOG_LEVEL ?? 'silent' });
const TUNNEL = { handshakeTimeoutMs: 2000, drainTimeoutMs: 3000, pingIntervalMs: 500, pingTimeoutMs: 2000 };
const CONNECTOR_ID = 'conn-test-1';

function readAll(stream: Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.once('end', () => resolve(Buffer.concat(chunks)));
    stream.once('error', reject);
  });
}

async function waitFor(cond: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function header(flat: readonly string[], name: string): string | undefined {
  for (let i = 0; i < flat.length; i += 2) if (flat[i].toLowerCase() === name) return flat[i + 1];
  return undefined;
}

/** The local application: echo, slow, hang and an upgrade that echoes raw bytes. */
async function startOrigin(): Promise<{ url: string; server: http.Server; aborted: string[] }> {
  const aborted: string[] = [];
  const server = http.createServer((req, res) => {
    res.on('close', () => {
      if (!res.writableFinished) aborted.push(req.url ?? '');
    });
    if (req.url?.startsWith('/base/echo')) {
      res.writeHead(200, {
        'content-type': req.headers['content-type'] ?? 'application/octet-stream',
        'x-method': req.method ?? '',
        'x-url': req.url,
        'x-host': req.headers.host ?? '',
        'x-saw-hop': String(req.headers['x-hop'] ?? 'none'),
        'x-forwarded-for': String(req.headers['x-forwarded-for'] ?? ''),
      });
      req.pipe(res);
      return;
    }
    if (req.url === '/base/slow') {
      req.resume();
      setTimeout(() => res.end('slow done'), 400);
      return;
    }
    if (req.url === '/base/hang') {
      req.resume();
      return;
    }
    res.writeHead(404).end();
  });
  server.on('upgrade', (req: http.IncomingMessage, socket: Socket, head: Buffer) => {
    if (req.headers.upgrade !== 'echo') {
      socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\nX-Origin: yes\r\n\r\n');
    if (head.length) socket.write(head);
    socket.pipe(socket);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/base`, server, aborted };
}

async function closedPortUrl(): Promise<string> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return `http://127.0.0.1:${port}`;
}

describe('edge connector against a library-built broker', () => {
  let privateKey: KeyObject;
  let publicKey: KeyObject;
  let broker: TestBroker;
  let origin: Awaited<ReturnType<typeof startOrigin>>;
  const clients: TunnelClient[] = [];
  const forwarders: HttpForwarder[] = [];

  function client(overrides: Partial<TunnelClientOptions> = {}, localAppUrl = origin.url): TunnelClient {
    const forwarder = new HttpForwarder({ localAppUrl, upstreamTimeoutMs: 1000, logger });
    forwarders.push(forwarder);
    const c = new TunnelClient({
      brokerUrl: broker.url,
      connectorId: CONNECTOR_ID,
      privateKey,
      agentVersion: 'test',
      hostname: 'test-host',
      onStream: (s) => forwarder.forward(s),
      backoff: { baseMs: 50, maxMs: 200, healthyResetMs: 10_000 },
      tunnelConfig: TUNNEL,
      logger,
      ...overrides,
    });
    clients.push(c);
    return c;
  }

  async function online(c: TunnelClient): Promise<void> {
    c.start();
    await waitFor(() => c.state === 'online', 5000, 'client online');
  }

  beforeAll(async () => {
    ({ privateKey, publicKey } = generateKeyPairSync('ed25519'));
    origin = await startOrigin();
  });
  afterAll(async () => {
    origin.server.closeAllConnections();
    await new Promise<void>((r) => origin.server.close(() => r()));
  });
  beforeEach(async () => {
    broker = await TestBroker.start({ connectorId: CONNECTOR_ID, publicKey, tunnelConfig: TUNNEL });
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.stop()));
    await Promise.all(forwarders.splice(0).map((f) => f.close()));
    await broker.close();
  });

  it('forwards a request with a streamed body both ways, minus hop-by-hop headers', async () => {
    const c = client();
    await online(c);
    const body = randomBytes(700 * 1024);
    const stream = broker.latest().session.openStream({
      method: 'POST',
      path: '/echo?q=1',
      headers: [
        ['Host', 'site.example.com'],
        ['Content-Type', 'application/octet-stream'],
        ['Content-Length', String(body.length)],
        ['Connection', 'x-hop'],
        ['X-Hop', '1'],
        ['X-Forwarded-For', '203.0.113.7'],
      ].flat(),
    });
    stream.end(body);
    const head = await stream.responseHead();
    const echoed = await readAll(stream);
    expect(head.status).toBe(200);
    expect(header(head.headers, 'x-method')).toBe('POST');
    expect(header(head.headers, 'x-url')).toBe('/base/echo?q=1');
    expect(header(head.headers, 'x-host')).toBe(new URL(origin.url).host);
    expect(header(head.headers, 'x-saw-hop')).toBe('none');
    expect(header(head.headers, 'x-forwarded-for')).toBe('203.0.113.7');
    expect(header(head.headers, 'connection')).toBeUndefined();
    expect(echoed.equals(body)).toBe(true);

    const status = c.status();
    expect(status).toMatchObject({ state: 'online', connectorId: CONNECTOR_ID, reconnects: 0, lastError: null });
    expect(status.sessionId).toBe(broker.latest().sessionId);
  });

  it('resets with UPSTREAM_UNREACHABLE when the local app is down', async () => {
    const c = client({}, await closedPortUrl());
    await online(c);
    const stream = broker.latest().session.openStream({ method: 'GET', path: '/', headers: [] });
    stream.end();
    await expect(stream.responseHead()).rejects.toMatchObject({ code: TunnelErrorCode.UPSTREAM_UNREACHABLE });
  });

  it('resets with UPSTREAM_TIMEOUT when the local app sends no head in time', async () => {
    const c = client();
    await online(c);
    const stream = broker.latest().session.openStream({ method: 'GET', path: '/hang', headers: [] });
    stream.end();
    await expect(stream.responseHead()).rejects.toMatchObject({ code: TunnelErrorCode.UPSTREAM_TIMEOUT });
  });

  it('aborts the local request when the broker cancels the stream', async () => {
    const c = client({}, origin.url);
    await online(c);
    origin.aborted.length = 0;
    const stream = broker.latest().session.openStream({ method: 'GET', path: '/slow', headers: [] });
    stream.end();
    await new Promise((r) => setTimeout(r, 100));
    stream.reset(TunnelErrorCode.CANCELLED);
    await waitFor(() => origin.aborted.includes('/base/slow'), 2000, 'origin request aborted');
  });

  it('carries an upgrade: 101 head, then raw bytes both ways', async () => {
    const c = client();
    await online(c);
    const stream = broker.latest().session.openStream({
      method: 'GET',
      path: '/ws',
      headers: ['Connection', 'Upgrade', 'Upgrade', 'echo'],
      upgrade: true,
    });
    const head = await stream.responseHead();
    expect(head.status).toBe(101);
    expect(header(head.headers, 'upgrade')).toBe('echo');
    expect(header(head.headers, 'x-origin')).toBe('yes');
    const got: Buffer[] = [];
    stream.on('data', (d: Buffer) => got.push(d));
    stream.write('ping-1;');
    stream.write('ping-2');
    await waitFor(() => Buffer.concat(got).toString() === 'ping-1;ping-2', 2000, 'echoed bytes');
    const ended = new Promise((r) => stream.once('end', r));
    stream.end();
    await ended;
  });

  it('forwards a refused upgrade as a normal response', async () => {
    const c = client();
    await online(c);
    const stream = broker.latest().session.openStream({
      method: 'GET',
      path: '/ws',
      headers: ['Connection', 'Upgrade', 'Upgrade', 'other'],
      upgrade: true,
    });
    stream.end();
    const head = await stream.responseHead();
    expect(head.status).toBe(400);
    await readAll(stream);
  });

  it('reconnects with backoff when the broker drops the socket', async () => {
    const c = client();
    const offline: (TunnelError | undefined)[] = [];
    c.on('offline', (e) => offline.push(e));
    await online(c);
    const first = broker.latest();
    const next = broker.nextSession();
    first.ws.terminate();
    // The 'offline' event, not a polled state: with a short backoff the client may be back
    // online between two polls.
    await waitFor(() => offline.length > 0, 2000, 'client offline');
    const second = await next;
    await waitFor(() => c.state === 'online', 2000, 'client online again');
    expect(second.sessionId).not.toBe(first.sessionId);
    expect(offline).toHaveLength(1);
    const s = c.status();
    expect(s.reconnects).toBe(1);
    expect(s.sessionId).toBe(second.sessionId);
    expect(s.lastError?.code).toBe(TunnelErrorCode.CONNECTION_LOST);
  });

  it('moves to a new session on GOAWAY before the old one closes (make-before-break)', async () => {
    const c = client();
    const offline: unknown[] = [];
    c.on('offline', (e) => offline.push(e));
    await online(c);
    const old = broker.latest();
    const inflight = old.session.openStream({ method: 'GET', path: '/slow', headers: [] });
    inflight.end();
    await new Promise((r) => setTimeout(r, 50));

    const next = broker.nextSession();
    old.session.goAway(TunnelErrorCode.GOING_AWAY, 'broker restarting');
    const replacement = await next;
    expect(old.closedAt).toBeUndefined();

    const head = await inflight.responseHead();
    expect(head.status).toBe(200);
    expect((await readAll(inflight)).toString()).toBe('slow done');
    await waitFor(() => old.closedAt !== undefined, 4000, 'old session closed');
    expect(replacement.openedAt).toBeLessThanOrEqual(old.closedAt!);

    const fresh = replacement.session.openStream({ method: 'GET', path: '/echo', headers: [] });
    fresh.end();
    expect((await fresh.responseHead()).status).toBe(200);
    expect(c.state).toBe('online');
    expect(offline).toHaveLength(0);
    expect(c.status()).toMatchObject({ sessionId: replacement.sessionId, reconnects: 1 });
  });

  it('backs off at the cap after an auth failure and records AUTH_FAILED', async () => {
    const wrong = generateKeyPairSync('ed25519').privateKey;
    const c = client({ privateKey: wrong, backoff: { baseMs: 10, maxMs: 200, healthyResetMs: 1000 } });
    c.start();
    await waitFor(() => broker.refusals.length >= 1 && c.state === 'backoff', 3000, 'auth refusal');
    expect(c.status().lastError?.code).toBe(TunnelErrorCode.AUTH_FAILED);
    const started = Date.now();
    await waitFor(() => broker.refusals.length >= 3, 3000, 'further refusals');
    // Two more retries at ≥ maxMs/2 each: never a tight loop.
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(broker.refusals.every((code) => code === TunnelErrorCode.AUTH_FAILED)).toBe(true);
    await waitFor(() => c.state === 'backoff', 1000, 'backoff after the refusal');
    expect(c.status().lastError?.code).toBe(TunnelErrorCode.AUTH_FAILED);
  });

  it('stop() drains: GOAWAY, in-flight stream finishes, then the session closes', async () => {
    const c = client();
    await online(c);
    const s = broker.latest();
    const inflight = s.session.openStream({ method: 'GET', path: '/slow', headers: [] });
    inflight.end();
    await new Promise((r) => setTimeout(r, 50));
    const stopped = c.stop();
    const head = await inflight.responseHead();
    expect((await readAll(inflight)).toString()).toBe('slow done');
    expect(head.status).toBe(200);
    await stopped;
    await waitFor(() => s.closedAt !== undefined, 2000, 'broker saw the close');
    expect(c.state).toBe('stopped');
  });

  describe('startConnector', () => {
    let dir: string;
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lanbridge-connector-'));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('serves /status online, then offline when the broker goes away', async () => {
      const keyFile = path.join(dir, 'connector.key');
      generateConnectorKey(keyFile);
      const key = loadConnectorKey(keyFile);
      await broker.close();
      broker = await TestBroker.start({
        connectorId: CONNECTOR_ID,
        publicKey: createPublicKey(key),
      });
      const running = await startConnector(
        {
          BROKER_URL: broker.url,
          CONNECTOR_ID,
          CONNECTOR_KEY_FILE: keyFile,
          LOCAL_APP_URL: origin.url,
          STATUS_PORT: '0',
          BACKOFF_BASE_MS: '50',
          BACKOFF_MAX_MS: '200',
          LOG_LEVEL: 'silent',
        },
        { logger },
      );
      try {
        expect(running.statusUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
        await waitFor(() => running.client.state === 'online', 5000, 'connector online');
        const health = await fetch(`${running.statusUrl}/healthz`);
        expect(health.status).toBe(200);
        const on = (await (await fetch(`${running.statusUrl}/status`)).json()) as Record<string, unknown>;
        expect(on).toMatchObject({
          online: true,
          state: 'online',
          brokerUrl: broker.url,
          connectorId: CONNECTOR_ID,
          localAppUrl: origin.url,
          sessionId: broker.latest().sessionId,
          openStreams: 0,
          lastError: null,
        });

        const stream = broker.latest().session.openStream({ method: 'GET', path: '/echo', headers: [] });
        stream.end();
        expect((await stream.responseHead()).status).toBe(200);

        await broker.close();
        await waitFor(() => running.client.state !== 'online', 3000, 'connector offline');
        const off = (await (await fetch(`${running.statusUrl}/status`)).json()) as Record<string, unknown>;
        expect(off.online).toBe(false);
        expect(['backoff', 'connecting']).toContain(off.state);
        expect(off.lastError).toMatchObject({ code: TunnelErrorCode.CONNECTION_LOST });
      } finally {
        await running.close();
      }
      broker = await TestBroker.start({ connectorId: CONNECTOR_ID, publicKey });
    });

    it('refuses a key file readable by others before starting anything', async () => {
      const keyFile = path.join(dir, 'connector.key');
      generateConnectorKey(keyFile);
      fs.chmodSync(keyFile, 0o644);
      await expect(
        startConnector(
          { BROKER_URL: broker.url, CONNECTOR_ID, CONNECTOR_KEY_FILE: keyFile, STATUS_PORT: '0' },
          { logger },
        ),
      ).rejects.toThrow(/chmod 600/);
    });
  });
});
