/**
 * Hostile and broken connectors, spoken to in the raw tunnel protocol against the real broker
 * process: each is refused with its close code, while a healthy tunnel keeps serving.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import WebSocket from 'ws';
import {
  FrameType,
  WS_SUBPROTOCOL_V1,
  authSigningInput,
  decodeFrames,
  encodeJsonFrame,
  isDecodeError,
  type AuthPayload,
  type HelloPayload,
} from '@lanbridge/tunnel-protocol';
import { tempDir } from '@lanbridge/testing';
import { startOrigin, type TestOrigin } from './support/origin';
import { json, request } from './support/http';
import { makeKeyPair, startTestBroker, startTestConnector, type TestConnector } from './support/stack';

interface RawConn {
  ws: WebSocket;
  hello: HelloPayload;
  next(): Promise<Buffer>;
  closed: Promise<{ code: number; reason: string }>;
}

async function rawConnect(url: string): Promise<RawConn> {
  const ws = new WebSocket(url, [WS_SUBPROTOCOL_V1], { perMessageDeflate: false });
  const queue: Buffer[] = [];
  const waiters: ((b: Buffer) => void)[] = [];
  ws.on('message', (data: Buffer) => {
    const w = waiters.shift();
    if (w) w(data);
    else queue.push(data);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const next = (): Promise<Buffer> =>
    queue.length ? Promise.resolve(queue.shift()!) : new Promise((resolve) => waiters.push(resolve));
  const first = decodeFrames(await next(), 1 << 20);
  if (isDecodeError(first) || first[0].type !== FrameType.HELLO) throw new Error('expected HELLO');
  return { ws, hello: JSON.parse(first[0].payload.toString('utf8')) as HelloPayload, next, closed };
}

function authFrame(connectorId: string, hello: HelloPayload, key: crypto.KeyObject, ts = Date.now()): Buffer {
  const payload: AuthPayload = {
    version: 1,
    connectorId,
    nonce: hello.nonce,
    ts,
    signature: crypto.sign(null, authSigningInput(connectorId, hello.nonce, ts), key).toString('base64url'),
    agent: { version: 'test', hostname: 'test' },
  };
  return encodeJsonFrame(FrameType.AUTH, 0, 0, payload);
}

describe('tunnel endpoint refuses bad connectors and keeps serving good ones', () => {
  let tmp: string;
  let origin: TestOrigin;
  let broker: Awaited<ReturnType<typeof startTestBroker>>;
  let healthy: TestConnector;

  beforeAll(async () => {
    tmp = tempDir('e2e-refusals');
    origin = await startOrigin();
    broker = await startTestBroker(tmp);
    healthy = await startTestConnector(tmp, broker, 'good', origin.url);
    await healthy.waitOnline();
  }, 90000);

  afterAll(async () => {
    await healthy?.stop();
    await broker?.stop();
    await origin?.close();
    await broker?.dropSchema();
    fs.rmSync(tmp, { recursive: true, force: true });
  }, 60000);

  async function healthyStillServes(): Promise<void> {
    const r = await request(`${broker.url}/t/good/small?i=still`);
    expect(r.status).toBe(200);
    expect(r.body.toString()).toBe('ok still');
    expect((await request(`${broker.url}/healthz`)).status).toBe(200);
  }

  it('refuses a connector signing with the wrong key: 4401 TUNNEL_ERR_AUTH_FAILED', async () => {
    const registered = makeKeyPair();
    const { connectorId } = broker.registerConnector('victim', registered.publicKeyPem);
    const attacker = makeKeyPair();
    const c = await rawConnect(broker.tunnelUrl);
    c.ws.send(authFrame(connectorId, c.hello, attacker.privateKey));
    expect(await c.closed).toEqual({ code: 4401, reason: 'TUNNEL_ERR_AUTH_FAILED' });
    await healthyStillServes();
  });

  it('refuses an unknown connector id the same way (no enumeration)', async () => {
    const c = await rawConnect(broker.tunnelUrl);
    c.ws.send(authFrame(crypto.randomUUID(), c.hello, makeKeyPair().privateKey));
    expect(await c.closed).toEqual({ code: 4401, reason: 'TUNNEL_ERR_AUTH_FAILED' });
  });

  it('refuses a replayed challenge answer: 4403 TUNNEL_ERR_AUTH_STALE', async () => {
    const keys = makeKeyPair();
    const { connectorId } = broker.registerConnector('replay', keys.publicKeyPem);
    const first = await rawConnect(broker.tunnelUrl);
    const captured = authFrame(connectorId, first.hello, keys.privateKey);
    first.ws.send(captured);
    const ready = decodeFrames(await first.next(), 1 << 20);
    expect(isDecodeError(ready) ? 'error' : ready[0].type).toBe(FrameType.READY);
    first.ws.close();
    await first.closed;

    // An eavesdropper replays the very same bytes on a new connection.
    const second = await rawConnect(broker.tunnelUrl);
    expect(second.hello.nonce).not.toBe(first.hello.nonce);
    second.ws.send(captured);
    expect(await second.closed).toEqual({ code: 4403, reason: 'TUNNEL_ERR_AUTH_STALE' });
    await healthyStillServes();
  });

  it('refuses a stale timestamp: 4403 TUNNEL_ERR_AUTH_STALE', async () => {
    const keys = makeKeyPair();
    const { connectorId } = broker.registerConnector('stale', keys.publicKeyPem);
    const c = await rawConnect(broker.tunnelUrl);
    c.ws.send(authFrame(connectorId, c.hello, keys.privateKey, Date.now() - 10 * 60 * 1000));
    expect(await c.closed).toEqual({ code: 4403, reason: 'TUNNEL_ERR_AUTH_STALE' });
  });

  it('closes a session that sends malformed frames: 4400 TUNNEL_ERR_PROTOCOL', async () => {
    const keys = makeKeyPair();
    const { connectorId } = broker.registerConnector('garbage', keys.publicKeyPem);
    const c = await rawConnect(broker.tunnelUrl);
    c.ws.send(authFrame(connectorId, c.hello, keys.privateKey));
    await c.next(); // READY
    c.ws.send(Buffer.from('this is not a tunnel frame at all, just text'));
    expect(await c.closed).toEqual({ code: 4400, reason: 'TUNNEL_ERR_PROTOCOL' });
    await healthyStillServes();
  });

  it('refuses a frame larger than the limit: 4413 TUNNEL_ERR_FRAME_TOO_LARGE', async () => {
    const keys = makeKeyPair();
    const { connectorId } = broker.registerConnector('huge', keys.publicKeyPem);
    const c = await rawConnect(broker.tunnelUrl);
    c.ws.send(authFrame(connectorId, c.hello, keys.privateKey));
    await c.next();
    const header = Buffer.alloc(10);
    header.writeUInt8(FrameType.DATA, 0);
    header.writeUInt32BE(1, 2);
    header.writeUInt32BE(64 * 1024 * 1024, 6);
    c.ws.send(header);
    expect(await c.closed).toEqual({ code: 4413, reason: 'TUNNEL_ERR_FRAME_TOO_LARGE' });
    await healthyStillServes();
  });

  it('refuses a WebSocket without the tunnel subprotocol before the upgrade', async () => {
    const ws = new WebSocket(broker.tunnelUrl, ['something-else']);
    const status = await new Promise<number>((resolve) => {
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.once('open', () => resolve(101));
      ws.once('error', () => undefined);
    });
    expect(status).toBe(426);
  });

  it('answers an ingress request for a known org only through its own tunnel', async () => {
    const r = await request(`${broker.url}/t/victim/small`);
    expect(r.status).toBe(503);
    expect(json(r).code).toBe('CONNECTOR_OFFLINE');
  });
});
