/**
 * The local application the connector forwards to in end-to-end suites: echoes, hashes and
 * generates bodies, answers slowly on demand, and echoes WebSocket messages.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import type net from 'node:net';
import { WebSocketServer } from 'ws';

export interface TestOrigin {
  readonly url: string;
  readonly port: number;
  /** Requests seen, with the headers the origin received. */
  readonly seen: { method: string; url: string; headers: http.IncomingHttpHeaders }[];
  close(): Promise<void>;
}

/** Deterministic bytes for a seed, so both ends can hash without shipping the body twice. */
export function seededBytes(seed: string, length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  let off = 0;
  let counter = 0;
  while (off < length) {
    const block = crypto.createHash('sha512').update(`${seed}:${counter++}`).digest();
    off += block.copy(out, off, 0, Math.min(block.length, length - off));
  }
  return out;
}

export const sha256 = (b: Buffer): string => crypto.createHash('sha256').update(b).digest('hex');

export async function startOrigin(): Promise<TestOrigin> {
  const seen: TestOrigin['seen'] = [];
  const sockets = new Set<net.Socket>();
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    const url = new URL(req.url ?? '/', 'http://origin');
    if (url.pathname === '/hash') {
      // Streams the request body through a hash and answers with it and, for PUT/POST, a
      // generated body of the requested size, so both directions carry big bodies.
      const h = crypto.createHash('sha256');
      let bytes = 0;
      req.on('data', (c: Buffer) => {
        bytes += c.length;
        h.update(c);
      });
      req.on('end', () => {
        const size = Number(url.searchParams.get('respond') ?? '0');
        const body = seededBytes(url.searchParams.get('seed') ?? 'x', size);
        res.writeHead(200, {
          'content-type': 'application/octet-stream',
          'x-request-sha256': h.digest('hex'),
          'x-request-bytes': String(bytes),
          'content-length': String(body.length),
        });
        res.end(body);
      });
      return;
    }
    if (url.pathname === '/echo') {
      res.writeHead(200, { 'content-type': req.headers['content-type'] ?? 'application/octet-stream' });
      req.pipe(res);
      return;
    }
    if (url.pathname === '/headers') {
      res.writeHead(200, { 'content-type': 'application/json', connection: 'keep-alive', 'x-origin': 'yes' });
      res.end(JSON.stringify(req.headers));
      return;
    }
    if (url.pathname === '/slow') {
      // Sends the head and a first chunk, then trickles forever: a response still in flight.
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first chunk\n');
      const t = setInterval(() => res.write('.'), 100);
      res.on('close', () => clearInterval(t));
      return;
    }
    if (url.pathname === '/small') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`ok ${url.searchParams.get('i') ?? ''}`);
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"code":"NOT_FOUND"}');
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const wss = new WebSocketServer({ server, path: '/ws-echo' });
  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        wss.close();
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
