// The connector's /uplink relay, run in-process against a broker end built from the tunnel
// protocol library, so the test decides how the cloud answers (or does not). The path through
// the real broker is in apps/cloud-broker/test/mobile-uplink.
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { createLogger } from '@lanbridge/logging';
import { freePort, tempDir } from '@lanbridge/testing';
import {
  brokerHandshake,
  createSession,
  TunnelErrorCode,
  type TunnelSession,
  type TunnelStream,
  WS_SUBPROTOCOL_V1,
  wsTransport,
} from '@lanbridge/tunnel-protocol';
import { WebSocketServer } from 'ws';
import { type RunningConnector, startConnector } from '../bootstrap';

const logger = createLogger('uplink-relay-e2e', { level: process.env.LOG_LEVEL ?? 'silent' });
const TIMEOUT_MS = 400;

interface Seen {
  readonly method: string;
  readonly path: string;
  readonly headers: readonly string[];
  readonly body: Buffer;
}

/** The broker's end of the tunnel: one connector, streams answered by `answer`. */
class StandInBroker {
  private readonly wss: WebSocketServer;
  session: TunnelSession | undefined;
  /** False: connections are cut at once, so the connector stays offline. */
  accepting = true;
  readonly seen: Seen[] = [];
  readonly resets: string[] = [];
  answer: (stream: TunnelStream, body: Buffer) => void = (stream, body) => {
    stream.sendResponseHead({ status: 200, headers: ['content-type', 'application/json'] });
    stream.end(JSON.stringify({ bytes: body.length }));
  };

  constructor(
    readonly port: number,
    private readonly connectorId: string,
    private readonly publicKey: import('node:crypto').KeyObject,
  ) {
    this.wss = new WebSocketServer({
      port,
      host: '127.0.0.1',
      handleProtocols: (p) => (p.has(WS_SUBPROTOCOL_V1) ? WS_SUBPROTOCOL_V1 : false),
    });
    this.wss.on('connection', (ws) => {
      if (!this.accepting) {
        ws.terminate();
        return;
      }
      const transport = wsTransport(ws);
      void brokerHandshake(transport, {
        node: 'stand-in',
        lookup: (id) =>
          Promise.resolve(id === this.connectorId ? { publicKey: this.publicKey, orgId: 'org-1' } : undefined),
      }).then(({ ready }) => {
        const session = createSession(transport, 'broker', { version: ready.version });
        this.session = session;
        session.on('stream', (stream) => this.onStream(stream));
      });
    });
  }

  private onStream(stream: TunnelStream): void {
    const chunks: Buffer[] = [];
    stream.on('error', () => undefined);
    stream.on('close', () => {
      if (stream.resetError) this.resets.push(stream.resetError.code);
    });
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      const body = Buffer.concat(chunks);
      const { method, path: p, headers } = stream.requestHead;
      this.seen.push({ method, path: p, headers, body });
      this.answer(stream, body);
    });
  }

  close(): Promise<void> {
    this.session?.close();
    for (const c of this.wss.clients) c.terminate();
    return new Promise((r) => this.wss.close(() => r()));
  }
}

function send(
  url: string,
  opts: { method?: string; headers?: http.OutgoingHttpHeaders; body?: Buffer | string } = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: opts.method ?? 'POST', headers: opts.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, json: text ? JSON.parse(text) : {} });
      });
    });
    // A refused upload may be cut off while we still write it.
    req.on('error', reject);
    req.end(opts.body);
  });
}

const JSON_HEADERS = { 'content-type': 'application/json' };

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('connector /uplink relay', () => {
  const dir = tempDir('uplink-relay');
  let broker: StandInBroker;
  let connector: RunningConnector;
  let base = '';

  beforeAll(async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const keyFile = path.join(dir, 'connector.key');
    fs.writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), { mode: 0o600 });
    const brokerPort = await freePort();
    broker = new StandInBroker(brokerPort, 'conn-1', publicKey);
    connector = await startConnector(
      {
        BROKER_URL: `ws://127.0.0.1:${brokerPort}/tunnel/v1/connect`,
        CONNECTOR_ID: 'conn-1',
        CONNECTOR_KEY_FILE: keyFile,
        STATUS_HOST: '127.0.0.1',
        STATUS_PORT: '0',
        UPLINK_TIMEOUT_MS: String(TIMEOUT_MS),
        BACKOFF_BASE_MS: '50',
        BACKOFF_MAX_MS: '200',
      },
      { logger },
    );
    base = `${connector.statusUrl}/uplink`;
    await until(() => connector.client.state === 'online');
  });

  afterAll(async () => {
    await connector?.close();
    await broker?.close();
  });

  it('relays each endpoint as a connector-opened stream and returns the broker answer as is', async () => {
    broker.answer = (stream, body) => {
      stream.sendResponseHead({ status: 200, headers: ['content-type', 'application/json; charset=utf-8'] });
      stream.end(JSON.stringify({ echo: body.length, id: stream.id }));
    };
    const calls: [string, string, string | undefined][] = [
      ['POST', '/v1/notifications', '{"items":[]}'],
      ['POST', '/v1/devices', '{"items":[]}'],
      ['POST', '/v1/event-logs', '{"items":[]}'],
      ['PUT', '/v1/settings', '{"pushToApp":true,"pushDataToCloud":false}'],
      ['DELETE', '/v1/data', undefined],
    ];
    for (const [method, p, body] of calls) {
      const r = await send(`${base}${p}`, { method, headers: body ? JSON_HEADERS : {}, body });
      expect(r.status).toBe(200);
      expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(r.json.echo).toBe(body?.length ?? 0);
      // The connector opens odd stream ids.
      expect(Number(r.json.id) % 2).toBe(1);
    }
    expect(broker.seen.slice(-5).map((s) => `${s.method} ${s.path}`)).toEqual(calls.map(([m, p]) => `${m} ${p}`));
    expect(broker.seen.at(-2)?.headers).toEqual(['content-type', 'application/json']);
  });

  it('streams a body of up to 1 MiB through unchanged, and passes error statuses through', async () => {
    const big = Buffer.from(JSON.stringify({ items: [], pad: 'x'.repeat(1024 * 1024 - 24) }));
    expect(big.length).toBeLessThanOrEqual(1024 * 1024);
    broker.answer = (stream, body) => {
      stream.sendResponseHead({ status: 409, headers: ['content-type', 'application/json'] });
      stream.end(JSON.stringify({ code: 'CLOUD_DATA_DISABLED', bytes: body.length }));
    };
    const r = await send(`${base}/v1/devices`, { headers: JSON_HEADERS, body: big });
    expect(r.status).toBe(409);
    expect(r.json).toEqual({ code: 'CLOUD_DATA_DISABLED', bytes: big.length });
    expect(broker.seen.at(-1)?.body.equals(big)).toBe(true);
  });

  it('refuses bodies over 1 MiB with 413, declared or not, and cancels the stream', async () => {
    const tooBig = Buffer.alloc(1024 * 1024 + 1, 0x20);
    const declared = await send(`${base}/v1/notifications`, { headers: JSON_HEADERS, body: tooBig });
    expect(declared.status).toBe(413);
    expect(declared.json.code).toBe('UPLINK_PAYLOAD_TOO_LARGE');

    const resetsBefore = broker.resets.length;
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        `${base}/v1/notifications`,
        { method: 'POST', headers: { ...JSON_HEADERS, 'transfer-encoding': 'chunked' }, agent: false },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      let sent = 0;
      const pump = (): void => {
        while (sent <= 1024 * 1024 && req.write(chunk)) sent += chunk.length;
        if (sent <= 1024 * 1024) req.once('drain', pump);
      };
      pump();
    });
    expect(chunked).toBe(413);
    await until(() => broker.resets.length > resetsBefore);
    expect(broker.resets.at(-1)).toBe(TunnelErrorCode.CANCELLED);
  });

  it('answers 504 UPLINK_TIMEOUT when the cloud does not answer in time', async () => {
    broker.answer = () => undefined;
    const started = Date.now();
    const r = await send(`${base}/v1/notifications`, { headers: JSON_HEADERS, body: '{"items":[]}' });
    expect(r.status).toBe(504);
    expect(r.json.code).toBe('UPLINK_TIMEOUT');
    expect(Date.now() - started).toBeGreaterThanOrEqual(TIMEOUT_MS - 20);
    await until(() => broker.resets.at(-1) === TunnelErrorCode.CANCELLED);
  });

  it('answers 502 UPLINK_FAILED when the cloud resets the request', async () => {
    broker.answer = (stream) => stream.reset(TunnelErrorCode.PROTOCOL, 'garbage');
    const r = await send(`${base}/v1/event-logs`, { headers: JSON_HEADERS, body: '{"items":[]}' });
    expect(r.status).toBe(502);
    expect(r.json.code).toBe('UPLINK_FAILED');
  });

  it('refuses what is not an uplink request before it reaches the tunnel', async () => {
    const before = broker.seen.length;
    const notFound = await send(`${base}/v1/people`, { headers: JSON_HEADERS, body: '{}' });
    expect([notFound.status, notFound.json.code]).toEqual([404, 'UPLINK_NOT_FOUND']);
    const wrongMethod = await send(`${base}/v1/notifications`, { method: 'GET' });
    expect([wrongMethod.status, wrongMethod.json.code, wrongMethod.headers.allow]).toEqual([
      405,
      'UPLINK_METHOD_NOT_ALLOWED',
      'POST',
    ]);
    const text = await send(`${base}/v1/notifications`, { headers: { 'content-type': 'text/plain' }, body: '{}' });
    expect([text.status, text.json.code]).toEqual([415, 'UPLINK_UNSUPPORTED_MEDIA_TYPE']);
    // A web page the installer visits cannot post here (DNS rebinding, cross-site forms).
    const rebound = await send(`${base}/v1/notifications`, {
      headers: { ...JSON_HEADERS, host: 'evil.example' },
      body: '{}',
    });
    expect([rebound.status, rebound.json.code]).toEqual([403, 'UPLINK_FORBIDDEN']);
    const crossSite = await send(`${base}/v1/notifications`, {
      headers: { ...JSON_HEADERS, origin: 'https://evil.example' },
      body: '{}',
    });
    expect(crossSite.status).toBe(403);
    expect(broker.seen.length).toBe(before);
  });

  it('answers 503 TUNNEL_OFFLINE while there is no tunnel session', async () => {
    // The stand-in refuses reconnections meanwhile: a fast reconnect would otherwise close the
    // offline window before the request is sent.
    broker.accepting = false;
    const offline = new Promise((resolve) => connector.client.once('offline', resolve));
    broker.session?.close();
    await offline;
    const r = await send(`${base}/v1/notifications`, { headers: JSON_HEADERS, body: '{"items":[]}' });
    expect([r.status, r.json.code]).toEqual([503, 'TUNNEL_OFFLINE']);
    // It reconnects by itself and relays again.
    broker.accepting = true;
    await until(() => connector.client.currentSession() !== undefined);
    broker.answer = (stream) => {
      stream.sendResponseHead({ status: 200, headers: ['content-type', 'application/json'] });
      stream.end('{"accepted":[]}');
    };
    const again = await send(`${base}/v1/notifications`, { headers: JSON_HEADERS, body: '{"items":[]}' });
    expect(again.status).toBe(200);
  });
});
