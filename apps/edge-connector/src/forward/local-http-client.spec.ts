import { createHash, randomBytes } from 'node:crypto';
import * as http from 'node:http';
import * as net from 'node:net';
import { PassThrough } from 'node:stream';
import { LocalHttpClient, type LocalHttpError, type LocalRequest } from './local-http-client';

interface Answer {
  status: number;
  statusText: string;
  headers: string[];
  body: Buffer;
}

function header(a: Answer, name: string): string | undefined {
  for (let i = 0; i < a.headers.length; i += 2) if (a.headers[i].toLowerCase() === name) return a.headers[i + 1];
  return undefined;
}

function send(client: LocalHttpClient, req: LocalRequest): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let head: Omit<Answer, 'body'> | undefined;
    client.request(req, {
      onHead: (status, statusText, headers) => (head = { status, statusText, headers }),
      onData: (chunk) => {
        parts.push(Buffer.from(chunk));
        return true;
      },
      onEnd: () => (head ? resolve({ ...head, body: Buffer.concat(parts) }) : reject(new Error('end without head'))),
      onError: reject,
    });
  });
}

function failure(client: LocalHttpClient, req: LocalRequest): Promise<LocalHttpError> {
  return send(client, req).then(
    () => {
      throw new Error('expected a failure');
    },
    (err: LocalHttpError) => err,
  );
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** A real node:http server; counts the TCP connections it accepted. */
async function httpServer(
  handler: http.RequestListener,
): Promise<{ url: string; connections: () => number; close: () => Promise<void> }> {
  const server = http.createServer(handler);
  let connections = 0;
  server.on('connection', () => connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => connections,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A raw TCP server answering each connection's requests with `onRequest`. */
async function rawServer(
  onRequest: (socket: net.Socket, n: number) => void,
): Promise<{ url: string; connections: () => number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const server = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buf = '';
    let n = 0;
    socket.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      while (buf.includes('\r\n\r\n')) {
        buf = buf.slice(buf.indexOf('\r\n\r\n') + 4);
        onRequest(socket, n++);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => connections,
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

const GET = (path: string, headers: string[] = []): LocalRequest => ({ method: 'GET', path, headers });

describe('LocalHttpClient', () => {
  const closers: (() => unknown)[] = [];
  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c();
  });
  function client(url: string, opts: { max?: number; timeoutMs?: number } = {}): LocalHttpClient {
    const c = new LocalHttpClient({ url, headersTimeoutMs: opts.timeoutMs ?? 5000, maxConnections: opts.max });
    closers.push(() => c.close());
    return c;
  }

  it('keeps concurrent responses apart though all connections read into one shared buffer', async () => {
    // Eight different 2 MiB bodies (chunked and with a length) in flight at once: every byte
    // must reach the right handler, none overwritten by a later read of another connection.
    const bodies = Array.from({ length: 8 }, (_, i) => {
      const b = randomBytes(2 * 1024 * 1024);
      b.fill(i, 0, 16);
      return b;
    });
    const srv = await httpServer((req, res) => {
      const i = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('i'));
      if (i % 2 === 0) res.setHeader('Content-Length', bodies[i].length);
      let off = 0;
      const next = (): void => {
        while (off < bodies[i].length) {
          const n = Math.min(100_000 + i * 777, bodies[i].length - off);
          const ok = res.write(bodies[i].subarray(off, off + n));
          off += n;
          if (!ok) return void res.once('drain', next);
        }
        res.end();
      };
      next();
    });
    closers.push(srv.close);
    const c = client(srv.url);
    const answers = await Promise.all(bodies.map((_, i) => send(c, GET(`/b?i=${i}`))));
    answers.forEach((a, i) => {
      expect(a.status).toBe(200);
      expect(sha(a.body)).toBe(sha(bodies[i]));
    });
  });

  it('assembles a response head that arrives in pieces, while other connections read in between', async () => {
    const srv = await rawServer((sock, n) => {
      const head = 'HTTP/1.1 200 OK\r\nX-Piece: one-two-three\r\nContent-Length: 5\r\n\r\nhello';
      const pieces = [head.slice(0, 9), head.slice(9, 30), head.slice(30)];
      pieces.forEach((p, i) => setTimeout(() => sock.write(p), 15 * i + n));
    });
    closers.push(srv.close);
    const noisy = await httpServer((_req, res) => res.end(Buffer.alloc(200_000, 'z')));
    closers.push(noisy.close);
    const c = client(srv.url);
    const other = client(noisy.url);
    const [a] = await Promise.all([
      send(c, GET('/')),
      ...Array.from({ length: 6 }, (_, i) =>
        new Promise((r) => setTimeout(r, 5 * i)).then(() => send(other, GET('/'))),
      ),
    ]);
    expect(a.status).toBe(200);
    expect(header(a, 'x-piece')).toBe('one-two-three');
    expect(a.body.toString()).toBe('hello');
  });

  it('reuses one keep-alive connection for requests in sequence, with Host set to the origin', async () => {
    const srv = await httpServer((req, res) =>
      res.end(`${req.method} ${req.url} ${req.headers.host} ${String(req.headers['x-a'])}`),
    );
    closers.push(srv.close);
    const c = client(srv.url);
    for (let i = 0; i < 3; i++) {
      const a = await send(c, GET(`/p?i=${i}`, ['X-A', 'b']));
      expect(a.status).toBe(200);
      expect(a.body.toString()).toBe(`GET /p?i=${i} ${new URL(srv.url).host} b`);
    }
    expect(srv.connections()).toBe(1);
  });

  it('decodes chunked bodies, skips 1xx answers, and knows HEAD, 204 and 304 have no body', async () => {
    const big = randomBytes(300_000);
    const srv = await httpServer((req, res) => {
      if (req.url === '/chunked') {
        res.writeEarlyHints({ link: '</a.css>; rel=preload' });
        res.setHeader('Trailer', 'x-sum');
        res.write(big.subarray(0, 1000));
        res.write(big.subarray(1000));
        res.addTrailers({ 'x-sum': 'ok' });
        res.end();
      } else if (req.url === '/204') res.writeHead(204).end();
      else if (req.url === '/304') res.writeHead(304, { etag: '"1"' }).end();
      else res.writeHead(200, { 'content-length': 5 }).end(req.method === 'HEAD' ? undefined : 'hello');
    });
    closers.push(srv.close);
    const c = client(srv.url);
    const chunked = await send(c, GET('/chunked'));
    expect(chunked.status).toBe(200);
    expect(sha(chunked.body)).toBe(sha(big));
    expect(header(chunked, 'transfer-encoding')).toBe('chunked');
    expect((await send(c, { method: 'HEAD', path: '/x', headers: [] })).body.length).toBe(0);
    expect((await send(c, GET('/204'))).status).toBe(204);
    const notModified = await send(c, GET('/304'));
    expect([notModified.status, header(notModified, 'etag')]).toEqual([304, '"1"']);
    expect((await send(c, GET('/x'))).body.toString()).toBe('hello');
    expect(srv.connections()).toBe(1);
  });

  it('streams request bodies intact, with their Content-Length or chunked when the length is unknown', async () => {
    const srv = await httpServer((req, res) => {
      const h = createHash('sha256');
      req.on('data', (d: Buffer) => h.update(d));
      req.on('end', () =>
        res.end(
          `${req.headers['content-length'] ?? '-'} ${req.headers['transfer-encoding'] ?? '-'} ${h.digest('hex')}`,
        ),
      );
    });
    closers.push(srv.close);
    const c = client(srv.url);
    const payload = randomBytes(3 * 1024 * 1024 + 7);
    for (const withLength of [true, false]) {
      const body = new PassThrough();
      const answer = send(c, {
        method: 'PUT',
        path: '/up',
        headers: withLength ? ['Content-Length', String(payload.length)] : [],
        body,
      });
      for (let off = 0; off < payload.length; off += 65536) body.write(payload.subarray(off, off + 65536));
      body.end();
      const a = await answer;
      expect(a.body.toString()).toBe(
        `${withLength ? payload.length : '-'} ${withLength ? '-' : 'chunked'} ${sha(payload)}`,
      );
    }
    expect(srv.connections()).toBe(1);
  });

  it('reads a body without framing to the end of the connection, and does not reuse that connection', async () => {
    const srv = await rawServer((s) => s.end('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end'));
    closers.push(srv.close);
    const c = client(srv.url);
    expect((await send(c, GET('/'))).body.toString()).toBe('until the end');
    expect((await send(c, GET('/'))).body.toString()).toBe('until the end');
    expect(srv.connections()).toBe(2);
  });

  it('refuses malformed or oversized response heads and conflicting lengths', async () => {
    const answers = [
      'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx',
      'HTTP/1.1 200 OK\r\nBad Header: x\r\n\r\n',
      'HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\n\r\n',
      'HTTP/2 200 OK\r\n\r\n',
      `HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(70_000)}\r\n\r\n`,
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
    ];
    const srv = await rawServer((s) => s.end(answers[srv.connections() - 1]));
    closers.push(srv.close);
    const c = client(srv.url);
    for (let i = 0; i < answers.length; i++) {
      const err = await failure(c, GET('/'));
      expect(err.failure).toBe('bad-response');
    }
  });

  it('retries once on a new connection when a reused keep-alive connection was closed under it', async () => {
    // The first connection answers one request, then closes on the next, like a server whose
    // keep-alive timeout fires just as the client picks the connection.
    const srv = await rawServer((s, n) => {
      if (srv.connections() === 1 && n === 1) s.destroy();
      else s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    });
    closers.push(srv.close);
    const c = client(srv.url);
    expect((await send(c, GET('/'))).body.toString()).toBe('ok');
    expect((await send(c, GET('/'))).body.toString()).toBe('ok');
    expect(srv.connections()).toBe(2);
  });

  it('reports an unreachable application, and a head that does not come in time', async () => {
    const dead = net.createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
    const { port } = dead.address() as net.AddressInfo;
    await new Promise((r) => dead.close(r));
    expect((await failure(client(`http://127.0.0.1:${port}`), GET('/'))).failure).toBe('unreachable');

    const silent = await rawServer(() => undefined);
    closers.push(silent.close);
    const started = Date.now();
    expect((await failure(client(silent.url, { timeoutMs: 150 }), GET('/'))).failure).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('reports a response cut short after its head as aborted', async () => {
    const srv = await rawServer((s) => {
      s.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial');
      setTimeout(() => s.destroy(), 20);
    });
    closers.push(srv.close);
    expect((await failure(client(srv.url), GET('/'))).failure).toBe('aborted');
  });

  it('keeps to its connection limit and serves waiting requests in turn', async () => {
    const srv = await httpServer((_req, res) => setTimeout(() => res.end('done'), 10));
    closers.push(srv.close);
    const c = client(srv.url, { max: 2 });
    const answers = await Promise.all(Array.from({ length: 9 }, () => send(c, GET('/'))));
    expect(answers.map((a) => a.body.toString())).toEqual(Array(9).fill('done'));
    expect(srv.connections()).toBe(2);
  });

  it('closes the connection when a request is aborted mid-response', async () => {
    let closed = false;
    const srv = await httpServer((_req, res) => {
      res.write('x'.repeat(1000));
      res.on('close', () => (closed = true));
    });
    closers.push(srv.close);
    const c = client(srv.url);
    let onError = false;
    await new Promise<void>((resolve) => {
      const ex = c.request(GET('/'), {
        onHead: () => undefined,
        onData: () => {
          ex.abort();
          resolve();
          return true;
        },
        onEnd: () => undefined,
        onError: () => (onError = true),
      });
    });
    for (let i = 0; i < 100 && !closed; i++) await new Promise((r) => setTimeout(r, 10));
    expect(closed).toBe(true);
    expect(onError).toBe(false);
    expect(c.connections).toBe(0);
  });

  it('refuses a request head that could split the request, before sending anything', async () => {
    const srv = await httpServer((_req, res) => res.end());
    closers.push(srv.close);
    const c = client(srv.url);
    const handler = { onHead: () => undefined, onData: () => true, onEnd: () => undefined, onError: () => undefined };
    expect(() => c.request(GET('/', ['X-A', 'a\r\nX-Injected: 1']), handler)).toThrow(TypeError);
    expect(() => c.request(GET('/ HTTP/1.1\r\n'), handler)).toThrow(TypeError);
    expect(() => c.request({ method: 'GE T', path: '/', headers: [] }, handler)).toThrow(TypeError);
    expect(srv.connections()).toBe(0);
  });

  it('ends the response an application sent before reading the whole body, and opens a new connection next', async () => {
    const srv = await httpServer((req, res) => {
      if (req.url === '/small')
        res.writeHead(413, { 'content-type': 'application/json', connection: 'close' }).end('{"code":"TOO_LARGE"}');
      else res.end('next');
    });
    closers.push(srv.close);
    const c = client(srv.url);
    const body = new PassThrough();
    const answer = send(c, {
      method: 'POST',
      path: '/small',
      headers: ['Content-Length', String(10 * 1024 * 1024)],
      body,
    });
    body.write(Buffer.alloc(1024));
    const a = await answer;
    expect([a.status, a.body.toString()]).toEqual([413, '{"code":"TOO_LARGE"}']);
    body.destroy();
    expect((await send(c, GET('/'))).body.toString()).toBe('next');
    expect(srv.connections()).toBe(2);
  });
});
