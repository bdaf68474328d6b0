// While the broker's PostgreSQL is unreachable, /t/<org>/ and the broker's API answer
// 503 DATABASE_UNAVAILABLE with Retry-After (clients and the SDK retry a 503, not a 500), and
// serve again once it is back. The broker reaches PostgreSQL through a TCP proxy the test closes,
// on a schema of its own: the shared server is never touched.
import { connect as tcpConnect, createServer, type Server, type Socket } from 'node:net';
import { freePort, type Harness, signedUpUser, startHarness } from '../accounts/harness';
import { type RecordingSite, recordingSiteFor } from '../support/recording-site';

/** A TCP proxy to the PostgreSQL server that can be cut (listener closed, connections dropped) and restored. */
class PgProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  constructor(readonly port: number) {}

  async open(): Promise<void> {
    if (this.server) return;
    const server = createServer((client) => {
      const upstream = tcpConnect(5432, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', resolve);
    });
    this.server = server;
  }

  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

async function upgrade(url: string): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const sock = tcpConnect(Number(u.port), u.hostname);
    const chunks: Buffer[] = [];
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.on('error', reject);
    sock.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    sock.write(
      `GET ${u.pathname} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
        'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    );
  });
}

describe('the broker while its database is away', () => {
  let proxy: PgProxy;
  let h: Harness;
  let site: RecordingSite;
  let slug: string;
  let cookieFetch: (path: string) => Promise<Response>;

  beforeAll(async () => {
    proxy = new PgProxy(await freePort());
    await proxy.open();
    h = await startHarness({ DATABASE_URL: `postgres://postgres@127.0.0.1:${proxy.port}/test` });
    const owner = await signedUpUser(h, 'outage');
    cookieFetch = (path) => owner.browser.fetch(path);
    const company = (await (
      await owner.browser.fetch('/api/v1/companies', { method: 'POST', json: { name: 'Outage Gates' } })
    ).json()) as { slug: string };
    slug = company.slug;
    site = await recordingSiteFor(h.broker, slug);
  });
  afterAll(async () => {
    site?.close();
    await proxy?.open();
    await h?.close();
    await proxy?.cut();
  });

  it('answers 503 DATABASE_UNAVAILABLE with Retry-After, then serves again once the database is back', async () => {
    await proxy.cut();

    // The organisation is not cached yet: its lookup needs the database.
    const plain = await fetch(`${h.url}/t/${slug}/api/v1/dashboard`);
    expect(plain.status).toBe(503);
    expect(plain.headers.get('retry-after')).toBe('5');
    expect(await plain.json()).toMatchObject({ code: 'DATABASE_UNAVAILABLE' });

    const ws = await upgrade(`${h.url}/t/${slug}/api/v1/stream`);
    expect(ws).toMatch(/^HTTP\/1\.1 503 /);
    expect(ws).toMatch(/\r\nretry-after: 5\r\n/i);
    expect(ws).toContain('"code":"DATABASE_UNAVAILABLE"');

    // The broker's own API, behind Nest, the same way.
    const api = await cookieFetch('/api/v1/companies');
    expect(api.status).toBe(503);
    expect(api.headers.get('retry-after')).toBe('5');
    expect(await api.json()).toMatchObject({ code: 'DATABASE_UNAVAILABLE' });
    expect(site.reached).toEqual([]);

    await proxy.open();
    // The pool reconnects on the next request; the organisation is found and the session check runs.
    let back: Response | undefined;
    for (let i = 0; i < 100; i++) {
      back = await fetch(`${h.url}/t/${slug}/api/v1/dashboard`);
      if (back.status !== 503) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(back?.status).toBe(401);
    expect(await back?.json()).toMatchObject({ code: 'SESSION_REQUIRED' });
    expect((await cookieFetch('/api/v1/companies')).status).toBe(200);
  });
});
