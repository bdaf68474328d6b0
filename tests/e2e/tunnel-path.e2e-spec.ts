/**
 * The foundation path end to end, with the real apps as processes:
 * client → cloud broker ingress (/t/<org>/…) → tunnel → edge connector → local origin.
 */
import fs from 'node:fs';
import http from 'node:http';
import WebSocket from 'ws';
import { tempDir } from '@lanbridge/testing';
import { startOrigin, seededBytes, sha256, type TestOrigin } from './support/origin';
import { json, request } from './support/http';
import { makeKeyPair, startTestBroker, startTestConnector, type TestConnector } from './support/stack';

const MiB = 1024 * 1024;

describe('tunnel path: client → broker → tunnel → connector → local app', () => {
  let tmp: string;
  let origin: TestOrigin;
  let broker: Awaited<ReturnType<typeof startTestBroker>>;
  let connector: TestConnector;
  let base: string;

  beforeAll(async () => {
    tmp = tempDir('e2e-tunnel');
    origin = await startOrigin();
    broker = await startTestBroker(tmp);
    connector = await startTestConnector(tmp, broker, 'acme', origin.url);
    await connector.waitOnline();
    base = `${broker.url}/t/acme`;
  }, 90000);

  afterAll(async () => {
    await connector?.stop();
    await broker?.stop();
    await origin?.close();
    await broker?.dropSchema();
    fs.rmSync(tmp, { recursive: true, force: true });
  }, 60000);

  it('carries a 10 MiB download intact', async () => {
    const r = await request(`${base}/hash?respond=${10 * MiB}&seed=get`);
    expect(r.status).toBe(200);
    expect(r.body.length).toBe(10 * MiB);
    expect(sha256(r.body)).toBe(sha256(seededBytes('get', 10 * MiB)));
  });

  it.each(['POST', 'PUT'])('carries 10 MiB up and 10 MiB down in one %s', async (method) => {
    const up = seededBytes(`up-${method}`, 10 * MiB);
    const r = await request(`${base}/hash?respond=${10 * MiB}&seed=down-${method}`, {
      method,
      body: up,
      headers: { 'content-type': 'application/octet-stream', 'content-length': up.length },
    });
    expect(r.status).toBe(200);
    expect(r.headers['x-request-bytes']).toBe(String(10 * MiB));
    expect(r.headers['x-request-sha256']).toBe(sha256(up));
    expect(sha256(r.body)).toBe(sha256(seededBytes(`down-${method}`, 10 * MiB)));
  });

  it('streams a chunked 10 MiB body back as it arrives (echo)', async () => {
    const up = seededBytes('echo', 10 * MiB);
    const r = await new Promise<Buffer>((resolve, reject) => {
      const req = http.request(`${base}/echo`, { method: 'POST', agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks)));
      });
      req.on('error', reject);
      // Chunked upload in 64 KiB pieces, no content-length.
      let off = 0;
      const pump = (): void => {
        while (off < up.length) {
          const ok = req.write(up.subarray(off, off + 64 * 1024));
          off += 64 * 1024;
          if (!ok) return void req.once('drain', pump);
        }
        req.end();
      };
      pump();
    });
    expect(sha256(r)).toBe(sha256(up));
  });

  it('sets forwarding headers and drops hop-by-hop ones', async () => {
    const r = await request(`${base}/headers?x=1`, {
      headers: { connection: 'keep-alive, x-hop', 'x-hop': 'secret-hop', 'x-keep': 'kept', 'keep-alive': 'timeout=5' },
    });
    expect(r.status).toBe(200);
    const seen = json<Record<string, string>>(r);
    expect(seen['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen['x-forwarded-proto']).toBe('http');
    expect(seen['x-forwarded-prefix']).toBe('/t/acme');
    expect(seen['via']).toMatch(/lanbridge/);
    expect(seen['x-keep']).toBe('kept');
    expect(seen['x-hop']).toBeUndefined();
    expect(seen['keep-alive']).toBeUndefined();
    expect(origin.seen.some((s) => s.url === '/headers?x=1')).toBe(true);
    expect(r.headers['x-origin']).toBe('yes');
    expect(r.headers['via']).toMatch(/lanbridge/);
  });

  it('answers 500 concurrent requests over one tunnel', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 500 });
    const results = await Promise.all(
      Array.from({ length: 500 }, (_, i) => request(`${base}/small?i=${i}`, { agent })),
    );
    agent.destroy();
    expect(results.filter((r) => r.status === 200)).toHaveLength(500);
    results.forEach((r, i) => expect(r.body.toString()).toBe(`ok ${i}`));
  });

  it('passes a WebSocket through the tunnel end to end', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${broker.port}/t/acme/ws-echo`);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const big = seededBytes('ws', 1 * MiB);
    const replies: { data: Buffer; binary: boolean }[] = [];
    const done = new Promise<void>((resolve) =>
      ws.on('message', (data: Buffer, binary) => {
        replies.push({ data, binary });
        if (replies.length === 2) resolve();
      }),
    );
    ws.send('hello through the tunnel');
    ws.send(big, { binary: true });
    await done;
    ws.close();
    expect(replies[0].binary).toBe(false);
    expect(replies[0].data.toString()).toBe('hello through the tunnel');
    expect(sha256(replies[1].data)).toBe(sha256(big));
  });

  it('answers an unknown organisation with 404 ORG_NOT_FOUND', async () => {
    const r = await request(`${broker.url}/t/no-such-org/anything`);
    expect(r.status).toBe(404);
    expect(json(r).code).toBe('ORG_NOT_FOUND');
  });

  it('answers at once with 503 CONNECTOR_OFFLINE when the organisation has no live tunnel', async () => {
    broker.registerConnector('sleepy', makeKeyPair().publicKeyPem);
    const started = Date.now();
    const r = await request(`${broker.url}/t/sleepy/x`);
    expect(r.status).toBe(503);
    expect(json(r).code).toBe('CONNECTOR_OFFLINE');
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('gives the client a prompt error when the connector dies mid-response, and recovers when it restarts', async () => {
    const outcome = new Promise<{ firstChunk: string; error: string; ms: number }>((resolve) => {
      let killedAt = 0;
      const req = http.get(`${base}/slow`, { agent: false }, (res) => {
        let firstChunk = '';
        res.once('data', (c: Buffer) => {
          firstChunk = c.toString();
          killedAt = Date.now();
          void connector.stop('SIGKILL');
        });
        res.on('error', (e) => resolve({ firstChunk, error: e.message, ms: Date.now() - killedAt }));
        res.on('end', () => resolve({ firstChunk, error: 'ended cleanly', ms: Date.now() - killedAt }));
        res.on('close', () =>
          resolve({ firstChunk, error: res.complete ? 'complete' : 'aborted', ms: Date.now() - killedAt }),
        );
      });
      req.on('error', (e) => resolve({ firstChunk: '', error: e.message, ms: Date.now() - killedAt }));
    });
    const o = await outcome;
    expect(o.firstChunk).toContain('first chunk');
    expect(o.error).not.toBe('complete');
    expect(o.error).not.toBe('ended cleanly');
    expect(o.ms).toBeLessThan(3000);

    const offline = await request(`${base}/small`);
    expect(offline.status).toBe(503);
    expect(json(offline).code).toBe('CONNECTOR_OFFLINE');

    // The service manager (systemd Restart=always) starts it again; same key, same identity.
    await connector.start();
    await connector.waitOnline();
    expect((await request(`${base}/small?i=back`)).body.toString()).toBe('ok back');
  }, 60000);

  it('reconnects by itself after the broker restarts, and requests work again', async () => {
    await broker.stop();
    const during = await connector.status();
    expect(during.online).toBe(false);
    await broker.start();
    await connector.waitOnline(30000);
    const s = await connector.status();
    expect(s.reconnects).toBeGreaterThanOrEqual(1);
    expect((await request(`${base}/small?i=after-restart`)).body.toString()).toBe('ok after-restart');
  }, 90000);

  it('reconnects by itself after the broker crashes (SIGKILL)', async () => {
    await broker.app.stop('SIGKILL');
    await broker.start();
    await connector.waitOnline(30000);
    expect((await request(`${base}/small?i=after-crash`)).body.toString()).toBe('ok after-crash');
  }, 90000);
});
